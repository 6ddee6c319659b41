package bench

import (
	"context"
	"sync"
	"testing"

	conc "github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"

	"github.com/braid-go/braid/pool"
)

// BenchmarkCancel: 16 tasks running and 1 000 more submitted behind them,
// all of which wait for cancellation; the timer covers only the time from
// cancel to Wait returning. braid's queued tasks are skipped without
// starting. errgroup and conc queue nothing (their Go blocks at the
// limit), so their submitter is parked on the 17th task, and after the
// cancellation each of the remaining tasks still starts, sees the context
// done and returns.
func BenchmarkCancel(b *testing.B) {
	const running, queued = 16, 1000
	wait := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	b.Run("braid", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			ctx, cancel := context.WithCancel(context.Background())
			p, _ := pool.New(pool.MaxWorkers(running), pool.WithContext(ctx), pool.IdleTimeout(0))
			var started sync.WaitGroup
			started.Add(running)
			for i := range running + queued {
				_ = p.Go(func(ctx context.Context) error {
					if i < running {
						started.Done()
					}
					return wait(ctx)
				})
			}
			started.Wait()
			b.StartTimer()
			cancel()
			_ = p.Wait()
			b.StopTimer()
			_ = p.Close()
		}
	})
	b.Run("errgroup", func(b *testing.B) {
		for range b.N {
			ctx, cancel := context.WithCancel(context.Background())
			g, gctx := errgroup.WithContext(ctx)
			g.SetLimit(running)
			timeBlockingSubmitter(b, cancel, running+queued, running,
				func(task func(context.Context) error) { g.Go(func() error { return task(gctx) }) },
				g.Wait)
		}
	})
	b.Run("conc", func(b *testing.B) {
		for range b.N {
			ctx, cancel := context.WithCancel(context.Background())
			p := conc.New().WithContext(ctx).WithMaxGoroutines(running)
			timeBlockingSubmitter(b, cancel, running+queued, running, func(task func(context.Context) error) { p.Go(task) }, p.Wait)
		}
	})
}

// timeBlockingSubmitter runs one op of BenchmarkCancel for a library whose
// submit blocks at the limit: a goroutine submits n tasks that wait for
// cancellation, and once the first running have started, the timer runs
// from cancel until every task was submitted and wait returned.
func timeBlockingSubmitter(b *testing.B, cancel context.CancelFunc, n, running int,
	submit func(task func(context.Context) error), wait func() error) {
	b.StopTimer()
	var started sync.WaitGroup
	started.Add(running)
	submitted := make(chan struct{})
	go func() {
		defer close(submitted)
		for i := range n {
			submit(func(ctx context.Context) error {
				if i < running {
					started.Done()
				}
				<-ctx.Done()
				return ctx.Err()
			})
		}
	}()
	started.Wait()
	b.StartTimer()
	cancel()
	<-submitted
	_ = wait()
	b.StopTimer()
}
