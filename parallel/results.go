package parallel

import (
	"slices"
	"sync"
	"time"

	"github.com/braid-go/braid/pool"
)

// Result is how one task of a group ended, and where its time went. Only
// Ran is the task's own work: time blocked on its name or resources and
// time waiting for a worker are not running (a data platform bills only
// running time), so the three are kept apart.
type Result[T any] struct {
	ID      string
	State   pool.State    // one of the final states
	Output  T             // what the task returned, even alongside an error
	Err     error         // the task's own error, or why it never started; nil only when it succeeded
	Waited  time.Duration // queued for a worker slot; for a task that never started, until it was skipped (the run was decided, timed out or cancelled)
	Blocked time.Duration // waiting for its name or resources before it started, holding no slot
	Ran     time.Duration // running
}

// Results holds every task's Result, in the order the tasks were added and
// by ID.
//
// A run's results are worked out from its ledger when first read, not when
// the run ends: a caller that reads only the winner, or one task, or
// nothing, does not pay for a Result per task (a fail_fast group of
// thousands decided early has thousands it never looks at).
//
// A nil *Results, which Run returns with [ErrStarted] and a plan's Run
// with a validation error, reads as empty: its methods report no tasks.
type Results[T any] struct {
	led     *ledger       // the run's, which the results are worked out from; nil when all is given
	end     time.Duration // when the run ended, on led's clock
	tasks   []member[T]   // a group's declared tasks and those added as it ran: their outputs
	added   []*member[T]
	n       int       // how many tasks led has
	once    sync.Once // makes all from led
	all     []Result[T]
	byID    map[string]int // nil for a few tasks: then ids
	ids     []string
	winner  int      // race: index of the winner plus one; 0 if none, so that a zero Results has none
	outputs *outputs // a plan's: the values of its Output keys
}

// list returns every task's result, working them out on first use.
func (r *Results[T]) list() []Result[T] {
	if r == nil {
		return nil
	}
	r.once.Do(func() {
		if r.led == nil {
			return
		}
		r.all = make([]Result[T], r.n)
		for i := range r.all {
			r.all[i] = r.at(i)
		}
	})
	return r.all
}

// one returns task i's result, without working out the others.
func (r *Results[T]) one(i int) Result[T] {
	if r.led != nil {
		return r.at(i)
	}
	return r.all[i]
}

// from makes r the results of the tasks of l, worked out when read: the
// ledger no longer changes once its run has returned. A task that never
// started waited until now.
func (r *Results[T]) from(l *ledger, byID map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r.led, r.end, r.n, r.byID, r.winner = l, time.Since(l.epoch), len(l.ids), byID, l.tally.Winner()+1
	if byID == nil {
		r.ids = l.ids // a few: Get looks
	}
}

// at works out task i's result.
func (r *Results[T]) at(i int) Result[T] {
	res, ran := result[T](r.led, i, r.end)
	switch j := i - len(r.tasks); {
	case !ran:
	case j < 0:
		res.Output = r.tasks[i].output
	case j < len(r.added):
		res.Output = r.added[j].output
	}
	return res
}

// Get returns the result of the task with the given ID.
func (r *Results[T]) Get(id string) (Result[T], bool) {
	if r == nil {
		return Result[T]{}, false
	}
	i, ok := r.byID[id]
	if r.byID == nil {
		i = slices.Index(r.ids, id)
		ok = i >= 0
	}
	if !ok {
		return Result[T]{}, false
	}
	return r.one(i), true
}

// All returns every task's result in the order the tasks were added.
func (r *Results[T]) All() []Result[T] { return append([]Result[T](nil), r.list()...) }

// Values returns every task's output in the order the tasks were added:
// the zero value for a task that did not run.
func (r *Results[T]) Values() []T {
	all := r.list()
	out := make([]T, len(all))
	for i, res := range all {
		out[i] = res.Output
	}
	return out
}

// Outputs returns the outputs of the tasks that succeeded, by ID.
func (r *Results[T]) Outputs() map[string]T {
	out := make(map[string]T)
	for _, res := range r.list() {
		if res.State == pool.Succeeded {
			out[res.ID] = res.Output
		}
	}
	return out
}

// Failed returns the results of the tasks that failed, in the order they
// were added. Cancelled, timed-out and skipped tasks are not failures.
func (r *Results[T]) Failed() []Result[T] {
	var out []Result[T]
	for _, res := range r.list() {
		if res.State == pool.Failed {
			out = append(out, res)
		}
	}
	return out
}

// Count returns how many tasks ended in state st.
func (r *Results[T]) Count(st pool.State) int {
	n := 0
	for _, res := range r.list() {
		if res.State == st {
			n++
		}
	}
	return n
}

// Winner returns a race's winning task: its ID and output. ok is false when
// the group is not a race or no task won, and for a zero or nil Results.
func (r *Results[T]) Winner() (id string, output T, ok bool) {
	if r == nil || r.winner == 0 {
		return "", output, false
	}
	w := r.one(r.winner - 1)
	return w.ID, w.Output, true
}
