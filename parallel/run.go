package parallel

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// errDecided is wrapped by the cancellation cause of a race's tasks when
// a task won it. A run decided by a failure is cancelled with that failure
// itself (see ledger.cause).
var errDecided = errors.New("parallel: group decided")

// run is one execution of a group. Its tasks run on a pool of their own
// (a new pool, or a sub-pool of the one given with OnPool) whose context is
// the group's: when the group is decided or times out, that pool skips what
// is queued or blocked and its running tasks see the cancellation, and the
// pool's Wait is the group's wait. A task with no options is submitted with
// Pool.Go, which costs the pool no handle: the ledger's wrapper records
// everything a Result needs. A task with options is submitted with
// Pool.Submit, whose handle knows how long it was blocked on its keys.
type run[T any] struct {
	g       *Group[T]
	parent  context.Context // the caller's: its slot is given back while Wait waits
	pool    *pool.Pool
	ctx     context.Context
	cancel  context.CancelCauseFunc
	stop    context.CancelFunc // releases the timeout's timer
	led     *ledger
	failed  error           // why the group could not run at all; its tasks are all skipped
	hookErr error           // a panic of the group's event hook
	mw      pool.Middleware // the group's, composed (see WithMiddleware)

	mu      sync.Mutex
	members []*member[T] // by ledger number
}

// newRun makes the run of g's tasks. Called with g.mu held; start submits
// them once it is released, so that a task may Add as soon as it runs.
func (g *Group[T]) newRun(parent context.Context) *run[T] {
	r := &run[T]{g: g, parent: parent, members: g.tasks}
	r.ctx, r.cancel, r.stop = runContext(parent, g.cfg.timeout)
	ids := make([]string, len(g.tasks))
	for i, m := range g.tasks {
		ids[i] = m.id
	}
	s := g.cfg.strategy
	if s.Err() != nil {
		s = strategy.WaitAll() // the group will not run: any strategy records that
	}
	r.led = newLedger(ids, s, r.cancel, errDecided)
	r.mw = pool.Chain(g.cfg.middleware...)
	r.failed = errors.Join(append([]error{g.cfg.err}, g.misuse...)...)
	if r.failed == nil {
		r.pool, r.failed = runPool(r.ctx, &g.cfg, g.cfg.limit)
	}
	if r.failed != nil {
		r.led.skip(0, len(ids), r.failed) // nothing runs
	}
	return r
}

// start submits the tasks the group had when it started.
func (r *run[T]) start(tasks []*member[T]) {
	if r.failed != nil {
		return
	}
	r.led.queue(0, len(tasks))
	for i, m := range tasks {
		r.submit(i, m)
	}
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
		return cfg.pool.Sub(pool.MaxWorkers(limit), pool.WithContext(ctx), pool.PoolLabel(cfg.label))
	}
	opts := []pool.Option{pool.MaxWorkers(limit), pool.IdleTimeout(0), pool.WithContext(ctx), pool.PoolLabel(cfg.label)}
	if cfg.hook != nil {
		opts = append(opts, pool.OnEvent(cfg.hook))
	}
	p, err := pool.New(append(opts, cfg.poolOpts...)...)
	if err != nil {
		return nil, invalidf("PoolOptions: %v", err)
	}
	return p, nil
}

func (r *run[T]) close() {
	if r.pool != nil {
		_ = r.pool.Close() // every task has ended: the errors are in the ledger
	}
	r.cancel(nil)
	r.stop()
}

// add starts task m of a running group; bad, if not nil, is why it must
// not run.
func (r *run[T]) add(m *member[T], bad error) {
	r.mu.Lock()
	i := r.led.add(m.id)
	r.members = append(r.members, m)
	r.mu.Unlock()
	if bad == nil {
		r.g.byID[m.id] = i // under g.mu, held by Add
	}
	switch {
	case bad != nil:
		r.led.record(i, pool.Skipped, bad)
	case r.failed != nil:
		r.led.record(i, pool.Skipped, r.failed)
	default:
		r.led.queue(i, i+1)
		r.submit(i, m)
	}
}

// submit submits task i. A task that cannot be submitted (the pool it
// runs on was closed) is recorded as skipped with that error.
func (r *run[T]) submit(i int, m *member[T]) {
	fn := wrap(r.led, i, withMiddleware(r.mw, r.g.cfg.label, r.led, i, m.fn), &m.output)
	label := pool.Label(r.g.cfg.label, m.id)
	if len(m.opts) == 0 {
		if err := r.pool.Go(fn, label); err != nil {
			r.led.record(i, pool.Skipped, err)
		}
		return
	}
	opts := append(m.opts[:len(m.opts):len(m.opts)], label) // the group's label wins
	h, err := r.pool.Submit(r.ctx, fn, opts...)
	if err != nil {
		r.led.record(i, pool.Skipped, err)
		return
	}
	r.led.handle(i, h)
}

// wait waits until every task has ended, then records the tasks that never
// ran: the pool skipped them because the group's context ended first.
func (r *run[T]) wait() {
	if r.pool == nil {
		return
	}
	// Pool.Wait waits for the tasks submitted before it; tasks may add
	// tasks while the group runs, so wait again until every task submitted
	// has ended (the pool's own counts say so). Every task's outcome is
	// already in the ledger.
	for {
		err := r.pool.Wait()
		var herr *pool.HookError
		if errors.As(err, &herr) {
			r.hookErr = herr
		}
		s := r.pool.Stats()
		if s.Submitted == s.Succeeded+s.Failed+s.Canceled+s.Skipped+s.TimedOut {
			break
		}
	}
	r.led.skip(0, r.led.len(), context.Cause(r.ctx))
}

func (r *run[T]) verdict() (bool, error) { return r.led.verdict() }

func (r *run[T]) results() *Results[T] {
	r.mu.Lock()
	members := r.members
	r.mu.Unlock()
	return collect(r.led, r.g.byID, func(i int) T { return members[i].output })
}
