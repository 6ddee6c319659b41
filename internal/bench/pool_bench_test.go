package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/panjf2000/ants/v2"
	conc "github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"

	"github.com/braid-go/braid/pool"
)

const tinyN = 10_000

// impl runs n copies of task under some library, with limit (0 = none),
// and returns when all have run. setup builds what lives across ops.
type impl struct {
	name  string
	setup func(b *testing.B, limit int) (run func(n int, task func()), done func())
}

var impls = []impl{
	{"braid", func(b *testing.B, limit int) (func(int, func()), func()) {
		p, err := pool.New(pool.MaxWorkers(limit))
		if err != nil {
			b.Fatal(err)
		}
		return func(n int, task func()) {
				fn := func(context.Context) error { task(); return nil }
				for range n {
					_ = p.Go(fn)
				}
				_ = p.Wait()
			}, func() {
				_ = p.Close()
			}
	}},
	{"errgroup", func(b *testing.B, limit int) (func(int, func()), func()) {
		return func(n int, task func()) {
			var g errgroup.Group
			if limit > 0 {
				g.SetLimit(limit)
			}
			fn := func() error { task(); return nil }
			for range n {
				g.Go(fn)
			}
			_ = g.Wait()
		}, func() {}
	}},
	{"conc", func(b *testing.B, limit int) (func(int, func()), func()) {
		return func(n int, task func()) {
			p := conc.New()
			if limit > 0 {
				p = p.WithMaxGoroutines(limit)
			}
			for range n {
				p.Go(task)
			}
			p.Wait()
		}, func() {}
	}},
	{"ants", func(b *testing.B, limit int) (func(int, func()), func()) {
		size := limit
		if size == 0 {
			size = -1 // ants: a negative size means no limit
		}
		p, err := ants.NewPool(size)
		if err != nil {
			b.Fatal(err)
		}
		return func(n int, task func()) {
			var wg sync.WaitGroup
			wg.Add(n)
			fn := func() { task(); wg.Done() }
			for range n {
				_ = p.Submit(fn)
			}
			wg.Wait()
		}, func() { _ = p.ReleaseTimeout(5 * time.Second) }
	}},
	{"pond", func(b *testing.B, limit int) (func(int, func()), func()) {
		p := pond.NewPool(limit) // pond: 0 means no limit
		return func(n int, task func()) {
			g := p.NewGroup()
			for range n {
				g.Submit(task)
			}
			_ = g.Wait()
		}, p.StopAndWait
	}},
}

// referenceLimited is 8 goroutines on a channel of funcs, per op.
func referenceLimited(n int, task func(), limit int) {
	ch := make(chan func(), limit)
	var wg sync.WaitGroup
	for range limit {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range ch {
				f()
			}
		}()
	}
	for range n {
		ch <- task
	}
	close(ch)
	wg.Wait()
}

// referenceUnlimited is a go statement per task and a WaitGroup.
func referenceUnlimited(n int, task func()) {
	var wg sync.WaitGroup
	wg.Add(n)
	for range n {
		go func() { task(); wg.Done() }()
	}
	wg.Wait()
}

func perTask(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
}

func BenchmarkTiny(b *testing.B) {
	var counter atomic.Int64
	task := func() { counter.Add(1) }
	for _, limit := range []int{8, 0} {
		group := "limit=8"
		if limit == 0 {
			group = "unlimited"
		}
		b.Run(group, func(b *testing.B) {
			for _, im := range impls {
				b.Run(im.name, func(b *testing.B) {
					run, done := im.setup(b, limit)
					defer done()
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						run(tinyN, task)
					}
					b.StopTimer()
					perTask(b, tinyN)
				})
			}
			b.Run("reference", func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					if limit > 0 {
						referenceLimited(tinyN, task, limit)
					} else {
						referenceUnlimited(tinyN, task)
					}
				}
				perTask(b, tinyN)
			})
		})
	}
}

// BenchmarkBlocking: 400 tasks that block on a release channel, closed by
// the 16th task to start, at limit 16.
func BenchmarkBlocking(b *testing.B) {
	const n, limit = 400, 16
	b.Run("limit=16", func(b *testing.B) {
		for _, im := range impls {
			b.Run(im.name, func(b *testing.B) {
				run, done := im.setup(b, limit)
				defer done()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					release := make(chan struct{})
					var started atomic.Int32
					run(n, func() {
						if started.Add(1) == limit {
							close(release)
						}
						<-release
					})
				}
				b.StopTimer()
				perTask(b, n)
			})
		}
	})
}
