package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/braid-go/braid/lock/pglock/pgtest"
	"github.com/braid-go/braid/parallel/cluster"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// exampleDB returns a pool on a new, migrated database of the test
// server, for an example (which has no testing.T to skip or fail).
func exampleDB(name string) *pgxpool.Pool {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, os.Getenv(pgtest.EnvDSN))
	if err != nil {
		panic(err)
	}
	defer func() { _ = admin.Close(ctx) }() // the example has shown what it shows
	name = "example_" + name
	if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
		panic(err)
	}
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		panic(err)
	}
	cfg, err := pgxpool.ParseConfig(os.Getenv(pgtest.EnvDSN))
	if err != nil {
		panic(err)
	}
	cfg.ConnConfig.Database = name
	db, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		panic(err)
	}
	if err := cluster.Migrate(ctx, db); err != nil {
		panic(err)
	}
	return db
}

// A group runs on whichever replicas have free workers; its typed
// results come back by task ID, with the replica that ran each task.
func ExampleGroup() {
	ctx := context.Background()
	db := exampleDB("group")
	defer db.Close()
	// Every replica registers the same kinds: here kinds, which holds
	// kSquare, a func(ctx, int) (int, error).
	worker, err := cluster.Open(ctx, db, kinds, cluster.Replica("worker-1"), cluster.MaxWorkers(4))
	if err != nil {
		panic(err)
	}
	defer func() { _ = worker.Close() }()                            // the example has shown what it shows
	api, err := cluster.Open(ctx, db, kinds, cluster.Replica("api")) // submits only
	if err != nil {
		panic(err)
	}
	defer func() { _ = api.Close() }() // the example has shown what it shows

	g, err := cluster.NewGroup[int](api, cluster.WithStrategy(strategy.FailFast()))
	if err != nil {
		panic(err)
	}
	for i := 1; i <= 3; i++ {
		_ = g.Add(fmt.Sprint("square-", i), kSquare.Call(i))
	}
	res, err := g.Run(ctx)
	fmt.Println("group error:", err)
	for _, r := range res.All() {
		fmt.Println(r.ID, r.State, r.Output, "on", r.Replica, "attempt", r.Attempt)
	}
	// Output:
	// group error: <nil>
	// square-1 Succeeded 1 on worker-1 attempt 1
	// square-2 Succeeded 4 on worker-1 attempt 1
	// square-3 Succeeded 9 on worker-1 attempt 1
}

// A plan's thread block runs together and its broadcast row by row,
// across the cluster; a step's output comes back as JSON.
func ExamplePlan() {
	ctx := context.Background()
	db := exampleDB("plan")
	defer db.Close()
	n, err := cluster.Open(ctx, db, kinds, cluster.Replica("worker-1"), cluster.MaxWorkers(2))
	if err != nil {
		panic(err)
	}
	defer func() { _ = n.Close() }() // the example has shown what it shows

	p, err := cluster.NewPlan(n)
	if err != nil {
		panic(err)
	}
	p.Add(
		cluster.Do("a", kSquare.Call(2), cluster.ThreadYes),
		cluster.Do("b", kSquare.Call(3), cluster.ThreadJoin),
		cluster.Broadcast("rows", kSquare, []int{4, 5}),
	)
	res, err := p.Run(ctx)
	fmt.Println("plan error:", err)
	for _, r := range res.All() {
		fmt.Println(r.ID, string(r.Output))
	}
	// Output:
	// plan error: <nil>
	// a 4
	// b 9
	// rows[0] 16
	// rows[1] 25
}

// Tasks that share a name run one at a time, in submission order, across
// every replica.
func ExampleName() {
	ctx := context.Background()
	db := exampleDB("name")
	defer db.Close()
	n, err := cluster.Open(ctx, db, kinds, cluster.Replica("worker-1"), cluster.MaxWorkers(4))
	if err != nil {
		panic(err)
	}
	defer func() { _ = n.Close() }() // the example has shown what it shows
	var ids []cluster.TaskID
	for i := 1; i <= 3; i++ {
		id, err := cluster.Submit(ctx, n, kSquare.Call(i, cluster.Name("nightly-export")))
		if err != nil {
			panic(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		r, err := cluster.Wait[int](ctx, n, id)
		if err != nil {
			panic(err)
		}
		fmt.Println(r.Output, r.State)
	}
	// Output:
	// 1 Succeeded
	// 4 Succeeded
	// 9 Succeeded
}

// With KeepLatest, a task arriving while its name is busy takes the place
// of the one waiting: of three refreshes, the first runs, the second is
// replaced by the third, which runs next.
func ExampleNameOverflow() {
	ctx := context.Background()
	db := exampleDB("overflow")
	defer db.Close()
	n, err := cluster.Open(ctx, db, kinds, cluster.Replica("worker-1"), cluster.MaxWorkers(4))
	if err != nil {
		panic(err)
	}
	defer func() { _ = n.Close() }() // the example has shown what it shows

	g, err := cluster.NewGroup[int](n)
	if err != nil {
		panic(err)
	}
	for i := 1; i <= 3; i++ {
		_ = g.Add(fmt.Sprint("refresh-", i), kSquare.Call(i, cluster.Name("refresh"), cluster.NameOverflow(pool.KeepLatest)))
	}
	res, err := g.Run(ctx)
	fmt.Println("replaced:", errors.Is(err, cluster.ErrReplaced))
	for _, r := range res.All() {
		fmt.Println(r.ID, r.State)
	}
	// Output:
	// replaced: true
	// refresh-1 Succeeded
	// refresh-2 Skipped
	// refresh-3 Succeeded
}

// Prune deletes what ended before a horizon (here: now); Wait no longer
// finds it.
func ExamplePrune() {
	ctx := context.Background()
	db := exampleDB("prune")
	defer db.Close()
	n, err := cluster.Open(ctx, db, kinds, cluster.Replica("worker-1"), cluster.MaxWorkers(1))
	if err != nil {
		panic(err)
	}
	defer func() { _ = n.Close() }() // the example has shown what it shows

	id, err := cluster.Submit(ctx, n, kSquare.Call(7))
	if err != nil {
		panic(err)
	}
	r, _ := cluster.Wait[int](ctx, n, id)
	fmt.Println(r.Output, r.State)
	deleted, err := cluster.Prune(ctx, n, 0)
	fmt.Println("pruned:", deleted, err)
	_, err = cluster.Wait[int](ctx, n, id)
	fmt.Println(errors.Is(err, cluster.ErrNotFound))
	// Output:
	// 49 Succeeded
	// pruned: 1 <nil>
	// true
}
