package pool_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/braid-go/braid/pool"
)

// Runs of one job name queue behind each other, in submission order; runs
// keyed by a unique instance ID run side by side. Here the two instances
// can only finish if they run at the same time: each waits for the other.
func ExampleName() {
	p, _ := pool.New(pool.MaxWorkers(4))
	defer func() { _ = p.Close() }() // Wait has reported the tasks' errors: Close has none left to report

	var mu sync.Mutex
	var order []int
	nightly := pool.Name("nightly-export") // build once, reuse
	for run := 1; run <= 3; run++ {
		_ = p.Go(func(context.Context) error {
			mu.Lock()
			order = append(order, run)
			mu.Unlock()
			return nil
		}, nightly)
	}

	var arrived sync.WaitGroup
	arrived.Add(2)
	for _, id := range []string{"shared-job/run-41", "shared-job/run-42"} {
		_ = p.Go(func(context.Context) error {
			arrived.Done()
			arrived.Wait() // returns only once both instances run at once
			return nil
		}, pool.Name(id))
	}

	_ = p.Wait()
	fmt.Println("nightly-export runs, in order:", order)
	fmt.Println("both instances ran side by side")
	// Output:
	// nightly-export runs, in order: [1 2 3]
	// both instances ran side by side
}

// Table locks: a task declares the tables it writes; tasks sharing a table
// never overlap, whatever order the tables are named in.
func ExampleResources() {
	p, _ := pool.New(pool.MaxWorkers(8))
	defer func() { _ = p.Close() }() // Wait has reported the tasks' errors: Close has none left to report

	var onCustomers, most atomic.Int32
	write := func(context.Context) error {
		n := onCustomers.Add(1)
		if n > most.Load() {
			most.Store(n)
		}
		onCustomers.Add(-1)
		return nil
	}
	for range 50 {
		_ = p.Go(write, pool.Resources("orders", "customers"))
		_ = p.Go(write, pool.Resources("customers", "invoices"))
	}
	_ = p.Wait()
	fmt.Println("most tasks writing customers at once:", most.Load())
	// Output:
	// most tasks writing customers at once: 1
}

// Overflow policies say what becomes of a task whose name is busy: here a
// cache refresh keeps only the latest request waiting, and a report drops
// requests that arrive while one runs. Every task still ends in a state
// that says what happened.
func ExampleNameOverflow() {
	p, _ := pool.New(
		pool.NameOverflow("refresh", pool.KeepLatest),
		pool.NameOverflow("report", pool.DropNewest),
	)
	defer func() { _ = p.Close() }() // Wait has reported the tasks' errors: Close has none left to report
	ctx := context.Background()

	release := make(chan struct{})
	running := make(chan struct{}, 2)
	busy := func(context.Context) error { running <- struct{}{}; <-release; return nil }
	quick := func(context.Context) error { return nil }

	_, _ = p.Submit(ctx, busy, pool.Name("refresh"))
	_, _ = p.Submit(ctx, busy, pool.Name("report"))
	<-running
	<-running

	older, _ := p.Submit(ctx, quick, pool.Name("refresh"))
	latest, _ := p.Submit(ctx, quick, pool.Name("refresh"))
	extra, _ := p.Submit(ctx, quick, pool.Name("report"))
	close(release)
	_ = p.Wait()

	fmt.Println("older refresh:", older.State(), errors.Is(older.Err(), pool.ErrReplaced))
	fmt.Println("latest refresh:", latest.State())
	fmt.Println("extra report:", extra.State(), errors.Is(extra.Err(), pool.ErrDropped))
	fmt.Println("dropped or replaced:", p.Stats().Dropped)
	// Output:
	// older refresh: Skipped true
	// latest refresh: Succeeded
	// extra report: Skipped true
	// dropped or replaced: 2
}
