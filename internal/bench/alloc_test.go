package bench

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/braid-go/braid/pool"
)

// TestGoAllocatesNothingPerTask backs the claim that Pool.Go allocates
// nothing beyond the caller's closure: a warm pool runs 10 000 tasks with
// fewer than 0.05 allocations per task (what remains is per worker start,
// not per task).
func TestGoAllocatesNothingPerTask(t *testing.T) {
	for _, limit := range []int{1, 8} {
		p, err := pool.New(pool.MaxWorkers(limit))
		if err != nil {
			t.Fatal(err)
		}
		var n atomic.Int64
		fn := func(context.Context) error { n.Add(1); return nil }
		run := func() {
			for range tinyN {
				_ = p.Go(fn)
			}
			_ = p.Wait()
		}
		run() // warm: the queue's ring grows once
		perTask := testing.AllocsPerRun(20, run) / tinyN
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if perTask >= 0.05 {
			t.Errorf("limit %d: %.4f allocations per task, want < 0.05", limit, perTask)
		}
		t.Logf("limit %d: %.4f allocations per task", limit, perTask)
	}
}

// TestGoWithMiddlewareAllocations backs the claim that middleware costs
// nothing when unset (TestGoAllocatesNothingPerTask) and reports what it
// costs when set: one middleware adds no allocation per task, a chain adds
// one small closure per link.
func TestGoWithMiddlewareAllocations(t *testing.T) {
	for _, c := range []struct {
		mw   []pool.Middleware
		want float64
	}{
		{[]pool.Middleware{passThrough}, 0.05},
		{[]pool.Middleware{passThrough, passThrough, passThrough}, 2.05},
	} {
		p, err := pool.New(pool.MaxWorkers(8), pool.WithMiddleware(c.mw...))
		if err != nil {
			t.Fatal(err)
		}
		fn := func(context.Context) error { return nil }
		run := func() {
			for range tinyN {
				_ = p.Go(fn)
			}
			_ = p.Wait()
		}
		run()
		perTask := testing.AllocsPerRun(20, run) / tinyN
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if perTask >= c.want {
			t.Errorf("%d middleware: %.4f allocations per task, want < %.2f", len(c.mw), perTask, c.want)
		}
		t.Logf("%d middleware: %.4f allocations per task", len(c.mw), perTask)
	}
}
