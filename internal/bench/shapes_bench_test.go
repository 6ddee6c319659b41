package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braid-go/braid/pool"
)

// The shapes of issue 14, each with the channel floor ("reference": L
// goroutines draining a channel of funcs) where one exists. See README.md.

// runShape runs n copies of task per op under every implementation and the
// floor, at limit, reporting ns/task.
func runShape(b *testing.B, n, limit int, task func()) { runShapeProcs(b, 0, n, limit, task) }

// runShapeProcs is runShape at GOMAXPROCS=procs (0: as run). It must be set
// in each leaf benchmark: the testing package sets GOMAXPROCS (from -cpu)
// before each leaf runs, over whatever a parent set.
func runShapeProcs(b *testing.B, procs, n, limit int, task func()) {
	setProcs := func() func() {
		if procs == 0 {
			return func() {}
		}
		old := runtime.GOMAXPROCS(procs)
		return func() { runtime.GOMAXPROCS(old) }
	}
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			defer setProcs()()
			run, done := im.setup(b, limit)
			defer done()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				run(n, task)
			}
			b.StopTimer()
			perTask(b, n)
		})
	}
	b.Run("reference", func(b *testing.B) {
		defer setProcs()()
		b.ReportAllocs()
		for range b.N {
			referenceLimited(n, task, limit)
		}
		perTask(b, n)
	})
}

// BenchmarkTinyProcs1 is BenchmarkTiny/limit=8 at GOMAXPROCS=1, in the same
// run as the rest (rather than with -cpu 1, which would apply to all).
func BenchmarkTinyProcs1(b *testing.B) {
	var counter atomic.Int64
	b.Run("limit=8", func(b *testing.B) { runShapeProcs(b, 1, tinyN, 8, func() { counter.Add(1) }) })
}

// BenchmarkBlockingFloor is BenchmarkBlocking's shape (400 tasks blocking
// on a release closed by the 16th to start, limit 16) with the floor row.
func BenchmarkBlockingFloor(b *testing.B) {
	const n, limit = 400, 16
	for _, im := range append(impls, impl{"reference", func(b *testing.B, limit int) (func(int, func()), func()) {
		return func(n int, task func()) { referenceLimited(n, task, limit) }, func() {}
	}}) {
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
}

// BenchmarkSleep: 400 tasks of 200 us sleep at limit 16 (about 5 ms per
// op at best); the pool's cost should vanish in the sleeping.
func BenchmarkSleep(b *testing.B) {
	runShape(b, 400, 16, func() { time.Sleep(200 * time.Microsecond) })
}

// BenchmarkIO: 2 000 tasks waiting 1 ms on a timer channel (an I/O wait)
// at limit 64.
func BenchmarkIO(b *testing.B) {
	runShape(b, 2000, 64, func() { <-time.After(time.Millisecond) })
}

// BenchmarkScaling: tiny tasks at limit 8, N from 1e3 to 1e6 per Wait, for
// braid and the floor. ns/task should not drift with N: the queue grows in
// chunks and never copies what it holds. braid-bounded is braid with
// QueueSize(4096): Go then waits for room as the floor's send does, so the
// queue stays in cache whatever N.
func BenchmarkScaling(b *testing.B) {
	var counter atomic.Int64
	task := func() { counter.Add(1) }
	fn := func(context.Context) error { task(); return nil }
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			for _, bound := range []int{0, 4096} {
				name := "braid"
				if bound > 0 {
					name = "braid-bounded"
				}
				b.Run(name, func(b *testing.B) {
					batches(b, n, func(p *pool.Pool) {
						for range n {
							_ = p.Go(fn)
						}
					}, pool.MaxWorkers(8), pool.QueueSize(bound))
				})
			}
			b.Run("reference", func(b *testing.B) {
				for range b.N {
					referenceLimited(n, task, 8)
				}
				perTask(b, n)
			})
		})
	}
}

// BenchmarkQueuedMemoryN: heap bytes per queued task, N tasks queued behind
// a stalled worker, for N = 1e5, 2e5, ..., 1e6 (not only powers of two:
// a ring that doubles holds up to twice what it needs between them).
func BenchmarkQueuedMemoryN(b *testing.B) {
	for n := 100_000; n <= 1_000_000; n += 100_000 {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			for range b.N {
				b.ReportMetric(measureQueued(b, n), "B/queued-task")
			}
		})
	}
}

// measureQueued queues n tasks behind a stalled worker and returns the
// heap grown per task (see queuedBytes).
func measureQueued(b *testing.B, n int) float64 {
	p, err := pool.New(pool.MaxWorkers(1))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = p.Close() }()
	gate := make(chan struct{})
	started := make(chan struct{})
	_ = p.Go(func(context.Context) error { close(started); <-gate; return nil })
	<-started
	task := func(context.Context) error { return nil }
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		_ = p.Go(task)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	close(gate)
	return queuedBytes(b, before.HeapAlloc, after.HeapAlloc, n)
}

// BenchmarkGoBatch: Pool.Go of a batch of tasks queued behind a stalled
// worker, then released and waited for. Reported per task: allocations and
// bytes made by the Go calls alone (go-allocs/task, go-B/task: the memory
// statistics are read around the Go loop, outside the timer), and by the
// whole batch including Wait and the worker's restart (allocs/op and B/op
// are per batch), in the steady state: after a first batch of the same
// size. A queue that doubles copies its ring on the way up; braid's grows
// in chunks and keeps them for the next batch until the pool has been idle
// for its IdleTimeout.
func BenchmarkGoBatch(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000, 60_000, 100_000, 300_000, 1_000_000} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			p, err := pool.New(pool.MaxWorkers(1))
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = p.Close() }()
			task := func(context.Context) error { return nil }
			// One batch first, outside the measure: the steady state is
			// measured, a pool that has queued a batch of this size before.
			batch := func() {
				gate := make(chan struct{})
				_ = p.Go(func(context.Context) error { <-gate; return nil })
				for range n {
					_ = p.Go(task)
				}
				close(gate)
				_ = p.Wait()
			}
			batch()
			var mallocs, bytes uint64
			var ms0, ms1 runtime.MemStats
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				gate := make(chan struct{})
				_ = p.Go(func(context.Context) error { <-gate; return nil })
				b.StopTimer()
				runtime.ReadMemStats(&ms0)
				b.StartTimer()
				for range n {
					_ = p.Go(task)
				}
				b.StopTimer()
				runtime.ReadMemStats(&ms1)
				mallocs += ms1.Mallocs - ms0.Mallocs
				bytes += ms1.TotalAlloc - ms0.TotalAlloc
				b.StartTimer()
				close(gate)
				_ = p.Wait()
			}
			b.StopTimer()
			ops := float64(b.N) * float64(n)
			b.ReportMetric(float64(mallocs)/ops, "go-allocs/task")
			b.ReportMetric(float64(bytes)/ops, "go-B/task")
			perTask(b, n)
		})
	}
}

// BenchmarkOversubscribed: 64 goroutines submit 1 000 tiny tasks each to
// one pool of 8 workers, all at once: the queue's behaviour when submitters
// and workers contend for it. The floor is 64 senders and 8 receivers on
// one channel.
func BenchmarkOversubscribed(b *testing.B) {
	const submitters, each, limit = 64, 1_000, 8
	var counter atomic.Int64
	task := func() { counter.Add(1) }
	b.Run("braid", func(b *testing.B) {
		p, err := pool.New(pool.MaxWorkers(limit))
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = p.Close() }()
		fn := func(context.Context) error { task(); return nil }
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			var wg sync.WaitGroup
			for range submitters {
				wg.Go(func() {
					for range each {
						_ = p.Go(fn)
					}
				})
			}
			wg.Wait()
			_ = p.Wait()
		}
		b.StopTimer()
		perTask(b, submitters*each)
	})
	// braid-GoAll: each submitter hands its tasks over in one GoAll call,
	// a lock hold per 64 tasks instead of per task.
	b.Run("braid-GoAll", func(b *testing.B) {
		p, err := pool.New(pool.MaxWorkers(limit))
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = p.Close() }()
		fns := make([]func(context.Context) error, each)
		for i := range fns {
			fns[i] = func(context.Context) error { task(); return nil }
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			var wg sync.WaitGroup
			for range submitters {
				wg.Go(func() { _, _ = p.GoAll(fns...) })
			}
			wg.Wait()
			_ = p.Wait()
		}
		b.StopTimer()
		perTask(b, submitters*each)
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			ch := make(chan func(), limit)
			var workers, subs sync.WaitGroup
			for range limit {
				workers.Go(func() {
					for f := range ch {
						f()
					}
				})
			}
			for range submitters {
				subs.Go(func() {
					for range each {
						ch <- task
					}
				})
			}
			subs.Wait()
			close(ch)
			workers.Wait()
		}
		perTask(b, submitters*each)
	})
}

// BenchmarkGoAll: tiny tasks, N 1e4 at limit 8 from one submitter, as in
// BenchmarkTiny, handed over one Go call per task or in one GoAll call.
func BenchmarkGoAll(b *testing.B) {
	var counter atomic.Int64
	task := func() { counter.Add(1) }
	fns := make([]func(context.Context) error, tinyN)
	for i := range fns {
		fns[i] = func(context.Context) error { task(); return nil }
	}
	for _, batched := range []bool{false, true} {
		name := "braid-Go"
		if batched {
			name = "braid-GoAll"
		}
		b.Run(name, func(b *testing.B) {
			batches(b, tinyN, func(p *pool.Pool) {
				if batched {
					_, _ = p.GoAll(fns...)
					return
				}
				for _, fn := range fns {
					_ = p.Go(fn)
				}
			}, pool.MaxWorkers(8))
		})
	}
	b.Run("reference", func(b *testing.B) {
		for range b.N {
			referenceLimited(tinyN, task, 8)
		}
		perTask(b, tinyN)
	})
}

// batches runs b.N batches of n tasks on one pool made with opts: submit
// hands a batch over, then Wait waits for it. It reports ns/task.
func batches(b *testing.B, n int, submit func(p *pool.Pool), opts ...pool.Option) {
	p, err := pool.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = p.Close() }() // the tasks never fail; timing is what is measured
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		submit(p)
		_ = p.Wait()
	}
	b.StopTimer()
	perTask(b, n)
}
