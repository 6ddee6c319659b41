package parallel_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

func work(context.Context) error { return nil }

// The seed's thread table: blocks run one after another, the members of a
// block together.
func ExamplePlan() {
	plan := parallel.NewPlan(parallel.MaxWorkers(4)).Add(
		parallel.Do("extract", work),                       // No
		parallel.Do("users", work, parallel.ThreadYes),     // Yes
		parallel.Do("orders", work, parallel.ThreadYes),    // Yes
		parallel.Do("products", work, parallel.ThreadJoin), // Join: closes the block
		parallel.Do("report", work, parallel.ThreadYes),    // Yes
		parallel.Do("email", work, parallel.ThreadYes),     // Yes
		parallel.Do("archive", work),                       // No: ends the block
	)
	text, _ := plan.Describe()
	fmt.Print(text)
	res, err := plan.Run(context.Background())
	fmt.Println(len(res.Outputs()), "steps succeeded, error:", err)
	// Output:
	// 1. extract
	// 2. users | orders | products
	// 3. report | email
	// 4. archive
	// 7 steps succeeded, error: <nil>
}

// A threaded Inline step whose plan starts with threaded steps extends the
// enclosing block into them; one whose plan starts with a No step runs
// that plan as a single member.
func ExampleInline() {
	reports := parallel.NewPlan().Add(
		parallel.Do("pdf", work, parallel.ThreadYes),
		parallel.Do("csv", work, parallel.ThreadJoin),
		parallel.Do("upload", work),
	)
	audit := parallel.NewPlan(parallel.MaxWorkers(1)).Add(
		parallel.Do("scan", work),
		parallel.Do("diff", work),
	)
	plan := parallel.NewPlan().Add(
		parallel.Do("load", work, parallel.ThreadYes),
		parallel.Inline("reports", reports, parallel.ThreadYes),
		parallel.Do("index", work, parallel.ThreadYes),
		parallel.Inline("audit", audit, parallel.ThreadJoin),
	)
	text, _ := plan.Describe()
	fmt.Print(text)
	// Output:
	// 1. load | reports/pdf | reports/csv
	// 2. reports/upload
	// 3. index | audit
	//    3.1. audit/scan
	//    3.2. audit/diff
}

// A broadcast runs one function over its inputs, here two at a time. Under
// best_effort one bad row does not stop the others, nor the plan.
func ExampleBroadcast() {
	rows := []string{"alpha", "beta", "", "delta"}
	plan := parallel.NewPlan(parallel.WithStrategy(strategy.BestEffort())).Add(
		parallel.Broadcast("rows", rows, func(_ context.Context, row string) error {
			if row == "" {
				return errors.New("empty row")
			}
			return nil
		}, parallel.Parallelism(2)),
		parallel.Do("summary", work),
	)
	res, err := plan.Run(context.Background())
	for _, r := range res.All() {
		fmt.Println(r.ID, r.State, r.Err)
	}
	fmt.Println("error:", err)
	// Output:
	// rows[0] Succeeded <nil>
	// rows[1] Succeeded <nil>
	// rows[2] Failed empty row
	// rows[3] Succeeded <nil>
	// summary Succeeded <nil>
	// error: <nil>
}

// Validation finds every problem before anything runs.
func ExamplePlan_Validate() {
	loop := parallel.NewPlan()
	loop.Add(parallel.Do("step", work), parallel.Inline("again", loop))
	plan := parallel.NewPlan(parallel.MaxWorkers(-1)).Add(
		parallel.Do("load", work),
		parallel.Do("load", work),
		parallel.Do("save", nil),
		parallel.Inline("loop", loop),
	)
	err := plan.Validate()
	fmt.Println(err)
	fmt.Println(errors.Is(err, parallel.ErrCycle))
	// Output:
	// plan: parallel: invalid option: MaxWorkers(-1): the limit must be >= 0
	// step "load": parallel: duplicate task ID
	// step "save": parallel: step has no function or plan
	// step "loop/again": parallel: plan inlines itself
	// true
}

// Run middleware sees the plan's run and each block; task middleware each
// step, with the plan's name and the step's path.
func ExampleWithRunMiddleware() {
	runs := func(ctx context.Context, info parallel.RunInfo, next func(context.Context) error) error {
		if info.Block == 0 {
			fmt.Println("plan", info.Group, "runs", info.IDs)
		} else {
			fmt.Println("  block", info.Block, info.IDs)
		}
		return next(ctx)
	}
	steps := func(ctx context.Context, info pool.TaskInfo, next func(context.Context) error) error {
		fmt.Println("    step", info.ID, "of", info.Group)
		return next(ctx)
	}
	plan := parallel.NewPlan(parallel.Label("nightly"), parallel.MaxWorkers(1),
		parallel.WithRunMiddleware(runs), parallel.WithMiddleware(steps)).Add(
		parallel.Do("extract", work),
		parallel.Do("users", work, parallel.ThreadYes),
		parallel.Do("orders", work, parallel.ThreadJoin),
	)
	_, err := plan.Run(context.Background())
	fmt.Println("error:", err)
	// Output:
	// plan nightly runs [extract users orders]
	//   block 1 [extract]
	//     step extract of nightly
	//   block 2 [users orders]
	//     step users of nightly
	//     step orders of nightly
	// error: <nil>
}
