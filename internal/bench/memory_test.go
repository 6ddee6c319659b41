package bench

import (
	"context"
	"runtime"
	"testing"

	"github.com/braid-go/braid/pool"
)

// BenchmarkQueuedMemory: bytes the pool holds per queued task, with 10^6
// tasks queued behind a stalled worker. Every task shares one func value,
// so what is measured is the pool's own cost, not the caller's closures.
func BenchmarkQueuedMemory(b *testing.B) {
	const n = 1_000_000
	for range b.N {
		p, err := pool.New(pool.MaxWorkers(1))
		if err != nil {
			b.Fatal(err)
		}
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
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/queued-task")
		close(gate)
		_ = p.Close()
	}
}
