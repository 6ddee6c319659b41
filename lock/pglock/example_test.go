package pglock_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/braid-go/braid/lock"
	"github.com/braid-go/braid/lock/pglock"
	"github.com/braid-go/braid/pool"
)

// A named mutex across processes: while one replica holds the job's name,
// another is refused it; every acquisition has a larger fencing token.
func ExampleLocker() {
	ctx := context.Background()
	dsn := os.Getenv("BRAID_PG_DSN") // e.g. "host=/run/postgresql dbname=app"
	replicaA, err := pglock.Open(ctx, dsn)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The example is over when these run: closing only lets the connections go.
	defer func() { _ = replicaA.Close() }()
	replicaB, err := pglock.Open(ctx, dsn) // as another process would
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = replicaB.Close() }()

	lease, err := replicaA.Acquire(ctx, "nightly-export")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = replicaB.TryAcquire("nightly-export")
	fmt.Println("B while A runs the export:", errors.Is(err, lock.ErrBusy))
	first := lease.Token()
	_ = lease.Release()

	lease, err = replicaB.TryAcquire("nightly-export")
	fmt.Println("B after A released:", err)
	fmt.Println("token grew:", lease.Token() > first)
	_ = lease.Release()
	// Output:
	// B while A runs the export: true
	// B after A released: <nil>
	// token grew: true
}

// Switching a pool from in-process names to PostgreSQL names is one
// option: tasks of one name then run one at a time across every replica
// with the same option, and a task whose lease is lost is cancelled with
// lock.ErrLost.
func ExampleLocker_pool() {
	ctx := context.Background()
	names, err := pglock.Open(ctx, os.Getenv("BRAID_PG_DSN"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = names.Close() }() // the example is over: closing only lets its connections go

	p, err := pool.New(pool.MaxWorkers(8), pool.NameLocker(names))
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range 3 {
		err := p.Go(func(ctx context.Context) error {
			fmt.Println("export run", i) // one at a time, in submission order
			return nil
		}, pool.Name("nightly-export"))
		if err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println("wait:", p.Wait())
	// Output:
	// export run 0
	// export run 1
	// export run 2
	// wait: <nil>
}

// A cluster-wide limit: at most 3 runs against the engine at once, summed
// over every process; a request takes its slots all at once or none.
func ExampleSemaphore() {
	ctx := context.Background()
	l, err := pglock.Open(ctx, os.Getenv("BRAID_PG_DSN"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = l.Close() }() // the example is over: closing only lets its connections go
	engine, err := l.NewSemaphore("engine-runs", 3)
	if err != nil {
		fmt.Println(err)
		return
	}

	big, _ := engine.Acquire(ctx, 2)
	_, err = engine.TryAcquire(2)
	fmt.Println("2 more while 2 are held:", errors.Is(err, lock.ErrBusy))
	one, err := engine.TryAcquire(1)
	fmt.Println("1 more:", err)
	_ = one.Release()
	_ = big.Release()
	// Output:
	// 2 more while 2 are held: true
	// 1 more: <nil>
}
