package strategy_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/braid-go/braid/strategy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// event is one task ending, in the order the runner observed it.
type event struct {
	task int
	st   strategy.Status
}

var (
	errA     = errors.New("a failed")
	errB     = errors.New("b failed")
	errC     = errors.New("c failed")
	errPanic = errors.New("task panicked") // a panic reaches a strategy as a failure
	errStop  = errors.New("context canceled")
)

// errOf gives each task index a distinct error for Failed, and the
// cancellation error for Canceled and Skipped.
func errOf(e event) error {
	switch e.st {
	case strategy.Failed:
		return []error{errA, errB, errC, errPanic}[e.task]
	case strategy.Canceled, strategy.Skipped:
		return errStop
	}
	return nil
}

type scenario struct {
	name   string
	n      int
	events []event
}

var (
	S, F, C, K = strategy.Succeeded, strategy.Failed, strategy.Canceled, strategy.Skipped
	scenarios  = []scenario{
		{"all succeed", 3, []event{{0, S}, {2, S}, {1, S}}},
		{"one fails first", 3, []event{{1, F}, {0, S}, {2, S}}},
		{"one fails last", 3, []event{{0, S}, {2, S}, {1, F}}},
		{"all fail", 3, []event{{2, F}, {0, F}, {1, F}}},
		{"panic", 4, []event{{0, S}, {3, F}, {1, S}, {2, S}}},
		{"empty", 0, nil},
		{"fail then siblings cancelled", 3, []event{{0, F}, {1, C}, {2, K}}},
		{"cancelled without failure", 3, []event{{0, S}, {1, C}, {2, K}}},
		{"fails after a success", 3, []event{{0, F}, {2, S}, {1, C}}},
	}
)

// want is a strategy's expected handling of a scenario: after which event
// (index into events, -1 for never) it stops, whether the group succeeds,
// and which errors the group error must and must not contain.
type want struct {
	stopAt  int
	ok      bool
	has     []error
	hasNot  []error
	winner  int
	errText string
}

func TestStrategyTable(t *testing.T) {
	t.Parallel()
	table := map[string]map[string]want{
		"wait_all": {
			"all succeed":                  {stopAt: -1, ok: true, winner: -1},
			"one fails first":              {stopAt: -1, has: []error{errB}, winner: -1},
			"one fails last":               {stopAt: -1, has: []error{errB}, winner: -1},
			"all fail":                     {stopAt: -1, has: []error{errA, errB, errC}, winner: -1, errText: "a failed\nb failed\nc failed"},
			"panic":                        {stopAt: -1, has: []error{errPanic}, winner: -1},
			"empty":                        {stopAt: -1, ok: true, winner: -1},
			"fail then siblings cancelled": {stopAt: -1, has: []error{errA}, hasNot: []error{errStop}, winner: -1},
			"cancelled without failure":    {stopAt: -1, has: []error{errStop}, winner: -1},
			"fails after a success":        {stopAt: -1, has: []error{errA}, winner: -1},
		},
		"fail_fast": {
			"all succeed":                  {stopAt: -1, ok: true, winner: -1},
			"one fails first":              {stopAt: 0, has: []error{errB}, winner: -1},
			"one fails last":               {stopAt: 2, has: []error{errB}, winner: -1},
			"all fail":                     {stopAt: 0, has: []error{errC}, hasNot: []error{errA, errB}, winner: -1, errText: "c failed"},
			"panic":                        {stopAt: 1, has: []error{errPanic}, winner: -1},
			"empty":                        {stopAt: -1, ok: true, winner: -1},
			"fail then siblings cancelled": {stopAt: 0, has: []error{errA}, hasNot: []error{errStop}, winner: -1},
			"cancelled without failure":    {stopAt: -1, has: []error{errStop}, winner: -1},
			"fails after a success":        {stopAt: 0, has: []error{errA}, winner: -1},
		},
		"best_effort": {
			"all succeed":                  {stopAt: -1, ok: true, winner: -1},
			"one fails first":              {stopAt: -1, ok: true, winner: -1},
			"one fails last":               {stopAt: -1, ok: true, winner: -1},
			"all fail":                     {stopAt: -1, has: []error{errA, errB, errC}, winner: -1},
			"panic":                        {stopAt: -1, ok: true, winner: -1},
			"empty":                        {stopAt: -1, ok: true, winner: -1},
			"fail then siblings cancelled": {stopAt: -1, has: []error{errA}, winner: -1},
			"cancelled without failure":    {stopAt: -1, ok: true, winner: -1},
			"fails after a success":        {stopAt: -1, ok: true, winner: -1},
		},
		"race": {
			"all succeed":                  {stopAt: 0, ok: true, winner: 0},
			"one fails first":              {stopAt: 1, ok: true, winner: 0},
			"one fails last":               {stopAt: 0, ok: true, winner: 0},
			"all fail":                     {stopAt: -1, has: []error{errA, errB, errC}, winner: -1, errText: "a failed\nb failed\nc failed"},
			"panic":                        {stopAt: 0, ok: true, winner: 0},
			"empty":                        {stopAt: -1, has: []error{strategy.ErrNoWinner}, winner: -1},
			"fail then siblings cancelled": {stopAt: -1, has: []error{errA, errStop}, winner: -1},
			"cancelled without failure":    {stopAt: 0, ok: true, winner: 0},
			"fails after a success":        {stopAt: 1, ok: true, winner: 2},
		},
		"best_effort(tolerate=1)": {
			"all succeed":                  {stopAt: -1, ok: true, winner: -1},
			"one fails first":              {stopAt: -1, ok: true, winner: -1},
			"one fails last":               {stopAt: -1, ok: true, winner: -1},
			"all fail":                     {stopAt: 1, has: []error{strategy.ErrToleranceExceeded, errA, errB, errC}, winner: -1},
			"panic":                        {stopAt: -1, ok: true, winner: -1},
			"empty":                        {stopAt: -1, ok: true, winner: -1},
			"fail then siblings cancelled": {stopAt: -1, has: []error{errA}, winner: -1},
			"cancelled without failure":    {stopAt: -1, ok: true, winner: -1},
			"fails after a success":        {stopAt: -1, ok: true, winner: -1},
		},
		"best_effort(tolerate=0)": {
			"all succeed":                  {stopAt: -1, ok: true, winner: -1},
			"one fails first":              {stopAt: 0, has: []error{strategy.ErrToleranceExceeded, errB}, winner: -1},
			"one fails last":               {stopAt: 2, has: []error{strategy.ErrToleranceExceeded, errB}, winner: -1},
			"all fail":                     {stopAt: 0, has: []error{strategy.ErrToleranceExceeded}, winner: -1},
			"panic":                        {stopAt: 1, has: []error{errPanic}, winner: -1},
			"empty":                        {stopAt: -1, ok: true, winner: -1},
			"fail then siblings cancelled": {stopAt: 0, has: []error{errA}, winner: -1},
			"cancelled without failure":    {stopAt: -1, ok: true, winner: -1},
			"fails after a success":        {stopAt: 0, has: []error{errA}, winner: -1},
		},
	}
	strategies := map[string]strategy.Strategy{
		"wait_all":                strategy.WaitAll(),
		"fail_fast":               strategy.FailFast(),
		"best_effort":             strategy.BestEffort(),
		"race":                    strategy.Race(),
		"best_effort(tolerate=1)": strategy.BestEffort().Tolerate(1),
		"best_effort(tolerate=0)": strategy.BestEffort().Tolerate(0),
	}
	for sname, rows := range table {
		s := strategies[sname]
		require.Equal(t, sname, s.String())
		require.Len(t, rows, len(scenarios), sname)
		for _, sc := range scenarios {
			w, ok := rows[sc.name]
			require.True(t, ok, "%s: no row for %q", sname, sc.name)
			t.Run(sname+"/"+sc.name, func(t *testing.T) {
				tally := s.Start(sc.n)
				stopAt := -1
				for i, e := range sc.events {
					if tally.Observe(e.task, e.st, errOf(e)) {
						require.Equal(t, -1, stopAt, "stop reported twice")
						stopAt = i
					}
				}
				require.True(t, tally.Done())
				require.Equal(t, w.stopAt, stopAt, "stop")
				require.Equal(t, w.stopAt >= 0, tally.Stopped())
				require.Equal(t, w.winner, tally.Winner(), "winner")
				gotOK, err := tally.Verdict()
				require.Equal(t, w.ok, gotOK, "verdict (err: %v)", err)
				if w.ok {
					require.NoError(t, err)
					return
				}
				require.Error(t, err)
				for _, target := range w.has {
					require.ErrorIs(t, err, target)
				}
				for _, target := range w.hasNot {
					require.NotErrorIs(t, err, target)
				}
				if w.errText != "" {
					require.EqualError(t, err, w.errText)
				}
			})
		}
	}
}

// TestTolerateFraction: a fraction resolves against the group's size,
// rounded down; the group fails once failures pass it.
func TestTolerateFraction(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f        float64
		n, fails int
		ok       bool
	}{
		{0.25, 10, 2, true}, {0.25, 10, 3, false}, {0, 10, 1, false}, {1, 4, 3, true},
		{0.5, 3, 1, true}, {0.5, 3, 2, false},
	} {
		t.Run(fmt.Sprintf("%v of %d, %d failing", tc.f, tc.n, tc.fails), func(t *testing.T) {
			tally := strategy.BestEffort().TolerateFraction(tc.f).Start(tc.n)
			for i := range tc.n {
				st := strategy.Succeeded
				if i < tc.fails {
					st = strategy.Failed
				}
				tally.Observe(i, st, errOf(event{i % 3, st}))
			}
			ok, _ := tally.Verdict()
			require.Equal(t, tc.ok, ok)
			require.Equal(t, !tc.ok, tally.Stopped())
		})
	}
}

func TestInvalidStrategies(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]strategy.Strategy{
		"negative tolerance":     strategy.BestEffort().Tolerate(-1),
		"fraction above one":     strategy.BestEffort().TolerateFraction(1.5),
		"negative fraction":      strategy.BestEffort().TolerateFraction(-0.1),
		"tolerance on fail_fast": strategy.FailFast().Tolerate(2),
		"fraction on race":       strategy.Race().TolerateFraction(0.5),
	} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, s.Err(), strategy.ErrInvalid)
			require.Panics(t, func() { s.Start(3) })
		})
	}
	require.NoError(t, strategy.BestEffort().Tolerate(0).Err())
	require.NoError(t, strategy.Strategy{}.Err(), "the zero value is a valid WaitAll")
	require.Equal(t, strategy.KindWaitAll, strategy.Strategy{}.Kind())
}

func TestObserveMisuse(t *testing.T) {
	t.Parallel()
	tally := strategy.WaitAll().Start(2)
	tally.Observe(0, strategy.Succeeded, nil)
	require.PanicsWithValue(t, "strategy: task 0 observed twice", func() { tally.Observe(0, strategy.Succeeded, nil) })
	require.PanicsWithValue(t, "strategy: task 2 out of range [0, 2)", func() { tally.Observe(2, strategy.Succeeded, nil) })
}

// TestOrderIndependence: for WaitAll and BestEffort without tolerance the
// verdict does not depend on the order tasks end in.
func TestOrderIndependence(t *testing.T) {
	t.Parallel()
	statuses := []strategy.Status{S, F, S, C, F}
	perms := [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}, {1, 4, 0, 3, 2}}
	for _, s := range []strategy.Strategy{strategy.WaitAll(), strategy.BestEffort()} {
		var first string
		for k, perm := range perms {
			tally := s.Start(len(statuses))
			for _, i := range perm {
				tally.Observe(i, statuses[i], errOf(event{i % 3, statuses[i]}))
			}
			ok, err := tally.Verdict()
			got := fmt.Sprint(ok, err)
			if k == 0 {
				first = got
			}
			require.Equal(t, first, got, "%v, order %v", s, perm)
		}
	}
}

// TestGrowTakesTasksWhileRunning: a tally grown after it started counts
// the new tasks like the first ones, and resolves a fractional tolerance
// against the new count.
func TestGrowTakesTasksWhileRunning(t *testing.T) {
	t.Parallel()
	tl := strategy.BestEffort().TolerateFraction(0.5).Start(2)
	require.False(t, tl.Observe(0, strategy.Failed, errors.New("a")), "1 of 2 failed: within half")
	tl.Grow(2)
	require.False(t, tl.Done())
	require.False(t, tl.Observe(1, strategy.Failed, errors.New("b")), "2 of 4 failed: within half")
	require.True(t, tl.Observe(2, strategy.Failed, errors.New("c")), "3 of 4: over")
	require.False(t, tl.Observe(3, strategy.Succeeded, nil))
	require.True(t, tl.Done())
	ok, err := tl.Verdict()
	require.False(t, ok)
	require.ErrorIs(t, err, strategy.ErrToleranceExceeded)
}

// TestToleranceExceededBeforeGrowingStaysExceeded: a fraction exceeded by
// the tasks there were (1 failure of 1) stops the group, and the verdict
// says so even after the group grew to a count whose fraction the one
// failure would not exceed.
func TestToleranceExceededBeforeGrowingStaysExceeded(t *testing.T) {
	t.Parallel()
	tl := strategy.BestEffort().TolerateFraction(0.5).Start(1)
	require.True(t, tl.Observe(0, strategy.Failed, errors.New("a")), "1 of 1 failed: over half, it stops")
	tl.Grow(9)
	for i := 1; i < 10; i++ {
		require.False(t, tl.Observe(i, strategy.Skipped, nil))
	}
	ok, err := tl.Verdict()
	require.False(t, ok)
	require.ErrorIs(t, err, strategy.ErrToleranceExceeded)
}

// TestZeroValueIsWaitAll: the zero Strategy is WaitAll() itself: equal,
// and named the same.
func TestZeroValueIsWaitAll(t *testing.T) {
	var z strategy.Strategy
	require.Equal(t, strategy.WaitAll(), z)
	require.Equal(t, "wait_all", z.String())
	require.Equal(t, "best_effort(tolerate=0)", strategy.BestEffort().Tolerate(0).String())
}

// TestFailedWithoutErrorStillFails: a task observed Failed with a nil error
// leaves a failed group with a non-nil error under every strategy; under
// fail_fast Verdict used to return (false, nil).
func TestFailedWithoutErrorStillFails(t *testing.T) {
	for _, s := range []strategy.Strategy{strategy.WaitAll(), strategy.FailFast(), strategy.BestEffort(), strategy.Race()} {
		ta := s.Start(1)
		ta.Observe(0, strategy.Failed, nil)
		ok, err := ta.Verdict()
		require.False(t, ok, s.String())
		require.Error(t, err, s.String())
	}
}

// TestFractionRoundsDownExactly: a fraction of the group's size that is a
// whole number is tolerated in full, though f*n in floating point can fall
// just below it (0.29 of 100 tolerated 28).
func TestFractionRoundsDownExactly(t *testing.T) {
	for _, c := range []struct {
		f    float64
		n, k int
	}{{0.29, 100, 29}, {0.57, 100, 57}, {0.1, 30, 3}, {0.25, 10, 2}, {0.999, 10, 9}, {1, 7, 7}, {0, 5, 0}} {
		ta := strategy.BestEffort().TolerateFraction(c.f).Start(c.n)
		for i := 0; i < c.k; i++ {
			require.False(t, ta.Observe(i, strategy.Failed, errors.New("x")), "%v of %d: stopped at failure %d", c.f, c.n, i+1)
		}
		if c.k < c.n {
			require.True(t, ta.Observe(c.k, strategy.Failed, errors.New("x")), "%v of %d: failure %d did not stop", c.f, c.n, c.k+1)
		}
	}
}
