package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	conc "github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

var errTask = errors.New("task failed")

// blockUntilCancelled is the fail-fast workload's task: it fails at once if
// it is the failing one, else it waits for cancellation or 50 ms.
func blockUntilCancelled(ctx context.Context, fail bool) error {
	if fail {
		return errTask
	}
	t := time.NewTimer(50 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// BenchmarkFailFast: 1 000 tasks at limit 16; task 10 fails at once, the
// others block until cancelled (or 50 ms). Reported: time until Wait (or
// Run) returns, per op. Every implementation waits for its started tasks.
func BenchmarkFailFast(b *testing.B) {
	const n, limit, failing = 1000, 16, 10
	b.Run("braid", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			g := parallel.NewGroup[struct{}](parallel.WithStrategy(strategy.FailFast()), parallel.MaxWorkers(limit))
			for i := range n {
				g.Add(fmt.Sprint(i), func(ctx context.Context) (struct{}, error) {
					return struct{}{}, blockUntilCancelled(ctx, i == failing)
				})
			}
			if _, err := g.Run(context.Background()); !errors.Is(err, errTask) {
				b.Fatal(err)
			}
		}
	})
	// braid-pool is the least the group could cost: a pool cancelled by
	// hand from the failing task.
	b.Run("braid-pool", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			ctx, cancel := context.WithCancelCause(context.Background())
			p, err := pool.New(pool.MaxWorkers(limit), pool.WithContext(ctx))
			if err != nil {
				b.Fatal(err)
			}
			for i := range n {
				_ = p.Go(func(ctx context.Context) error {
					err := blockUntilCancelled(ctx, i == failing)
					if i == failing {
						cancel(err)
					}
					return err
				})
			}
			if err := p.Wait(); !errors.Is(err, errTask) {
				b.Fatal(err)
			}
			_ = p.Close()
			cancel(nil)
		}
	})
	b.Run("errgroup", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			g, ctx := errgroup.WithContext(context.Background())
			g.SetLimit(limit)
			for i := range n {
				g.Go(func() error { return blockUntilCancelled(ctx, i == failing) })
			}
			if err := g.Wait(); !errors.Is(err, errTask) {
				b.Fatal(err)
			}
		}
	})
	b.Run("conc", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			p := conc.New().WithContext(context.Background()).WithCancelOnError().WithFirstError().WithMaxGoroutines(limit)
			for i := range n {
				p.Go(func(ctx context.Context) error { return blockUntilCancelled(ctx, i == failing) })
			}
			if err := p.Wait(); !errors.Is(err, errTask) {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRace: 16 tasks; task 5 succeeds at once, the others block until
// cancelled. Reported: time until the winner is known and every task has
// returned, per op. "braid" builds a pool per Run (the default);
// "braid-shared-pool" runs on one long-lived pool with OnPool, as a service
// would.
func BenchmarkRace(b *testing.B) {
	const n, winner = 16, 5
	task := func(ctx context.Context, i int) (int, error) {
		if i == winner {
			return i, nil
		}
		<-ctx.Done()
		return 0, ctx.Err()
	}
	// The tasks' names, made once as a caller's literals would be: the
	// select below names nothing, and formatting 16 numbers an op cost
	// about a tenth of braid's time to the winner.
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	b.Run("braid", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			g := parallel.NewGroup[int](parallel.WithStrategy(strategy.Race()))
			for i := range n {
				g.Add(names[i], func(ctx context.Context) (int, error) { return task(ctx, i) })
			}
			res, err := g.Run(context.Background())
			if _, out, ok := res.Winner(); err != nil || !ok || out != winner {
				b.Fatal(err)
			}
		}
	})
	b.Run("braid-shared-pool", func(b *testing.B) {
		p, err := pool.New()
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = p.Close() }() // the tasks never fail; timing is what is measured
		b.ReportAllocs()
		for range b.N {
			g := parallel.NewGroup[int](parallel.WithStrategy(strategy.Race()), parallel.OnPool(p))
			for i := range n {
				g.Add(names[i], func(ctx context.Context) (int, error) { return task(ctx, i) })
			}
			res, err := g.Run(context.Background())
			if _, out, ok := res.Winner(); err != nil || !ok || out != winner {
				b.Fatal(err)
			}
		}
	})
	// braid-pool is what the default group cost before it ran a few
	// tasks with no limit on goroutines of its own: a pool per op,
	// cancelled by hand by the winner.
	b.Run("braid-pool", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			ctx, cancel := context.WithCancel(context.Background())
			p, err := pool.New(pool.IdleTimeout(0), pool.WithContext(ctx))
			if err != nil {
				b.Fatal(err)
			}
			var won atomic.Int64
			for i := range n {
				_ = p.Go(func(ctx context.Context) error {
					v, err := task(ctx, i)
					if err == nil {
						won.Store(int64(v))
						cancel()
					}
					return err
				})
			}
			_ = p.Wait() // the losers' cancellations
			_ = p.Close()
			cancel()
			if won.Load() != winner {
				b.Fatal("no winner")
			}
		}
	})
	b.Run("select", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			ctx, cancel := context.WithCancel(context.Background())
			type result struct {
				v   int
				err error
			}
			results := make(chan result, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					v, err := task(ctx, i)
					results <- result{v, err}
				}()
			}
			won := -1
			for range n {
				if r := <-results; r.err == nil {
					won = r.v
					cancel()
					break
				}
			}
			cancel()
			wg.Wait()
			if won != winner {
				b.Fatal("no winner")
			}
		}
	})
}

// BenchmarkMap: parallel.Map over 10 000 items whose function returns at
// once, at limit 8, against the same with errgroup (each task writes its
// slot of the output). It measures what a group adds per task when the
// task itself costs nothing: the ledger, the results, and feeding the
// group's pool (see parallel's run.go, feedNext).
func BenchmarkMap(b *testing.B) {
	const n, limit = 10_000, 8
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	double := func(_ context.Context, i int) (int, error) { return 2 * i, nil }
	b.Run("braid", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := parallel.Map(context.Background(), items, double, parallel.MaxWorkers(limit)); err != nil {
				b.Fatal(err)
			}
		}
		perTask(b, n)
	})
	b.Run("errgroup", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			out := make([]int, n)
			var g errgroup.Group
			g.SetLimit(limit)
			for i, it := range items {
				g.Go(func() (err error) { out[i], err = double(context.Background(), it); return err })
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
		}
		perTask(b, n)
	})
}
