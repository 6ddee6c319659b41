package parallel

import (
	"context"
	"errors"
	"time"

	"github.com/braid-go/braid/pool"
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
// the pool no handle: the ledger's wrapper records everything a Result needs.
type run[T any] struct {
	g      *Group[T]
	pool   *pool.Pool
	ctx    context.Context
	cancel context.CancelCauseFunc
	stop   context.CancelFunc // releases the timeout's timer
	led    *ledger
	mw     pool.Middleware // the group's, composed (see WithMiddleware)
}

func (g *Group[T]) newRun(parent context.Context) (*run[T], error) {
	r := &run[T]{g: g}
	r.ctx, r.cancel, r.stop = runContext(parent, g.cfg.timeout)
	var err error
	if r.pool, err = runPool(r.ctx, &g.cfg, g.cfg.limit); err != nil {
		r.stop()
		r.cancel(nil)
		return nil, err
	}
	ids := make([]string, len(g.tasks))
	for i, m := range g.tasks {
		ids[i] = m.id
	}
	r.led = newLedger(ids, g.cfg.strategy, r.cancel, errDecided)
	r.mw = pool.Chain(g.cfg.middleware...)
	return r, nil
}

// runContext derives the context of a run from parent: bounded by timeout
// when it is positive (the cause is then ErrTimeout), and cancelled with a
// cause of its own when the strategy decides the run. stop releases the
// timeout's timer.
func runContext(parent context.Context, timeout time.Duration) (context.Context, context.CancelCauseFunc, context.CancelFunc) {
	ctx, stop := parent, context.CancelFunc(func() {})
	if timeout > 0 {
		ctx, stop = context.WithTimeoutCause(parent, timeout, ErrTimeout)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	return ctx, cancel, stop
}

// runPool returns the pool a run's tasks go to, with ctx as their context:
// a sub-pool of on when it is given, else a pool of the run's own whose
// workers exit as soon as it is idle, so that none outlives the run.
func runPool(ctx context.Context, cfg *config, limit int) (*pool.Pool, error) {
	if cfg.pool != nil {
		return cfg.pool.Sub(pool.MaxWorkers(limit), pool.WithContext(ctx), pool.PoolLabel(cfg.name))
	}
	opts := []pool.Option{pool.MaxWorkers(limit), pool.IdleTimeout(0), pool.WithContext(ctx), pool.PoolLabel(cfg.name)}
	if cfg.hook != nil {
		opts = append(opts, pool.OnEvent(cfg.hook, 0))
	}
	return pool.New(opts...)
}

func (r *run[T]) close() {
	_ = r.pool.Close()
	r.cancel(nil)
	r.stop()
}

// start submits every task in order. A task that cannot be submitted (the
// pool it runs on was closed) is recorded as skipped with that error.
func (r *run[T]) start() {
	r.led.queue(0, len(r.g.tasks))
	for i := range r.g.tasks {
		if err := r.pool.Go(r.task(i), pool.Label(r.g.cfg.name, r.g.tasks[i].id)); err != nil {
			r.led.record(i, pool.Skipped, err)
		}
	}
}

// task wraps member i's function so that it keeps its output.
func (r *run[T]) task(i int) func(context.Context) error {
	m := &r.g.tasks[i]
	return wrap(r.led, i, withMiddleware(r.mw, r.g.cfg.name, r.led, i, m.fn), &m.output)
}

// wait waits until every task has ended, then records the tasks that never
// ran: the pool skipped them because the group's context ended first.
func (r *run[T]) wait() {
	_ = r.pool.Wait() // every task's outcome is already in the ledger
	r.led.skip(0, len(r.g.tasks), context.Cause(r.ctx))
}

func (r *run[T]) verdict() (bool, error) { return r.led.verdict() }

func (r *run[T]) results() *Results[T] {
	return collect(r.led, r.g.byID, func(i int) T { return r.g.tasks[i].output })
}
