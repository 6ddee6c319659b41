package parallel_test

// Examples for users coming from errgroup and conc: each shows one place
// where braid behaves differently, and how to get the behaviour they know.
// The package documentation's section "Coming from errgroup or conc"
// lists them.

import (
	"context"
	"errors"
	"fmt"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// errgroup's Go blocks when the limit is reached; braid's pool.Go (and a
// group's Add) queue instead, so a loop of submits never stalls its
// caller. For backpressure, bound the queue: pool.Go then blocks while it
// is full, and TryGo refuses, as here.
func Example_migrateGoQueues() {
	p, _ := pool.New(pool.MaxWorkers(1), pool.QueueSize(1))
	release := make(chan struct{})
	_ = p.Go(func(context.Context) error { <-release; return nil }) // runs
	_ = p.Go(func(context.Context) error { return nil })            // queued: the queue is full now
	fmt.Println("TryGo:", p.TryGo(func(context.Context) error { return nil }))
	close(release)
	fmt.Println("Wait:", p.Wait())
	// Output:
	// TryGo: pool: queue full
	// Wait: <nil>
}

// errgroup's SetLimit(0) lets nothing run and a negative limit means none;
// in braid 0 means no limit and a negative limit is an error.
func Example_migrateLimits() {
	g := parallel.NewGroup[int](parallel.MaxWorkers(-1))
	g.Add("a", func(context.Context) (int, error) { return 1, nil })
	_, err := g.Run(context.Background())
	fmt.Println(errors.Is(err, parallel.ErrInvalid))
	_, err = parallel.Map(context.Background(), []int{1, 2, 3}, func(_ context.Context, n int) (int, error) { return n, nil },
		parallel.MaxWorkers(0)) // all at once
	fmt.Println(err)
	// Output:
	// true
	// <nil>
}

// errgroup returns the first error. A braid group under wait_all (the
// default) runs every task and joins every error; fail_fast returns the
// first and stops the rest, as errgroup.WithContext does.
func Example_migrateErrors() {
	run := func(s strategy.Strategy) error {
		g := parallel.NewGroup[int](parallel.WithStrategy(s), parallel.MaxWorkers(1))
		g.Add("a", func(context.Context) (int, error) { return 0, errors.New("a broke") })
		g.Add("b", func(context.Context) (int, error) { return 0, errors.New("b broke") })
		_, err := g.Run(context.Background())
		return err
	}
	fmt.Printf("wait_all: %q\n", run(strategy.WaitAll()))
	fmt.Printf("fail_fast: %q\n", run(strategy.FailFast()))
	// Output:
	// wait_all: "task \"a\": a broke\ntask \"b\": b broke"
	// fail_fast: "task \"a\": a broke"
}

// errgroup.WithContext is Start with fail_fast: tasks are added while the
// group runs, and the context ends at the first failure, with that failure
// as its cause.
func Example_migrateWithContext() {
	g, ctx := parallel.Start[int](context.Background(), parallel.WithStrategy(strategy.FailFast()))
	for _, url := range []string{"a", "b"} {
		g.Add(url, func(ctx context.Context) (int, error) {
			if url == "b" {
				return 0, errors.New("fetch b: 404")
			}
			<-ctx.Done() // a slow fetch, stopped by the failure
			return 0, ctx.Err()
		})
	}
	<-ctx.Done()
	_, err := g.Wait()
	fmt.Println(context.Cause(ctx))
	fmt.Println(err)
	// Output:
	// task "b": fetch b: 404
	// task "b": fetch b: 404
}

// conc re-panics a task's panic in Wait; braid returns it as an error that
// keeps the value and the stack, and counts it as a failure. Panics finds
// every one of them.
func Example_migratePanics() {
	g := parallel.NewGroup[int]()
	g.Add("a", func(context.Context) (int, error) { panic("first") })
	g.Add("b", func(context.Context) (int, error) { panic("second") })
	_, err := g.Run(context.Background())
	for _, pe := range pool.Panics(err) {
		fmt.Println("panic:", pe.Value, len(pe.Stack) > 0)
	}
	// Output:
	// panic: first true
	// panic: second true
}

// Under fail_fast a task that never started never runs at all: its defers
// do not run either. Cleanup that must happen belongs outside the task, or
// in a task that runs whatever happens (a later plan step under
// best_effort).
func Example_migrateSkippedTasks() {
	g := parallel.NewGroup[int](parallel.WithStrategy(strategy.FailFast()), parallel.MaxWorkers(1))
	g.Add("fails", func(context.Context) (int, error) { return 0, errors.New("boom") })
	g.Add("never", func(context.Context) (int, error) {
		defer fmt.Println("this defer never runs")
		return 1, nil
	})
	res, _ := g.Run(context.Background())
	r, _ := res.Get("never")
	fmt.Println(r.State)
	// Output: Skipped
}

// conc's iter.Map returns a slice; a braid group's results are by task ID
// (Get), in the order added (All, Values). Map returns the slice.
func Example_migrateResults() {
	g := parallel.NewGroup[string]()
	g.Add("eu", func(context.Context) (string, error) { return "eu report", nil })
	g.Add("us", func(context.Context) (string, error) { return "us report", nil })
	res, _ := g.Run(context.Background())
	us, _ := res.Get("us")
	fmt.Println(us.Output, "|", res.Values())
	// Output: us report | [eu report us report]
}
