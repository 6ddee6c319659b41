package lock_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/braid-go/braid/lock"
)

// A keyed mutex: one deployment per service at a time, different services
// in parallel.
func ExampleNames() {
	deploys, _ := lock.NewNames()
	ctx := context.Background()

	billing, _ := deploys.Acquire(ctx, "billing")
	_, err := deploys.TryAcquire("billing")
	fmt.Println("second billing deploy:", err)

	search, err := deploys.TryAcquire("search")
	fmt.Println("search deploy:", err)

	_ = billing.Release()
	_ = search.Release()
	// Output:
	// second billing deploy: lock: busy
	// search deploy: <nil>
}

// The caller picks the key: the job's name serialises its runs, a unique
// instance ID lets them run side by side.
func ExampleNames_instanceKeys() {
	runs, _ := lock.NewNames()

	first, _ := runs.TryAcquire("nightly-export")
	_, err := runs.TryAcquire("nightly-export")
	fmt.Println("same job name:", errors.Is(err, lock.ErrBusy))

	a, _ := runs.TryAcquire("shared-job/instance-1")
	b, err := runs.TryAcquire("shared-job/instance-2")
	fmt.Println("unique instance IDs:", err)

	for _, l := range []lock.Lease{first, a, b} {
		_ = l.Release()
	}
	// Output:
	// same job name: true
	// unique instance IDs: <nil>
}

// Table locks: a task that writes several tables takes all of their locks
// at once, in any order, without deadlock.
func ExampleNames_AcquireAll() {
	tables, _ := lock.NewNames()
	ctx := context.Background()

	load, _ := tables.AcquireAll(ctx, "orders", "customers")
	_, err := tables.TryAcquireAll("customers", "invoices")
	fmt.Println("overlapping task:", err)
	other, err := tables.TryAcquireAll("invoices")
	fmt.Println("disjoint task:", err)

	_ = load.Release()
	_ = other.Release()
	fmt.Println("names left in the table:", tables.Len())
	// Output:
	// overlapping task: lock: busy
	// disjoint task: <nil>
	// names left in the table: 0
}

// Identical runs may proceed in parallel only where allowed: here two at a
// time for one job.
func ExampleNameLimit() {
	runs, _ := lock.NewNames(lock.NameLimit("thumbnails", 2))
	a, _ := runs.TryAcquire("thumbnails")
	b, _ := runs.TryAcquire("thumbnails")
	_, err := runs.TryAcquire("thumbnails")
	fmt.Println(err)
	_, _ = a.Release(), b.Release()
	// Output: lock: busy
}

func ExampleSemaphore() {
	connections, _ := lock.NewSemaphore(10)
	bulk, _ := connections.Acquire(context.Background(), 8)
	_, err := connections.TryAcquire(3)
	fmt.Println(err)
	_ = bulk.Release()
	// Output: lock: busy
}
