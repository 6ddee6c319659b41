package parallel

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// errDecided is the cancellation cause of the tasks still running when the
// strategy decided the group (a fail_fast failure, a race win, a tolerance
// exceeded).
var errDecided = errors.New("parallel: group decided")

// run is one execution of a group: the pool it runs on, the tasks' context,
// the handles and the tally. The tally is guarded by mu; handles and outputs
// are written before the handles' Done channels close and read after.
type run[T any] struct {
	g       *Group[T]
	pool    *pool.Pool
	ownPool bool // created for this run: close it at the end
	ctx     context.Context
	cancel  context.CancelCauseFunc
	stop    context.CancelFunc // releases the timeout's timer
	handles []*pool.Task

	mu     sync.Mutex // tasks observe under it
	tally  *strategy.Tally
	seen   []bool
	states []pool.State
	errs   []error // each task's own error, or why it never started
}

func (g *Group[T]) newRun(parent context.Context) (*run[T], error) {
	r := &run[T]{g: g, stop: func() {}}
	switch {
	case g.cfg.pool != nil && g.cfg.limit > 0:
		sub, err := g.cfg.pool.Sub(pool.MaxWorkers(g.cfg.limit))
		if err != nil {
			return nil, err
		}
		r.pool, r.ownPool = sub, true
	case g.cfg.pool != nil:
		r.pool = g.cfg.pool
	default:
		p, err := pool.New(pool.MaxWorkers(g.cfg.limit), pool.IdleTimeout(0))
		if err != nil {
			return nil, err
		}
		r.pool, r.ownPool = p, true
	}
	ctx := parent
	if d := g.cfg.timeout; d > 0 {
		ctx, r.stop = context.WithTimeoutCause(parent, d, ErrTimeout)
	}
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	n := len(g.tasks)
	r.tally = g.cfg.strategy.Start(n)
	r.handles = make([]*pool.Task, n)
	r.errs = make([]error, n)
	r.seen = make([]bool, n)
	r.states = make([]pool.State, n)
	return r, nil
}

func (r *run[T]) close() {
	r.cancel(nil)
	r.stop()
	if r.ownPool {
		_ = r.pool.Close()
	}
}

// start submits every task in order. A task that cannot be submitted (the
// pool is closed, or the group was decided while a bounded queue was full)
// is recorded as skipped with that error.
func (r *run[T]) start() {
	for i := range r.g.tasks {
		h, err := r.pool.Submit(r.ctx, r.task(i))
		if err != nil {
			r.record(i, pool.Skipped, err)
			continue
		}
		r.handles[i] = h
	}
}

// task wraps member i's function: it stores the output and tells the tally
// how the task ended as soon as it returns, so that a deciding event
// cancels the siblings at once. Panics are recovered here (and returned as
// the task's error) for the same reason.
func (r *run[T]) task(i int) func(context.Context) error {
	m := &r.g.tasks[i]
	return func(ctx context.Context) (err error) {
		returned := false
		defer func() {
			if !returned {
				if v := recover(); v != nil {
					err = pool.NewPanicError(v)
				} else {
					err = pool.ErrGoexit
				}
			}
			r.observe(i, ctx, err)
		}()
		m.output, err = m.fn(ctx)
		returned = true
		return err
	}
}

// observe records how task i ended, as pool.Outcome classifies it, and
// stops the group if the strategy says so.
func (r *run[T]) observe(i int, ctx context.Context, err error) {
	r.record(i, pool.Outcome(ctx, err), err)
}

// record keeps task i's final state and error and feeds the tally. The
// state recorded here, at the moment the task ended, is the one the
// results report: it is what the strategy decided on.
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

// wait waits for every submitted task to end, then records the tasks that
// never ran.
func (r *run[T]) wait() {
	for i, h := range r.handles {
		if h == nil {
			continue // recorded by start
		}
		<-h.Done()
		if h.State() == pool.Skipped {
			r.record(i, pool.Skipped, h.Err())
		}
	}
}

func (r *run[T]) verdict() (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tally.Verdict()
}

func (r *run[T]) results() *Results[T] {
	res := &Results[T]{all: make([]Result[T], len(r.g.tasks)), byID: r.g.byID, winner: r.tally.Winner()}
	for i, m := range r.g.tasks {
		out := Result[T]{ID: m.id, State: r.states[i], Err: r.errs[i]}
		if h := r.handles[i]; h != nil {
			out.Waited, out.Ran = h.Durations()
		}
		if out.State != pool.Skipped {
			out.Output = m.output
		}
		res.all[i] = out
	}
	return res
}
