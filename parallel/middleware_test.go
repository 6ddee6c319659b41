package parallel_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/parallel/paralleltest"
	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// notes collects, in order, what middleware and tasks saw: a buffered
// channel, read once everything has run.
type notes chan string

func newNotes() notes { return make(notes, 64) }

func (n notes) get() []string {
	var out []string
	for {
		select {
		case s := <-n:
			out = append(out, s)
		default:
			return out
		}
	}
}

func (n notes) around(name string) pool.Middleware {
	return func(ctx context.Context, _ pool.TaskInfo, next func(context.Context) error) error {
		n <- name + " in"
		defer func() { n <- name + " out" }()
		return next(ctx)
	}
}

type pathKey struct{}

func pathOf(ctx context.Context) string {
	s, _ := ctx.Value(pathKey{}).(string)
	return s
}

func TestGroupMiddlewareRunsInsideThePools(t *testing.T) {
	t.Parallel()
	n := newNotes()
	p, err := pool.New(pool.WithMiddleware(n.around("pool")))
	require.NoError(t, err)
	defer func() { _ = p.Close() }() // the test has checked what it needs; Close only lets the workers go
	infos := make(chan pool.TaskInfo, 1)
	identity := func(ctx context.Context, info pool.TaskInfo, next func(context.Context) error) error {
		infos <- info
		return next(ctx)
	}
	g := newGroup[int](t, parallel.OnPool(p), parallel.Label("nightly"), parallel.WithMiddleware(n.around("group"), identity))
	add(t, g, "extract", func(context.Context) (int, error) { n <- "task"; return 7, nil })
	res, err := g.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, map[string]int{"extract": 7}, res.Outputs())
	require.Equal(t, []string{"pool in", "group in", "task", "group out", "pool out"}, n.get())
	info := <-infos
	require.Equal(t, "nightly", info.Group)
	require.Equal(t, "extract", info.ID)
	require.Equal(t, "nightly", info.Pool, "the group's sub-pool carries its name")
	require.NotZero(t, info.Task)
	require.False(t, info.Queued.IsZero(), "the group knows when its task was queued")
}

// A fail_fast group whose task fails once and then succeeds under Retry
// succeeds: its strategy never heard of the failed attempt, so the other
// task was not cancelled.
func TestGroupRetryStrategySeesOnlyTheFinalOutcome(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		retry := pool.Retry(pool.RetryPolicy{Attempts: 2, Backoff: time.Second})
		g := newGroup[string](t, parallel.WithStrategy(strategy.FailFast()), parallel.WithMiddleware(retry))
		retried := make(chan struct{})
		runs := 0
		add(t, g, "flaky", func(context.Context) (string, error) {
			runs++
			if runs == 1 {
				return "first", errors.New("transient")
			}
			close(retried)
			return "second", nil
		})
		add(t, g, "steady", func(ctx context.Context) (string, error) {
			select {
			case <-retried:
				return "done", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		})
		res, err := g.Run(context.Background())
		require.NoError(t, err)
		require.Equal(t, map[string]string{"flaky": "second", "steady": "done"}, res.Outputs(), "the last attempt's output")
	})
}

func TestPlanRunMiddlewareNestsRunBlocksAndTasks(t *testing.T) {
	t.Parallel()
	n := newNotes()
	runMW := func(ctx context.Context, info parallel.RunInfo, next func(context.Context) error) error {
		label := info.Group
		if info.Block > 0 {
			label = "block " + string(rune('0'+info.Block))
		}
		n <- label + " " + strings.Join(info.IDs, ",")
		return next(context.WithValue(ctx, pathKey{}, pathOf(ctx)+"/"+label))
	}
	taskMW := func(ctx context.Context, info pool.TaskInfo, next func(context.Context) error) error {
		n <- info.Group + ":" + info.ID + " at " + pathOf(ctx)
		return next(ctx)
	}
	audit := parallel.NewPlan().Add(parallel.Do("scan", ok), parallel.Do("diff", ok))
	plan := parallel.NewPlan(parallel.Label("nightly"), parallel.MaxWorkers(1),
		parallel.WithRunMiddleware(runMW), parallel.WithMiddleware(taskMW)).Add(
		parallel.Do("extract", ok),
		parallel.Inline("audit", audit),
		parallel.Do("report", ok),
	)
	_, err := plan.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, []string{
		"nightly extract,audit/scan,audit/diff,report",
		"block 1 extract",
		"nightly:extract at /nightly/block 1",
		"block 2 audit/scan,audit/diff",
		"block 3 audit/scan",
		"nightly:audit/scan at /nightly/block 2/block 3",
		"block 4 audit/diff",
		"nightly:audit/diff at /nightly/block 2/block 4",
		"block 5 report",
		"nightly:report at /nightly/block 5",
	}, n.get())
}

func TestGroupRunMiddleware(t *testing.T) {
	t.Parallel()
	var seen []parallel.RunInfo
	var runErr error
	mw := func(ctx context.Context, info parallel.RunInfo, next func(context.Context) error) error {
		seen = append(seen, info)
		runErr = next(ctx)
		return runErr
	}
	boom := errors.New("boom")
	g := newGroup[int](t, parallel.Label("g"), parallel.WithRunMiddleware(mw))
	add(t, g, "a", func(context.Context) (int, error) { return 1, nil })
	add(t, g, "b", func(context.Context) (int, error) { return 0, boom })
	res, err := g.Run(context.Background())
	require.ErrorIs(t, err, boom)
	require.Equal(t, err, runErr, "the middleware sees the run's error")
	require.Equal(t, []parallel.RunInfo{{Group: "g", IDs: []string{"a", "b"}}}, seen)
	require.Equal(t, 1, res.Count(pool.Succeeded))
}

func TestRunMiddlewareThatRefusesSkipsEveryTask(t *testing.T) {
	t.Parallel()
	denied := errors.New("denied")
	mw := func(context.Context, parallel.RunInfo, func(context.Context) error) error { return denied }
	g := newGroup[int](t, parallel.WithRunMiddleware(mw))
	ran := false
	add(t, g, "a", func(context.Context) (int, error) { ran = true; return 1, nil })
	res, err := g.Run(context.Background())
	require.ErrorIs(t, err, denied)
	require.False(t, ran)
	require.Equal(t, 1, res.Count(pool.Skipped))

	plan := parallel.NewPlan(parallel.WithRunMiddleware(mw)).Add(parallel.Do("a", ok))
	pres, err := plan.Run(context.Background())
	require.ErrorIs(t, err, denied)
	require.Equal(t, 1, pres.Count(pool.Skipped))
}

// TestRunMiddlewareThatDeclinesSilentlyIsNotASuccess: a run middleware
// that returns nil without calling next ran nothing: the run's error is
// ErrNotRun, and so is each skipped task's. A plan's block declined so
// (the middleware runs the whole run, then declines the blocks) ends its
// steps Skipped with ErrNotRun too, rather than leaving them Waiting.
func TestRunMiddlewareThatDeclinesSilentlyIsNotASuccess(t *testing.T) {
	t.Parallel()
	silent := func(context.Context, parallel.RunInfo, func(context.Context) error) error { return nil }
	g := newGroup[int](t, parallel.WithRunMiddleware(silent))
	add(t, g, "a", func(context.Context) (int, error) { return 1, nil })
	res, err := g.Run(context.Background())
	require.ErrorIs(t, err, parallel.ErrNotRun)
	r, _ := res.Get("a")
	require.Equal(t, pool.Skipped, r.State)
	require.ErrorIs(t, r.Err, parallel.ErrNotRun)

	blocksOnly := func(ctx context.Context, info parallel.RunInfo, next func(context.Context) error) error {
		if info.Block == 0 {
			return next(ctx) // the run
		}
		return nil // each block: declined
	}
	plan := parallel.NewPlan(parallel.WithRunMiddleware(blocksOnly)).Add(
		parallel.Do("a", ok, parallel.ThreadYes), parallel.Do("b", ok, parallel.ThreadJoin), parallel.Do("c", ok))
	pres, err := plan.Run(context.Background())
	require.Error(t, err)
	for _, id := range []string{"a", "b", "c"} {
		r, _ := pres.Get(id)
		require.Equal(t, pool.Skipped, r.State, id)
		require.ErrorIs(t, r.Err, parallel.ErrNotRun, id)
	}
}

func TestNilParallelMiddlewarePanics(t *testing.T) {
	t.Parallel()
	require.PanicsWithValue(t, "parallel: nil middleware", func() { parallel.WithMiddleware(nil) })
	require.PanicsWithValue(t, "parallel: nil run middleware", func() { parallel.WithRunMiddleware(nil) })
}

func TestGroupRunsOnceWhateverItsRunMiddleware(t *testing.T) {
	t.Parallel()
	var second error
	twice := func(ctx context.Context, _ parallel.RunInfo, next func(context.Context) error) error {
		first := next(ctx)
		second = next(ctx)
		return first
	}
	runs := 0
	g := newGroup[int](t, parallel.WithRunMiddleware(twice))
	add(t, g, "a", func(context.Context) (int, error) { runs++; return runs, nil })
	res, err := g.Run(context.Background())
	require.NoError(t, err)
	require.ErrorIs(t, second, parallel.ErrStarted)
	require.Equal(t, 1, runs)
	require.Equal(t, map[string]int{"a": 1}, res.Outputs())
}

// TestDeclinedRunsTasksHaveEvents: the tasks of a group or plan whose run
// middleware declined the whole run end Skipped with its error in their
// events too, on a pool of the run's own (the group's or plan's hook) and
// on a shared pool (its hook), so the timeline and the test kit see them
// end, as they see the tasks of a decided run.
func TestDeclinedRunsTasksHaveEvents(t *testing.T) {
	t.Parallel()
	denied := errors.New("denied")
	deny := func(context.Context, parallel.RunInfo, func(context.Context) error) error { return denied }
	for _, shared := range []bool{false, true} {
		var rec timeline.Recorder
		opts := []parallel.Option{parallel.WithRunMiddleware(deny)}
		if shared {
			p, err := pool.New(pool.OnEvent(rec.Hook))
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, p.Close()) })
			opts = append(opts, parallel.OnPool(p))
		} else {
			opts = append(opts, parallel.OnEvent(rec.Hook))
		}
		g := newGroup[int](t, opts...)
		add(t, g, "a", func(context.Context) (int, error) { return 1, nil })
		g.Add("b", func(context.Context) (int, error) { return 2, nil }, pool.Name("n"))
		_, err := g.Run(context.Background())
		require.ErrorIs(t, err, denied)
		planOpts := make([]parallel.PlanOption, len(opts))
		for i, o := range opts {
			planOpts[i] = o
		}
		plan := parallel.NewPlan(planOpts...).Add(parallel.Do("c", ok, parallel.ThreadYes), parallel.Do("d", ok))
		_, err = plan.Run(context.Background())
		require.ErrorIs(t, err, denied)
		for _, id := range []string{"a", "b", "c", "d"} {
			paralleltest.AssertFinal(t, &rec, id, pool.Skipped)
			var final []error
			for _, e := range rec.Events() {
				if e.ID == id && e.State.Final() {
					final = append(final, e.Err)
				}
			}
			require.Len(t, final, 1, "%s: one final event (shared pool: %v)", id, shared)
			require.ErrorIs(t, final[0], denied, id)
		}
	}
}
