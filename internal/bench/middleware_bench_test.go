package bench

import (
	"context"
	"io"
	"runtime/trace"
	"testing"

	"github.com/braid-go/braid/pool"
)

// passThrough is middleware that does nothing but call the task: what
// remains of its cost is the pool's.
func passThrough(ctx context.Context, _ pool.TaskInfo, next func(context.Context) error) error {
	return next(ctx)
}

// goTiny runs b.N tiny tasks through Pool.Go on a pool built with opts,
// 10 000 per Wait, at limit 8; ns/op and allocs/op are per task.
func goTiny(b *testing.B, opts ...pool.Option) {
	p, err := pool.New(append([]pool.Option{pool.MaxWorkers(8)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = p.Close() }() // the tasks never fail; timing is what is measured
	fn := func(context.Context) error { return nil }
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = p.Go(fn)
		if i%tinyN == tinyN-1 {
			_ = p.Wait()
		}
	}
	_ = p.Wait()
}

// BenchmarkGoMiddleware compares Pool.Go with no middleware, with one and
// with three pass-through middleware: the first is the hot path, which
// middleware must leave as it was.
func BenchmarkGoMiddleware(b *testing.B) {
	b.Run("none", func(b *testing.B) { goTiny(b) })
	b.Run("one", func(b *testing.B) { goTiny(b, pool.WithMiddleware(passThrough)) })
	b.Run("three", func(b *testing.B) { goTiny(b, pool.WithMiddleware(passThrough, passThrough, passThrough)) })
}

// BenchmarkGoTrace compares Pool.Go with runtime/trace off (the worker
// checks trace.IsEnabled per task, and that is all) and on (each task is a
// trace task and region, written to io.Discard). Compare "off" with
// BenchmarkGoMiddleware/none and with the same benchmark on a commit
// before the trace integration: the check is the whole cost.
func BenchmarkGoTrace(b *testing.B) {
	b.Run("off", func(b *testing.B) {
		if trace.IsEnabled() {
			b.Skip("tracing is on (go test -trace)")
		}
		goTiny(b)
	})
	b.Run("on", func(b *testing.B) {
		if err := trace.Start(io.Discard); err != nil {
			b.Skip("cannot start tracing:", err)
		}
		defer trace.Stop()
		goTiny(b, pool.PoolLabel("bench"))
	})
}
