package strategy

import (
	"errors"
	"fmt"
	"math"
)

// Kind names one of the four strategies.
type Kind uint8

const (
	KindWaitAll Kind = iota
	KindFailFast
	KindBestEffort
	KindRace
)

var kindNames = [...]string{"wait_all", "fail_fast", "best_effort", "race"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// ErrInvalid is wrapped by the error of a strategy with an impossible
// setting: a negative tolerance, or a fraction outside [0, 1].
var ErrInvalid = errors.New("strategy: invalid")

// How a Strategy's tolerance was given. The zero value, tolNone, makes the
// zero Strategy equal to WaitAll().
const (
	tolNone     uint8 = iota
	tolCount          // count failures
	tolFraction       // fraction of the group's size, resolved in Start
)

// Strategy is a failure policy. The zero value is WaitAll.
type Strategy struct {
	kind Kind
	// Tolerance, for BestEffort: how many failures the group absorbs
	// before it fails and stops, as count or fraction according to tol.
	tol      uint8
	count    int
	fraction float64
	err      error
}

// WaitAll runs every task to the end and succeeds only if all succeeded.
// It is the default.
func WaitAll() Strategy { return Strategy{kind: KindWaitAll} }

// FailFast stops the group at the first failure: running siblings see their
// context cancelled and queued ones never start.
func FailFast() Strategy { return Strategy{kind: KindFailFast} }

// BestEffort runs every task to the end and succeeds if at least one
// succeeded. With a tolerance it fails, and stops like FailFast, as soon as
// more tasks failed than tolerated.
func BestEffort() Strategy { return Strategy{kind: KindBestEffort} }

// Race ends the group at the first success, which wins; the siblings are
// cancelled. A failure is not a win: the race goes on until some task
// succeeds or all have ended.
func Race() Strategy { return Strategy{kind: KindRace} }

// Tolerate returns s tolerating up to n failed tasks. It applies to
// BestEffort; on another strategy, or with n < 0, the result is invalid
// (see [Strategy.Err]).
func (s Strategy) Tolerate(n int) Strategy {
	switch {
	case s.kind != KindBestEffort:
		s.err = fmt.Errorf("%w: a tolerance applies to best_effort, not %v", ErrInvalid, s.kind)
	case n < 0:
		s.err = fmt.Errorf("%w: tolerance %d: must be >= 0", ErrInvalid, n)
	default:
		s.tol, s.count, s.fraction = tolCount, n, 0
	}
	return s
}

// TolerateFraction returns s tolerating failures of up to fraction f of the
// group's tasks, rounded down (0.25 of 10 tasks tolerates 2). f must be in
// [0, 1], and s must be BestEffort. For a group that takes tasks while it
// runs, the fraction is of the tasks it has when each failure is counted:
// a first task that fails before any other is added exceeds a fraction
// below 1 and stops the group. Add the tasks before starting it, or use
// [Strategy.Tolerate], for a tolerance that does not depend on timing.
func (s Strategy) TolerateFraction(f float64) Strategy {
	switch {
	case s.kind != KindBestEffort:
		s.err = fmt.Errorf("%w: a tolerance applies to best_effort, not %v", ErrInvalid, s.kind)
	case math.IsNaN(f) || f < 0 || f > 1:
		s.err = fmt.Errorf("%w: tolerance fraction %v: must be in [0, 1]", ErrInvalid, f)
	default:
		s.tol, s.count, s.fraction = tolFraction, 0, f
	}
	return s
}

// Kind reports which strategy s is.
func (s Strategy) Kind() Kind { return s.kind }

// Err reports why s is invalid, or nil.
func (s Strategy) Err() error { return s.err }

// String names the strategy and its tolerance, as in "best_effort(tolerate=2)".
func (s Strategy) String() string {
	switch s.tol {
	case tolCount:
		return fmt.Sprintf("%v(tolerate=%d)", s.kind, s.count)
	case tolFraction:
		return fmt.Sprintf("%v(tolerate=%g)", s.kind, s.fraction)
	default:
		return s.kind.String()
	}
}

// tolerated resolves the tolerance against a group of n tasks; -1 means
// none was set.
func (s Strategy) tolerated(n int) int {
	switch s.tol {
	case tolCount:
		return s.count
	case tolFraction:
		// f*n in floating point can land just below the whole number it
		// stands for (0.29*100 is 28.999999999999996): round such a
		// product to that number before rounding down.
		r := s.fraction * float64(n)
		if k := math.Round(r); math.Abs(r-k) <= 1e-9*math.Max(1, k) {
			return int(k)
		}
		return int(math.Floor(r))
	}
	return -1
}
