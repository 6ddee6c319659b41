// Command pool shows braid's worker pool on a small order-processing job.
//
// Twelve orders are processed on a pool of 3 workers. Each order task
// submits its two steps (charge, ship) to the same pool and waits for them,
// which at a fixed limit deadlocks with errgroup or a plain semaphore; here
// a waiting order gives its slot to its steps. Shipping goes through a
// sub-pool limited to 1, for a carrier API that takes one request at a
// time, and still counts against the pool's 3. One order has bad data and
// panics; the panic is recovered into an error and the rest go on.
//
// Run it with: go run ./examples/pool
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braid-go/braid/pool"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// gauge tracks how many steps run at once.
type gauge struct{ cur, peak atomic.Int64 }

func (g *gauge) enter() {
	n := g.cur.Add(1)
	for m := g.peak.Load(); n > m && !g.peak.CompareAndSwap(m, n); m = g.peak.Load() {
	}
}

// work stands in for a real step: it takes d and shows up in every gauge.
func work(d time.Duration, gauges ...*gauge) {
	for _, g := range gauges {
		g.enter()
	}
	time.Sleep(d)
	for _, g := range gauges {
		g.cur.Add(-1)
	}
}

func run(w io.Writer) (err error) {
	out := new(strings.Builder) // the report, written to w in one piece at the end: one write, one error to check
	defer func() {
		if _, werr := io.WriteString(w, out.String()); err == nil {
			err = werr
		}
	}()
	workers, err := pool.New(pool.MaxWorkers(3))
	if err != nil {
		return err
	}
	defer func() { _ = workers.Close() }() // the tasks' errors come back from Wait; Close only lets the workers go
	carrier, err := workers.Sub(pool.MaxWorkers(1))
	if err != nil {
		return err
	}

	var all, shipping gauge
	var shipped atomic.Int64
	var mu sync.Mutex
	results := make([]string, 12)

	processOrder := func(n int) func(context.Context) error {
		return func(ctx context.Context) error {
			if n == 7 {
				var items []string
				_ = items[3] // bad data: index out of range
			}
			charge, err := workers.Submit(ctx, func(context.Context) error {
				work(2*time.Millisecond, &all)
				return nil
			})
			if err != nil {
				return err
			}
			ship, err := carrier.Submit(ctx, func(context.Context) error {
				work(time.Millisecond, &all, &shipping)
				return nil
			})
			if err != nil {
				return err
			}
			// Waiting with the task's own context gives the slot back.
			if err := errors.Join(charge.Wait(ctx), ship.Wait(ctx)); err != nil {
				return err
			}
			shipped.Add(1)
			mu.Lock()
			results[n-1] = fmt.Sprintf("order %2d: charged and shipped", n)
			mu.Unlock()
			return nil
		}
	}

	start := time.Now()
	for n := 1; n <= 12; n++ {
		if err := workers.Go(processOrder(n)); err != nil {
			return err
		}
	}
	err = workers.Wait()

	var pe *pool.PanicError
	if errors.As(err, &pe) {
		results[6] = fmt.Sprintf("order  7: failed: %v", pe.Value)
	}
	for _, r := range results {
		fmt.Fprintln(out, r)
	}
	fmt.Fprintf(out, "\norders: %d shipped, %d failed\n", shipped.Load(), workers.Stats().Failed)
	fmt.Fprintf(out, "peak concurrent steps: %d (limit 3); peak shipping calls: %d (limit 1)\n", all.peak.Load(), shipping.peak.Load())
	fmt.Fprintf(out, "workers alive after Wait: %d; took %v\n", workers.Stats().Workers, time.Since(start).Round(time.Millisecond))
	return nil
}
