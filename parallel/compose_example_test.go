package parallel_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// Map processes items at most K at a time, keeps their order, and stops at
// the first error (fail_fast is Map's default).
func ExampleMap() {
	words := []string{"braid", "runs", "tasks"}
	lengths, err := parallel.Map(context.Background(), words, func(_ context.Context, w string) (int, error) {
		return len(w), nil
	}, parallel.MaxWorkers(2))
	fmt.Println(lengths, err)
	// Output: [5 4 5] <nil>
}

// PerItem derives each item's task options from the item: here orders of
// one customer run one at a time, in order, while customers run side by
// side.
func ExamplePerItem() {
	type order struct{ customer, id string }
	orders := []order{{"ann", "o1"}, {"bob", "o2"}, {"ann", "o3"}}
	receipts, err := parallel.Map(context.Background(), orders, func(_ context.Context, o order) (string, error) {
		return o.customer + "/" + o.id, nil
	}, parallel.MaxWorkers(4), parallel.PerItem(func(o order) pool.TaskOption { return pool.Name(o.customer) }))
	fmt.Println(receipts, err)
	// Output: [ann/o1 bob/o2 ann/o3] <nil>
}

// Group tasks take the pool's task options: a name serialises the tasks
// of one customer, and the result splits blocked, waiting and running time.
func ExampleGroup_Add() {
	g := parallel.NewGroup[string](parallel.MaxWorkers(2))
	for _, id := range []string{"a1", "a2", "b1"} {
		customer := id[:1]
		g.Add(id, func(context.Context) (string, error) { return "done " + id, nil }, pool.Name(customer))
	}
	res, err := g.Run(context.Background())
	fmt.Println(res.Values(), err)
	// Output: [done a1 done a2 done b1] <nil>
}

// Start is errgroup.WithContext's shape: tasks are added while the group
// runs, from anywhere, tasks included, and the group's context ends at the
// first failure, with that failure as its cause.
func ExampleStart() {
	g, ctx := parallel.Start[int](context.Background(), parallel.WithStrategy(strategy.FailFast()))
	g.Add("parse", func(context.Context) (int, error) { return 0, errors.New("bad input") })
	<-ctx.Done()
	fmt.Println("cause:", context.Cause(ctx))
	_, err := g.Wait()
	fmt.Println("wait:", err)
	// Output:
	// cause: task "parse": bad input
	// wait: task "parse": bad input
}

// A step's typed output reaches later steps and the caller; each run of
// the plan keeps its own.
func ExampleProduce() {
	rows := parallel.NewOutput[int]("rows")
	plan := parallel.NewPlan().Add(
		parallel.Produce("count", rows, func(context.Context) (int, error) { return 42, nil }),
		parallel.Do("report", func(ctx context.Context) error {
			n, _ := rows.From(ctx)
			fmt.Println("report sees", n, "rows")
			return nil
		}),
	)
	res, err := plan.Run(context.Background())
	n, ok := rows.In(res)
	fmt.Println("caller sees", n, ok, err)
	// Output:
	// report sees 42 rows
	// caller sees 42 true <nil>
}

// Describe returns the plan's blocks as data; String renders them.
func ExamplePlan_Describe() {
	work := func(context.Context) error { return nil }
	plan := parallel.NewPlan().Add(
		parallel.Do("extract", work),
		parallel.Do("users", work, parallel.ThreadYes),
		parallel.Do("orders", work, parallel.ThreadJoin),
		parallel.Broadcast("rows", []int{1, 2, 3}, func(context.Context, int) error { return nil }, parallel.Parallelism(2)),
	)
	desc, _ := plan.Describe()
	fmt.Println(len(desc), "units; the second runs", len(desc[1].Members), "steps together")
	fmt.Print(desc)
	// Output:
	// 3 units; the second runs 2 steps together
	// 1. extract
	// 2. users | orders
	// 3. rows (3 inputs, 2 at a time)
}

// TaskOptions gives a plan step a name, resources, priority: here two
// steps of one block that write the same table never overlap.
func ExampleTaskOptions() {
	var log strings.Builder
	write := func(s string) func(context.Context) error {
		return func(context.Context) error { log.WriteString(s); return nil }
	}
	plan := parallel.NewPlan().Add(
		parallel.Do("load-a", write("a"), parallel.ThreadYes, parallel.TaskOptions(pool.Resources("table"))),
		parallel.Do("load-b", write("b"), parallel.ThreadJoin, parallel.TaskOptions(pool.Resources("table"))),
	)
	_, err := plan.Run(context.Background())
	fmt.Println(len(log.String()), err)
	// Output: 2 <nil>
}

// Label names a group in its tasks' events; it changes nothing about how
// they run (a name that serialises is pool.Name, given to each task).
func ExampleLabel() {
	var seen []string
	g := parallel.NewGroup[int](parallel.Label("quotes"), parallel.MaxWorkers(1),
		parallel.OnEvent(func(e pool.Event) {
			if e.Final() {
				seen = append(seen, e.Group+"/"+e.ID)
			}
		}))
	g.Add("eu", func(context.Context) (int, error) { return 1, nil })
	g.Add("us", func(context.Context) (int, error) { return 2, nil })
	_, err := g.Run(context.Background())
	fmt.Println(seen, err)
	// Output: [quotes/eu quotes/us] <nil>
}

// OnServer places a step on the pools a plan's Selector gives for its key
// ("servers"): here the report runs on the reporting pool, and the step
// without a key on the plan's own.
func ExampleOnServer() {
	reporting, _ := pool.New(pool.MaxWorkers(2))
	plan := parallel.NewPlan(parallel.OnServers(func(key string) []*pool.Pool {
		if key == "reports" {
			return []*pool.Pool{reporting}
		}
		return nil
	})).Add(
		parallel.Do("pdf", func(context.Context) error { return nil }, parallel.OnServer("reports")),
		parallel.Do("notify", func(context.Context) error { return nil }),
	)
	res, err := plan.Run(context.Background())
	fmt.Println(res.Count(pool.Succeeded), err, "ran on the reporting pool:", reporting.Stats().Succeeded)
	_ = reporting.Close() // every step has ended
	// Output: 2 <nil> ran on the reporting pool: 1
}
