package pool_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/braid-go/braid/pool"
)

// Middleware that logs each task with its identity, around the task.
func ExampleWithMiddleware() {
	logTasks := func(ctx context.Context, info pool.TaskInfo, next func(context.Context) error) error {
		fmt.Printf("%s/%s: start\n", info.Group, info.ID)
		err := next(ctx)
		fmt.Printf("%s/%s: end, err=%v\n", info.Group, info.ID, err)
		return err
	}
	p, err := pool.New(pool.MaxWorkers(1), pool.WithMiddleware(logTasks))
	if err != nil {
		panic(err)
	}
	defer func() { _ = p.Close() }() // Wait has reported the tasks' errors: Close has none left to report

	_ = p.Go(func(context.Context) error { return nil }, pool.Label("nightly", "extract"))
	_ = p.Go(func(context.Context) error { return errors.New("disk full") }, pool.Label("nightly", "load"))
	fmt.Println("Wait:", p.Wait())
	// Output:
	// nightly/extract: start
	// nightly/extract: end, err=<nil>
	// nightly/load: start
	// nightly/load: end, err=disk full
	// Wait: disk full
}

// A task that fails twice, then succeeds, run with Retry. Its events show
// each wait (Blocked, with the failed attempt's error) and each attempt.
func ExampleRetry() {
	retry := pool.Retry(pool.RetryPolicy{Attempts: 5, Backoff: time.Millisecond, Jitter: 0.2})
	show := func(e pool.Event) {
		switch {
		case e.Attempt > 0:
			fmt.Println(e.State, "attempt", e.Attempt)
		case e.Err != nil:
			fmt.Println(e.State, e.Err)
		default:
			fmt.Println(e.State)
		}
	}
	p, err := pool.New(pool.WithMiddleware(retry), pool.OnEvent(show))
	if err != nil {
		panic(err)
	}
	defer func() { _ = p.Close() }() // Wait has reported the tasks' errors: Close has none left to report

	calls := 0
	_ = p.Go(func(context.Context) error {
		calls++
		if calls < 3 {
			return errors.New("connection reset")
		}
		return nil
	})
	fmt.Println("Wait:", p.Wait())
	// Output:
	// Waiting
	// Running
	// Blocked connection reset
	// Running attempt 2
	// Blocked connection reset
	// Running attempt 3
	// Succeeded
	// Wait: <nil>
}
