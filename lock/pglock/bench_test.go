package pglock_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock"
	"github.com/braid-go/braid/lock/pglock/pgtest"
)

// BenchmarkAcquireRelease: uncontended Acquire + Release of one name,
// each a round trip to the server on the lease's connection.
func BenchmarkAcquireRelease(b *testing.B) {
	l := open(b)
	ctx := context.Background()
	for b.Loop() {
		lease, err := l.Acquire(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if err := lease.Release(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTryAcquireRelease: the same with TryAcquire.
func BenchmarkTryAcquireRelease(b *testing.B) {
	l := open(b)
	for b.Loop() {
		lease, err := l.TryAcquire("bench-try")
		if err != nil {
			b.Fatal(err)
		}
		if err := lease.Release(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSemaphoreAcquireRelease: one slot of a semaphore of 4,
// uncontended: LISTEN, a try, UNLISTEN, then a release that notifies.
func BenchmarkSemaphoreAcquireRelease(b *testing.B) {
	s := newSemaphore(b, open(b), "bench-sem", 4)
	ctx := context.Background()
	for b.Loop() {
		lease, err := s.Acquire(ctx, 1)
		if err != nil {
			b.Fatal(err)
		}
		if err := lease.Release(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundTrip is the floor: one SELECT 1 on a connection to the
// same server.
func BenchmarkRoundTrip(b *testing.B) {
	c, err := pgx.Connect(context.Background(), pgtest.DSN(b))
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, c.Close(context.Background())) })
	var one int
	for b.Loop() {
		if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandoffTwoProcesses: this process and a worker process each
// take and release one name b.N times, so the name goes back and forth
// between them through the server's lock queue. ns/op is per acquisition
// of either process.
func BenchmarkHandoffTwoProcesses(b *testing.B) {
	var l lock.Locker = open(b)
	ctx := context.Background()
	w := startWorker(b, "handoff", workerArgs{Name: "bench-handoff", N: b.N})
	if line := within(b, w.lines, 30*time.Second, "worker ready"); line != "ready" {
		b.Fatalf("worker said %q", line)
	}
	b.ResetTimer()
	start := time.Now()
	_, err := w.stdin.Write([]byte("go\n"))
	require.NoError(b, err)
	for range b.N {
		lease, err := l.Acquire(ctx, "bench-handoff")
		if err != nil {
			b.Fatal(err)
		}
		if err := lease.Release(); err != nil {
			b.Fatal(err)
		}
	}
	w.wait(b)
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(2*b.N), "ns/op")
	b.ReportMetric(float64(2*b.N)/elapsed.Seconds(), "acquisitions/s")
}
