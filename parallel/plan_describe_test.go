package parallel_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
)

// TestDescribeGolden: one line per unit, members of a block joined by
// " | ", inlined plans by path, plans run as one member listed under it.
func TestDescribeGolden(t *testing.T) {
	t.Parallel()
	reports := parallel.NewPlan().Add(
		parallel.Do("pdf", ok, parallel.ThreadYes),
		parallel.Do("csv", ok, parallel.ThreadJoin),
		parallel.Do("archive", ok),
	)
	deep := parallel.NewPlan().Add(parallel.Do("one", ok), parallel.Do("two", ok))
	audit := parallel.NewPlan().Add(
		parallel.Do("scan", ok),
		parallel.Do("diff", ok, parallel.ThreadYes),
		parallel.Inline("deep", deep, parallel.ThreadJoin),
	)
	plan := parallel.NewPlan().Add(
		parallel.Do("extract", ok),
		parallel.Do("users", ok, parallel.ThreadYes),
		parallel.Do("orders", ok, parallel.ThreadYes),
		parallel.Inline("reports", reports, parallel.ThreadYes),
		parallel.Inline("audit", audit),
		parallel.Do("lone", ok, parallel.ThreadYes),
		parallel.Do("join", ok, parallel.ThreadJoin),
		parallel.Broadcast("rows", []int{1, 2, 3, 4, 5}, noRow, parallel.Parallelism(2), parallel.ThreadYes),
		parallel.Broadcast("regions", []string{"eu", "us"}, noRegion, parallel.ThreadYes),
		parallel.Do("notify", ok),
	)
	got, err := plan.Describe()
	require.NoError(t, err)
	require.Equal(t, `1. extract
2. users | orders | reports/pdf | reports/csv
3. reports/archive
4. audit
   4.1. audit/scan
   4.2. audit/diff | audit/deep
      4.2.1. audit/deep/one
      4.2.2. audit/deep/two
5. lone | join
6. rows (5 inputs, 2 at a time) | regions (2 inputs, one at a time)
7. notify
`, got.String())

	// The same, as data.
	require.Len(t, got, 7)
	require.Equal(t, []string{"users", "orders", "reports/pdf", "reports/csv"}, steps(got[1]))
	am := got[3].Members[0]
	require.Equal(t, "audit", am.Step)
	require.Len(t, am.Plan, 2)
	require.Equal(t, []string{"audit/diff", "audit/deep"}, steps(am.Plan[1]))
	require.Len(t, am.Plan[1].Members[1].Plan, 2, "audit/deep runs its own plan as one member")
	rows := got[5].Members[0]
	require.Equal(t, parallel.Member{Step: "rows", Broadcast: true, Inputs: 5, Parallelism: 2}, rows)
	require.Nil(t, got[6].Members[0].Plan)
}

func steps(b parallel.Block) []string {
	var out []string
	for _, m := range b.Members {
		out = append(out, m.Step)
	}
	return out
}
