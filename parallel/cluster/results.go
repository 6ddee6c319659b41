package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/braid-go/braid/strategy"
)

// Result is how one task ended, wherever it ran.
type Result[T any] struct {
	ID      string // its ID in its group; "" for a task submitted alone
	Task    TaskID // its number in the cluster
	State   State  // one of the final states
	Output  T      // what the task returned, even alongside an error
	Err     error  // the task's own error (a [*TaskError]); nil when it succeeded
	Replica string // the replica that ran its last attempt; "" if it never started
	Attempt int    // 1, plus one for every replica that died running it
	Waited  time.Duration
	Ran     time.Duration
	Started time.Time // zero if it never started
	Ended   time.Time
}

// TaskID identifies a task across the cluster.
type TaskID int64

// Results holds every task's Result of a group, in the order the tasks
// were added and by ID, and the group's decision.
type Results[T any] struct {
	all    []Result[T]
	byID   map[string]int
	winner int

	// DecidedBy is the ID of the task whose end decided the group (a
	// fail_fast failure, a race win), "" if nothing decided it early;
	// DecidedAt is when, by the database's clock. The decision was
	// written in the same transaction as that task's result.
	DecidedBy string
	DecidedAt time.Time
}

// Get returns the result of the task with the given ID.
func (r *Results[T]) Get(id string) (Result[T], bool) {
	i, ok := r.byID[id]
	if !ok {
		return Result[T]{}, false
	}
	return r.all[i], true
}

// All returns every task's result in the order the tasks were added.
func (r *Results[T]) All() []Result[T] { return append([]Result[T](nil), r.all...) }

// Outputs returns the outputs of the tasks that succeeded, by ID.
func (r *Results[T]) Outputs() map[string]T {
	m := make(map[string]T)
	for _, x := range r.all {
		if x.State == stateSucceeded {
			m[x.ID] = x.Output
		}
	}
	return m
}

// Count returns how many tasks ended in state st.
func (r *Results[T]) Count(st State) int {
	c := 0
	for _, x := range r.all {
		if x.State == st {
			c++
		}
	}
	return c
}

// Winner returns a race's winner; ok is false if there is none (not a
// race, no task succeeded, or a zero Results).
func (r *Results[T]) Winner() (id string, output T, ok bool) {
	if r.winner < 0 || r.winner >= len(r.all) {
		return "", output, false
	}
	w := r.all[r.winner]
	return w.ID, w.Output, true
}

// taskColumns are the columns scanTask reads, in its order.
const taskColumns = `id, key, state, output, error, cause, coalesce(replica, ''), attempt,
	submitted_at, started_at, ended_at, ran_ns, panic`

// scanTask reads one task's row into a Result.
func scanTask[T any](row pgx.Row) (Result[T], error) {
	var r Result[T]
	var st int16
	var out []byte
	var msg, cause *string
	var submitted time.Time
	var started, ended *time.Time
	var ran int64
	var panicked []byte
	if err := row.Scan(&r.Task, &r.ID, &st, &out, &msg, &cause, &r.Replica, &r.Attempt, &submitted, &started, &ended, &ran, &panicked); err != nil {
		return r, err
	}
	r.State, r.Ran = State(st), time.Duration(ran)
	if started != nil {
		r.Started, r.Waited = *started, started.Sub(submitted)
	}
	if ended != nil {
		r.Ended = *ended
		if started == nil {
			r.Waited = ended.Sub(submitted)
		}
	}
	if len(out) > 0 && string(out) != "null" {
		if err := json.Unmarshal(out, &r.Output); err != nil {
			return r, fmt.Errorf("cluster: task %d: decode output: %w", r.Task, err)
		}
	}
	if msg != nil {
		r.Err = &TaskError{Msg: *msg, Cause: causeError(cause)}
		if panicked != nil {
			r.Err = &TaskError{Msg: *msg, Cause: panicError(panicked)}
		}
	}
	return r, nil
}

func causeError(cause *string) error {
	if cause == nil {
		return nil
	}
	switch *cause {
	case causeStopped:
		return ErrStopped
	case causeDropped:
		return ErrDropped
	case causeReplaced:
		return ErrReplaced
	case causeSuperseded:
		return ErrSuperseded
	case causeUnknown:
		return ErrUnknownKind
	case causeDeadline:
		return context.DeadlineExceeded
	case causeCanceled:
		return context.Canceled
	}
	return nil
}

// loadGroup reads a group's results once every task has ended; done is
// false before.
func loadGroup[T any](ctx context.Context, db pgx.Tx, id string) (res *Results[T], verdict error, done bool, err error) {
	var kind int16
	var tolerate, size int
	var doneAt, decidedAt *time.Time
	var decidedBy *int64
	err = db.QueryRow(ctx, `SELECT strategy, tolerate, size, done_at, decided_at, decided_by FROM braid_groups WHERE id = $1`, id).
		Scan(&kind, &tolerate, &size, &doneAt, &decidedAt, &decidedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, false, fmt.Errorf("%w: group %q", ErrNotFound, id)
	}
	if err != nil || doneAt == nil {
		return nil, nil, false, err
	}
	rows, err := db.Query(ctx, `SELECT `+taskColumns+` FROM braid_tasks WHERE group_id = $1 ORDER BY idx`, id)
	if err != nil {
		return nil, nil, false, err
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Result[T], error) { return scanTask[T](r) })
	if err != nil {
		return nil, nil, false, err
	}
	res = &Results[T]{all: all, byID: make(map[string]int, len(all)), winner: -1}
	for i, r := range all {
		res.byID[r.ID] = i
		if decidedBy != nil && int64(r.Task) == *decidedBy {
			res.DecidedBy = r.ID
		}
	}
	if decidedAt != nil {
		res.DecidedAt = *decidedAt
	}
	return res, verdictOf(res, strategy.Kind(kind), tolerate), true, nil
}

// verdictOf replays the group's ends, in the order they were recorded,
// into the strategy's tally, which says whether the group succeeded and
// with what error: the same verdict as package parallel's in-process
// group.
func verdictOf[T any](res *Results[T], kind strategy.Kind, tolerate int) error {
	order := make([]int, len(res.all))
	for i := range order {
		order[i] = i
	}
	byEnd := func(a, b int) int { return res.all[a].Ended.Compare(res.all[b].Ended) }
	slices.SortStableFunc(order, byEnd)
	t := rebuild(kind, tolerate).Start(len(res.all))
	for _, i := range order {
		r := res.all[i]
		t.Observe(i, status(r.State), r.Err)
	}
	if kind == strategy.KindRace {
		res.winner = t.Winner()
	}
	_, err := t.Verdict()
	return err
}
