package parallel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// ready returns a task that waits for gate (if not nil) and then returns v
// and err, or gives up when cancelled.
func ready(gate <-chan struct{}, v string, err error) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		select {
		case <-gate:
			return v, err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

var (
	closed    = func() chan struct{} { c := make(chan struct{}); close(c); return c }()
	never     = make(chan struct{})
	errBroken = errors.New("broken")
)

func printStates(res *parallel.Results[string]) {
	for _, r := range res.All() {
		fmt.Printf("%s: %v %q\n", r.ID, r.State, r.Output)
	}
}

// wait_all runs every task to the end and fails if any failed.
func Example_waitAll() {
	g := parallel.NewGroup[string](parallel.MaxWorkers(3))
	g.Add("users", ready(closed, "42 users", nil))
	g.Add("orders", ready(closed, "", errBroken))
	g.Add("stock", ready(closed, "7 items", nil))
	res, err := g.Run(context.Background())
	printStates(res)
	fmt.Println("error:", err)
	// Output:
	// users: Succeeded "42 users"
	// orders: Failed ""
	// stock: Succeeded "7 items"
	// error: task "orders": broken
}

// fail_fast stops at the first failure: the task still waiting is cancelled.
func Example_failFast() {
	g := parallel.NewGroup[string](parallel.WithStrategy(strategy.FailFast()))
	started := make(chan struct{})
	g.Add("slow", func(ctx context.Context) (string, error) {
		close(started)
		return ready(never, "", nil)(ctx)
	})
	g.Add("broken", func(ctx context.Context) (string, error) {
		<-started
		return "", errBroken
	})
	res, err := g.Run(context.Background())
	printStates(res)
	fmt.Println("error:", err)
	// Output:
	// slow: Canceled ""
	// broken: Failed ""
	// error: task "broken": broken
}

// best_effort succeeds if any task did, and reports every failure.
func Example_bestEffort() {
	g := parallel.NewGroup[string](parallel.WithStrategy(strategy.BestEffort()))
	g.Add("eu", ready(closed, "eu report", nil))
	g.Add("us", ready(closed, "", errBroken))
	res, err := g.Run(context.Background())
	fmt.Println("error:", err)
	fmt.Println("outputs:", res.Outputs())
	for _, f := range res.Failed() {
		fmt.Println("failed:", f.ID, f.Err)
	}
	// Output:
	// error: <nil>
	// outputs: map[eu:eu report]
	// failed: us broken
}

// race takes the first success; a failure does not win.
func Example_race() {
	g := parallel.NewGroup[string](parallel.WithStrategy(strategy.Race()))
	backupStarted, primaryFailed := make(chan struct{}), make(chan struct{})
	g.Add("primary", func(ctx context.Context) (string, error) {
		<-backupStarted
		defer close(primaryFailed) // the primary fails first...
		return "", errBroken
	})
	g.Add("mirror", ready(primaryFailed, "quote from mirror", nil)) // ...the mirror wins
	g.Add("backup", func(ctx context.Context) (string, error) {
		close(backupStarted)
		return ready(never, "", nil)(ctx) // and the backup is cancelled
	})
	res, err := g.Run(context.Background())
	id, out, _ := res.Winner()
	fmt.Println(id, out, err)
	printStates(res)
	// Output:
	// mirror quote from mirror <nil>
	// primary: Failed ""
	// mirror: Succeeded "quote from mirror"
	// backup: Canceled ""
}

// A tolerance makes best_effort fail, and stop, once too many tasks failed.
func ExampleGroup_Run_tolerance() {
	g := parallel.NewGroup[string](
		parallel.WithStrategy(strategy.BestEffort().Tolerate(1)),
		parallel.MaxWorkers(1),
	)
	for _, id := range []string{"a", "b", "c", "d"} {
		fail := id == "a" || id == "b"
		g.Add(id, func(context.Context) (string, error) {
			if fail {
				return "", errBroken
			}
			return id, nil
		})
	}
	res, err := g.Run(context.Background())
	fmt.Println(errors.Is(err, strategy.ErrToleranceExceeded))
	fmt.Println(res.Count(pool.Failed), "failed,", res.Count(pool.Skipped), "skipped")
	// Output:
	// true
	// 2 failed, 2 skipped
}

func ExampleGroup_OnSuccess() {
	g := parallel.NewGroup[int]()
	for i, id := range []string{"x", "y", "z"} {
		g.Add(id, func(context.Context) (int, error) { return i * 10, nil })
	}
	g.OnSuccess(func(outputs map[string]int) {
		keys := make([]string, 0, len(outputs))
		for k := range outputs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Println(k, outputs[k])
		}
	})
	_, _ = g.Run(context.Background())
	// Output:
	// x 0
	// y 10
	// z 20
}

// Retry as group middleware: the flaky task fails once, is retried, and
// the fail_fast group, which sees only the final outcome, succeeds.
func ExampleWithMiddleware() {
	retry := pool.Retry(pool.RetryPolicy{Attempts: 3, Backoff: time.Millisecond})
	g := parallel.NewGroup[string](parallel.WithStrategy(strategy.FailFast()), parallel.WithMiddleware(retry))
	calls := 0
	g.Add("flaky", func(context.Context) (string, error) {
		calls++
		if calls == 1 {
			return "", errors.New("connection reset")
		}
		return "ok", nil
	})
	res, err := g.Run(context.Background())
	fmt.Println(res.Outputs(), "calls:", calls, "error:", err)
	// Output: map[flaky:ok] calls: 2 error: <nil>
}
