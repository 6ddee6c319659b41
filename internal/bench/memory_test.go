package bench

import (
	"testing"
)

// BenchmarkQueuedMemory: bytes the pool holds per queued task, with 10^6
// tasks queued behind a stalled worker. Every task shares one func value,
// so what is measured is the pool's own cost, not the caller's closures.
func BenchmarkQueuedMemory(b *testing.B) {
	for range b.N {
		b.ReportMetric(measureQueued(b, 1_000_000), "B/queued-task")
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
