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
		b.ReportMetric(queuedBytes(b, before.HeapAlloc, after.HeapAlloc, n), "B/queued-task")
		close(gate)
		_ = p.Close()
	}
}

// queuedBytes is the heap grown per queued task between two readings. The
// readings are unsigned: a heap that shrank in between (a collection of
// garbage from before the first reading) would wrap around to an absurd
// figure, so it fails the benchmark instead of reporting one.
func queuedBytes(b testing.TB, before, after uint64, n int) float64 {
	b.Helper()
	if after < before {
		b.Fatalf("the heap shrank while %d tasks were queued (%d bytes, then %d): the measurement is void", n, before, after)
	}
	return float64(after-before) / float64(n)
}

// TestQueuedBytesNeverWraps: a heap that shrank between the readings is a
// failed measurement, not 18 exabytes per task.
func TestQueuedBytesNeverWraps(t *testing.T) {
	if got := queuedBytes(t, 1000, 1000+48*10, 10); got != 48 {
		t.Fatalf("queuedBytes = %v, want 48", got)
	}
	ft := &fatalT{TB: t}
	func() {
		defer func() { _ = recover() }()
		queuedBytes(ft, 2000, 1000, 10)
	}()
	if !ft.fatal {
		t.Fatal("a shrinking heap must fail the measurement")
	}
}

// fatalT records Fatalf instead of ending the test; it ends the call with a
// panic that the caller recovers.
type fatalT struct {
	testing.TB
	fatal bool
}

func (f *fatalT) Fatalf(string, ...any) { f.fatal = true; panic("fatal") }
func (f *fatalT) Helper()               {}
