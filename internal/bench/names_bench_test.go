package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/braid-go/braid/pool"
)

// BenchmarkNames: 100 000 tiny tasks over 1 000 names (task i has name
// i mod 1 000), limit 8. "braid-plain" is the same tasks without names, the
// cost the names are measured against; "errgroup-mutexes" is the
// hand-rolled way: errgroup with SetLimit and a map of mutexes, where a task
// waiting for its name holds its slot.
func BenchmarkNames(b *testing.B) {
	const n, names, limit = 100_000, 1_000, 8
	keys := make([]string, names)
	for i := range keys {
		keys[i] = fmt.Sprint("job-", i)
	}
	var counter atomic.Int64
	task := func(context.Context) error { counter.Add(1); return nil }
	opts := make([]pool.TaskOption, names)
	for i := range opts {
		opts[i] = pool.Name(keys[i])
	}
	b.Run("braid-plain", func(b *testing.B) {
		p, _ := pool.New(pool.MaxWorkers(limit))
		defer func() { _ = p.Close() }() // the tasks never fail; timing is what is measured
		for range b.N {
			for range n {
				_ = p.Go(task)
			}
			_ = p.Wait()
		}
		perTask(b, n)
	})
	b.Run("braid-names", func(b *testing.B) {
		p, _ := pool.New(pool.MaxWorkers(limit))
		defer func() { _ = p.Close() }() // the tasks never fail; timing is what is measured
		b.ReportAllocs()
		for range b.N {
			for i := range n {
				_ = p.Go(task, opts[i%names])
			}
			_ = p.Wait()
		}
		perTask(b, n)
	})
	b.Run("errgroup-mutexes", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var mu sync.Mutex
			locks := make(map[string]*sync.Mutex)
			var g errgroup.Group
			g.SetLimit(limit)
			for i := range n {
				key := keys[i%names]
				g.Go(func() error {
					mu.Lock()
					m := locks[key]
					if m == nil {
						m = &sync.Mutex{}
						locks[key] = m
					}
					mu.Unlock()
					m.Lock()
					defer m.Unlock()
					return task(context.Background())
				})
			}
			_ = g.Wait()
		}
		perTask(b, n)
	})
}
