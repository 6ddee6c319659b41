package parallel_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// finals records the final event of every task, by ID.
type finals struct {
	mu  sync.Mutex
	by  map[string]pool.Event
	all int
}

func (f *finals) hook(e pool.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.all++
	if e.Final() {
		if f.by == nil {
			f.by = make(map[string]pool.Event)
		}
		f.by[e.ID] = e
	}
}

func (f *finals) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id := range f.by {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func TestGroupEvents(t *testing.T) {
	t.Parallel()
	var f finals
	g := parallel.NewGroup[int](parallel.Label("quotes"), parallel.OnEvent(f.hook))
	boom := errors.New("boom")
	g.Add("a", func(context.Context) (int, error) { return 1, nil })
	g.Add("b", func(context.Context) (int, error) { return 0, boom })
	_, err := g.Run(t.Context())
	require.ErrorIs(t, err, boom)
	require.Equal(t, []string{"a", "b"}, f.ids())
	require.Equal(t, "quotes", f.by["a"].Group)
	require.Equal(t, pool.Succeeded, f.by["a"].State)
	require.Equal(t, pool.Failed, f.by["b"].State)
	require.Equal(t, 6, f.all, "Waiting, Running and a final state for each, delivered before Run returned")
}

func TestPlanEvents(t *testing.T) {
	t.Parallel()
	var f finals
	reports := parallel.NewPlan().Add(
		parallel.Do("pdf", func(context.Context) error { return nil }),
	)
	plan := parallel.NewPlan(parallel.Label("nightly"), parallel.OnEvent(f.hook)).Add(
		parallel.Do("extract", func(context.Context) error { return nil }),
		parallel.Inline("reports", reports),
	)
	_, err := plan.Run(t.Context())
	require.NoError(t, err)
	require.Contains(t, f.ids(), "extract")
	require.Contains(t, f.ids(), "reports/pdf")
	require.Equal(t, "nightly", f.by["reports/pdf"].Group)
}

// TestPlanStepsNeverStartedHaveEvents: a step skipped because an earlier
// one failed, one of an inlined plan included, still ends with a Skipped
// event, carrying its name, as the steps that ran do, under wait_all and
// fail_fast.
func TestPlanStepsNeverStartedHaveEvents(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, st := range []parallel.Option{parallel.WithStrategy(strategy.WaitAll()), parallel.WithStrategy(strategy.FailFast())} {
		var f finals
		inner := parallel.NewPlan().Add(parallel.Do("y", func(context.Context) error { return nil }))
		plan := parallel.NewPlan(parallel.Label("p"), parallel.OnEvent(f.hook), st).Add(
			parallel.Do("a", func(context.Context) error { return boom }),
			parallel.Do("b", func(context.Context) error { return nil }, parallel.TaskOptions(pool.Name("N"))),
			parallel.Inline("I", inner),
		)
		res, err := plan.Run(t.Context())
		require.ErrorIs(t, err, boom)
		require.Equal(t, []string{"I/y", "a", "b"}, f.ids())
		for _, id := range []string{"b", "I/y"} {
			r, _ := res.Get(id)
			require.Equal(t, pool.Skipped, r.State, id)
			require.Equal(t, pool.Skipped, f.by[id].State, id)
			require.Equal(t, "p", f.by[id].Group, id)
		}
		require.Equal(t, "N", f.by["b"].Name)
	}
}

func TestOnEventWithOnPoolIsInvalid(t *testing.T) {
	t.Parallel()
	p, err := pool.New()
	require.NoError(t, err)
	defer func() { _ = p.Close() }() // the test has checked what it needs; Close only lets the workers go
	_, err = parallel.NewGroup[int](parallel.OnPool(p), parallel.OnEvent(func(pool.Event) {})).Run(t.Context())
	require.ErrorIs(t, err, parallel.ErrInvalid)
	_, err = parallel.NewGroup[int](parallel.OnEvent(nil)).Run(t.Context())
	require.ErrorIs(t, err, parallel.ErrInvalid)
	plan := parallel.NewPlan(parallel.OnPool(p), parallel.OnEvent(func(pool.Event) {})).Add(parallel.Do("x", func(context.Context) error { return nil }))
	require.ErrorIs(t, plan.Validate(), parallel.ErrInvalid)
}

// TestPlanBlockDeclinedHasEvents: the steps of a block that a run
// middleware declined never start, and end with a Skipped event carrying
// the middleware's error, as the steps after a failure do; the run goes on.
func TestPlanBlockDeclinedHasEvents(t *testing.T) {
	t.Parallel()
	var f finals
	declineSecond := func(ctx context.Context, info parallel.RunInfo, next func(context.Context) error) error {
		if info.Block == 2 {
			return nil
		}
		return next(ctx)
	}
	plan := parallel.NewPlan(parallel.OnEvent(f.hook), parallel.WithRunMiddleware(declineSecond)).Add(
		parallel.Do("a", func(context.Context) error { return nil }),
		parallel.Do("b", func(context.Context) error { return nil }, parallel.ThreadYes),
		parallel.Do("c", func(context.Context) error { return nil }, parallel.ThreadJoin),
		parallel.Do("d", func(context.Context) error { return nil }),
	)
	res, err := plan.Run(t.Context())
	require.ErrorIs(t, err, parallel.ErrNotRun)
	require.Equal(t, []string{"a", "b", "c", "d"}, f.ids())
	for _, id := range []string{"b", "c"} {
		r, _ := res.Get(id)
		require.Equal(t, pool.Skipped, r.State, id)
		require.Equal(t, pool.Skipped, f.by[id].State, id)
		require.ErrorIs(t, f.by[id].Err, parallel.ErrNotRun, id)
	}
}

// TestPlanInlineMemberNeverStartedHasEvents: an Inline member that runs
// its plan as one member, queued behind a sibling whose failure decides a
// fail_fast run, never starts; its plan's steps still end with a Skipped
// event each, as the steps of a later unit do.
func TestPlanInlineMemberNeverStartedHasEvents(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	var f finals
	inner := parallel.NewPlan().Add(
		parallel.Do("y", func(context.Context) error { return nil }),
		parallel.Do("z", func(context.Context) error { return nil }),
	)
	plan := parallel.NewPlan(parallel.OnEvent(f.hook), parallel.MaxWorkers(1), parallel.WithStrategy(strategy.FailFast())).Add(
		parallel.Do("a", func(context.Context) error { return boom }, parallel.ThreadYes),
		parallel.Inline("I", inner, parallel.ThreadJoin),
	)
	res, err := plan.Run(t.Context())
	require.ErrorIs(t, err, boom)
	for _, id := range []string{"I/y", "I/z"} {
		r, _ := res.Get(id)
		require.Equal(t, pool.Skipped, r.State, id)
		require.Contains(t, f.ids(), id)
		require.Equal(t, pool.Skipped, f.by[id].State, id)
		require.ErrorIs(t, f.by[id].Err, boom, id)
	}
}
