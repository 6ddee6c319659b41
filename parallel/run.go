package parallel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// errDecided is the cancellation cause of the tasks still running when the
// strategy decided the group (a fail_fast failure, a race win, a tolerance
// exceeded).
var errDecided = errors.New("parallel: group decided")

// run is one execution of a group. Its tasks run on a pool of their own
// (a new pool, or a sub-pool of the one given with OnPool) whose context is
// the group's: when the group is decided or times out, that pool skips what
// is queued and its running tasks see the cancellation, and the pool's Wait
// is the group's wait. Tasks are submitted with Pool.Go, so a task costs
// the pool no handle: the wrapper records everything a Result needs.
type run[T any] struct {
	g      *Group[T]
	pool   *pool.Pool
	ctx    context.Context
	cancel context.CancelCauseFunc
	stop   context.CancelFunc // releases the timeout's timer
	begin  time.Time

	mu     sync.Mutex // guards the fields below; tasks record under it
	tally  *strategy.Tally
	seen   []bool
	states []pool.State
	errs   []error // each task's own error, or why it never started
	times  [][2]time.Time
}

func (g *Group[T]) newRun(parent context.Context) (*run[T], error) {
	r := &run[T]{g: g, stop: func() {}, begin: time.Now()}
	ctx := parent
	if d := g.cfg.timeout; d > 0 {
		ctx, r.stop = context.WithTimeoutCause(parent, d, ErrTimeout)
	}
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	var err error
	if g.cfg.pool != nil {
		r.pool, err = g.cfg.pool.Sub(pool.MaxWorkers(g.cfg.limit), pool.WithContext(r.ctx))
	} else {
		r.pool, err = pool.New(pool.MaxWorkers(g.cfg.limit), pool.IdleTimeout(0), pool.WithContext(r.ctx))
	}
	if err != nil {
		r.stop()
		r.cancel(nil)
		return nil, err
	}
	n := len(g.tasks)
	r.tally = g.cfg.strategy.Start(n)
	r.seen = make([]bool, n)
	r.states = make([]pool.State, n)
	r.errs = make([]error, n)
	r.times = make([][2]time.Time, n)
	return r, nil
}

func (r *run[T]) close() {
	_ = r.pool.Close()
	r.cancel(nil)
	r.stop()
}

// start submits every task in order. A task that cannot be submitted (the
// pool it runs on was closed) is recorded as skipped with that error.
func (r *run[T]) start() {
	for i := range r.g.tasks {
		if err := r.pool.Go(r.task(i)); err != nil {
			r.record(i, pool.Skipped, err)
		}
	}
}

// task wraps member i's function: it stores the output and tells the tally
// how the task ended as soon as it returns, so that a deciding event
// cancels the siblings at once. Panics are recovered here (and returned as
// the task's error) for the same reason.
func (r *run[T]) task(i int) func(context.Context) error {
	m := &r.g.tasks[i]
	return func(ctx context.Context) (err error) {
		started := time.Now()
		returned := false
		defer func() {
			if !returned {
				if v := recover(); v != nil {
					err = pool.NewPanicError(v)
				} else {
					err = pool.ErrGoexit
				}
			}
			r.mu.Lock()
			r.times[i] = [2]time.Time{started, time.Now()}
			r.mu.Unlock()
			r.record(i, pool.Outcome(ctx, err), err)
		}()
		m.output, err = m.fn(ctx)
		returned = true
		return err
	}
}

// record keeps task i's final state and error and feeds the tally. The
// state recorded here, at the moment the task ended, is the one the results
// report: it is what the strategy decided on.
func (r *run[T]) record(i int, st pool.State, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[i] {
		return
	}
	r.seen[i], r.states[i], r.errs[i] = true, st, err
	if err != nil {
		err = &TaskError{ID: r.g.tasks[i].id, Err: err}
	}
	if r.tally.Observe(i, status(st), err) {
		r.cancel(fmt.Errorf("%w by %v", errDecided, r.g.cfg.strategy.Kind()))
	}
}

// status maps a pool state to what a strategy sees.
func status(st pool.State) strategy.Status {
	switch st {
	case pool.Succeeded:
		return strategy.Succeeded
	case pool.Failed:
		return strategy.Failed
	case pool.Skipped:
		return strategy.Skipped
	default:
		return strategy.Canceled
	}
}

// wait waits until every task has ended, then records the tasks that never
// ran: the pool skipped them because the group's context ended first.
func (r *run[T]) wait() {
	_ = r.pool.Wait() // every task's outcome is already in the tally
	cause := context.Cause(r.ctx)
	for i := range r.g.tasks {
		r.record(i, pool.Skipped, cause) // no-op for the tasks that ran
	}
}

func (r *run[T]) verdict() (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tally.Verdict()
}

func (r *run[T]) results() *Results[T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	end := time.Now()
	res := &Results[T]{all: make([]Result[T], len(r.g.tasks)), byID: r.g.byID, winner: r.tally.Winner()}
	for i, m := range r.g.tasks {
		out := Result[T]{ID: m.id, State: r.states[i], Err: r.errs[i]}
		if t := r.times[i]; !t[0].IsZero() {
			out.Waited, out.Ran = t[0].Sub(r.begin), t[1].Sub(t[0])
			out.Output = m.output
		} else {
			out.Waited = end.Sub(r.begin) // never started: its whole life was waiting
		}
		res.all[i] = out
	}
	return res
}
