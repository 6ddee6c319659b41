package parallel_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// TestPlanValidation: each problem is a *PlanError naming the step, with
// the sentinel to branch on; Run, Describe and Validate all report it, and
// nothing runs.
func TestPlanValidation(t *testing.T) {
	t.Parallel()
	var ran atomic.Int32
	f := func(context.Context) error { ran.Add(1); return nil }
	each := func(context.Context, int) error { ran.Add(1); return nil }
	server, err := pool.New()
	require.NoError(t, err)
	defer func() { _ = server.Close() }() // nothing runs on it: validation fails first
	servers := func(string) []*pool.Pool { return []*pool.Pool{server} }

	self := parallel.NewPlan()
	self.Add(parallel.Do("a", f), parallel.Inline("self", self))
	one, two := parallel.NewPlan(), parallel.NewPlan()
	one.Add(parallel.Do("a", f), parallel.Inline("two", two))
	two.Add(parallel.Do("b", f), parallel.Inline("back", one))

	for name, tc := range map[string]struct {
		plan *parallel.Plan
		step string
		want error
	}{
		"empty name":            {parallel.NewPlan().Add(parallel.Do("a", f), parallel.Do("", f)), "#2", parallel.ErrEmptyID},
		"duplicate name":        {parallel.NewPlan().Add(parallel.Do("a", f), parallel.Do("a", f)), "a", parallel.ErrDuplicateID},
		"name like a path":      {parallel.NewPlan().Add(parallel.Broadcast("b", []int{1}, each), parallel.Do("b[0]", f)), "b[0]", parallel.ErrInvalid},
		"name with a slash":     {parallel.NewPlan().Add(parallel.Do("load/users", f)), "load/users", parallel.ErrInvalid},
		"nil function":          {parallel.NewPlan().Add(parallel.Do("a", nil)), "a", parallel.ErrNilStep},
		"nil plan":              {parallel.NewPlan().Add(parallel.Inline("a", nil)), "a", parallel.ErrNilStep},
		"nil broadcast":         {parallel.NewPlan().Add(parallel.Broadcast[int]("a", []int{1}, nil)), "a", parallel.ErrNilStep},
		"zero step":             {parallel.NewPlan().Add(parallel.Do("a", f), parallel.Step{}), "#2", parallel.ErrEmptyID},
		"negative max threads":  {parallel.NewPlan(parallel.MaxWorkers(-1)).Add(parallel.Do("a", f)), "", parallel.ErrInvalid},
		"nested max threads":    {parallel.NewPlan().Add(parallel.Inline("in", parallel.NewPlan(parallel.MaxWorkers(-2)).Add(parallel.Do("a", f)))), "in", parallel.ErrInvalid},
		"negative parallelism":  {parallel.NewPlan().Add(parallel.Broadcast("b", []int{1}, each, parallel.Parallelism(-1))), "b", parallel.ErrInvalid},
		"parallelism on a step": {parallel.NewPlan().Add(parallel.Do("a", f, parallel.Parallelism(2))), "a", parallel.ErrInvalid},
		"label on an inline":    {parallel.NewPlan().Add(parallel.Inline("in", parallel.NewPlan().Add(parallel.Do("a", f)), parallel.OnServer("etl"))), "in", parallel.ErrInvalid},
		"unknown thread value":  {parallel.NewPlan().Add(parallel.Do("a", f, parallel.Thread(7))), "a", parallel.ErrInvalid},
		"inlines itself":        {self, "self", parallel.ErrCycle},
		"inlines itself via":    {one, "two/back", parallel.ErrCycle},
		"empty plan":            {parallel.NewPlan(), "", parallel.ErrEmptyPlan},
		"empty inlined plan":    {parallel.NewPlan().Add(parallel.Inline("in", parallel.NewPlan())), "in", parallel.ErrEmptyPlan},
		"race":                  {parallel.NewPlan(parallel.WithStrategy(strategy.Race())).Add(parallel.Do("a", f)), "", parallel.ErrInvalid},
		"bad tolerance":         {parallel.NewPlan(parallel.WithStrategy(strategy.BestEffort().Tolerate(-1))).Add(parallel.Do("a", f)), "", parallel.ErrInvalid},
		"pool and servers":      {parallel.NewPlan(parallel.OnPool(server), parallel.OnServers(servers)).Add(parallel.Do("a", f)), "", parallel.ErrInvalid},
		"nil selector":          {parallel.NewPlan(parallel.OnServers(nil)).Add(parallel.Do("a", f)), "", parallel.ErrInvalid},
		"sticky alone":          {parallel.NewPlan(parallel.Sticky()).Add(parallel.Do("a", f)), "", parallel.ErrInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.plan.Validate()
			require.ErrorIs(t, err, tc.want)
			var pe *parallel.PlanError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.step, pe.Step)

			res, runErr := tc.plan.Run(t.Context())
			require.Nil(t, res)
			require.Equal(t, err, runErr)
			text, descErr := tc.plan.Describe()
			require.Empty(t, text)
			require.Equal(t, err, descErr)
		})
	}
	require.Zero(t, ran.Load(), "a plan that fails validation runs nothing")
}

// TestPlanValidationReportsEverything: every problem, in plan order.
func TestPlanValidationReportsEverything(t *testing.T) {
	t.Parallel()
	plan := parallel.NewPlan().Add(
		parallel.Do("", ok),
		parallel.Do("x", nil),
		parallel.Inline("in", parallel.NewPlan()),
	)
	err := plan.Validate()
	require.EqualError(t, err, `step "#1": parallel: empty task ID`+"\n"+
		`step "x": parallel: step has no function or plan`+"\n"+
		`step "in": parallel: plan has no steps`)
	require.EqualError(t, parallel.NewPlan().Validate(), "plan: parallel: plan has no steps")
}

// TestNamesAreScopedByPlan: the same name in different plans, and the same
// plan inlined twice, are fine: steps are addressed by path.
func TestNamesAreScopedByPlan(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	load := parallel.NewPlan().Add(parallel.Do("load", func(context.Context) error { n.Add(1); return nil }))
	plan := parallel.NewPlan().Add(
		parallel.Do("load", func(context.Context) error { n.Add(1); return nil }),
		parallel.Inline("eu", load, parallel.ThreadYes),
		parallel.Inline("us", load, parallel.ThreadYes),
	)
	res, err := plan.Run(t.Context())
	require.NoError(t, err)
	require.Equal(t, []string{"load", "eu/load", "us/load"}, ids(res))
	require.EqualValues(t, 3, n.Load())
	_, found := res.Get("us/load")
	require.True(t, found)
	require.NoError(t, parallel.NewPlan().Add(parallel.Inline("in", plan)).Validate())
}
