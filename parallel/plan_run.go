package parallel

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

var (
	// errPlanDecided is the cancellation cause of a plan's tasks when its
	// strategy decided it (a fail_fast failure, a tolerance exceeded).
	errPlanDecided = errors.New("parallel: plan decided")
	// errEarlierFailure is why steps were skipped after a block in which a
	// step failed, under wait_all.
	errEarlierFailure = errors.New("parallel: an earlier step failed")
)

// planRun is one execution of a plan. Every scope of the schedule is a
// pool: the plan run is a pool of its own (or a sub-pool of OnPool's), and
// each inlined plan and each broadcast a sub-pool of its enclosing plan's,
// so a task holds a slot in its own scope and in every enclosing one, and
// each plan's Max Threads counts everything running below it. Tasks are
// submitted with the run's context, cancelled when the strategy decides or
// the timeout passes: then queued tasks are skipped and running ones see it.
type planRun struct {
	s       *schedule
	kind    strategy.Kind
	name    string // the plan's, for events
	timeout bool
	ctx     context.Context
	cancel  context.CancelCauseFunc
	stop    context.CancelFunc
	unwatch func() bool  // stops the ledger's watch of ctx
	pools   []*pool.Pool // by scope
	led     *ledger
	servers *servers    // nil without OnServers
	hookErr error       // a panic of the plan's event hook
	stuck   atomic.Bool // a wait found a step that cannot end before its waiter (see await)
	outputs outputs     // the values of Produce steps (see Output)
	mw      planMiddleware
}

func newPlanRun(parent context.Context, cfg planConfig, s *schedule) (*planRun, error) {
	r := &planRun{s: s, kind: cfg.strategy.Kind(), timeout: cfg.timeout > 0, name: cfg.label}
	r.ctx, r.cancel, r.stop = runContext(parent, cfg.timeout)
	r.ctx = context.WithValue(r.ctx, outputsKey{}, &r.outputs) // for Output.From in the steps
	r.pools = make([]*pool.Pool, len(s.scopes))
	for i, sc := range s.scopes {
		var err error
		if sc.parent < 0 {
			r.pools[i], err = runPool(r.ctx, &cfg.config, sc.limit)
		} else {
			r.pools[i], err = r.pools[sc.parent].Sub(pool.MaxWorkers(sc.limit))
		}
		if err != nil {
			r.close()
			return nil, err
		}
	}
	r.led = newLedger(s.ids, cfg.strategy, r.cancel, errPlanDecided)
	r.unwatch = r.led.watch(r.ctx)
	r.mw.task, r.mw.run = pool.Chain(cfg.middleware...), chainRun(cfg.runMiddleware)
	if cfg.servers != nil {
		r.servers = &servers{sel: cfg.servers, sticky: cfg.sticky}
	}
	return r, nil
}

// close closes the run's pools (closing the first closes them all) and
// releases its context.
func (r *planRun) close() {
	if r.pools[0] != nil {
		// Every task has ended: their errors are in the ledger. What is
		// left to learn from Close is a panic of the event hook.
		var herr *pool.HookError
		if errors.As(r.pools[0].Close(), &herr) {
			r.hookErr = herr
		}
	}
	if r.unwatch != nil { // nil when the run could not make its pools
		r.unwatch()
	}
	r.cancel(nil)
	r.stop()
}

// sequence runs units one after another. ctx belongs to the goroutine that
// waits: the caller of Run, or the task of an Inline member; when it is a
// braid task's, its slot is given back while it waits.
func (r *planRun) sequence(ctx context.Context, units []unit) {
	for _, u := range units {
		if r.halted() {
			r.skipUnit(u, r.cause())
			continue
		}
		r.block(ctx, u)
	}
}

// halted reports whether no further unit may start: the run was cancelled,
// or, except under best_effort, some step failed.
func (r *planRun) halted() bool {
	return r.ctx.Err() != nil || r.kind != strategy.KindBestEffort && r.led.anyFailed()
}

func (r *planRun) cause() error {
	if err := context.Cause(r.ctx); err != nil {
		return err
	}
	return errEarlierFailure
}

// skipUnit records the tasks of u, which will never start, as Skipped. It
// hands each to its pool first with a context already ended, so that the
// pool skips it as it skips any task (with its events, its name and
// resources in them, and its Stats), as a group's tasks are: the hook, the
// timeline and the test kit then see every step of the plan end. cause
// is why they never start.
func (r *planRun) skipUnit(u unit, cause error) { r.skipRange(u.lo, u.hi, cause) }

// skipRange is skipUnit for tasks lo to hi-1.
// They are recorded first, so that a pool that refuses them (closed under
// the run) does not rewrite why.
func (r *planRun) skipRange(lo, hi int, cause error) {
	r.led.skip(lo, hi, cause)
	ctx, cancel := context.WithCancelCause(r.ctx)
	cancel(cause)
	for i := lo; i < hi; i++ {
		t := &r.s.tasks[i]
		r.submit(ctx, i, i+1, r.pools[t.scope], r.s.ids[i], t.opts, neverRuns)
	}
}

// neverRuns is the function of a task submitted only to be skipped.
func neverRuns(context.Context) error { return nil }

// block starts every member of u and waits until all have returned,
// failed ones included, holding no slot. The tasks that never ran (the
// pool skipped them when the run was cancelled, or on its own account) are
// then recorded.
func (r *planRun) block(ctx context.Context, u unit) {
	r.aroundBlock(ctx, u, func(submit context.Context) {
		r.led.queue(u.lo, u.hi)
		subs := make([]submitted, 0, u.hi-u.lo)
		for _, m := range u.members {
			subs = r.start(submit, m, subs)
		}
		pool.Suspend(ctx, func() {
			for _, s := range subs {
				r.await(ctx, s.h)
			}
		})
		r.skipped(subs)
		r.led.skip(u.lo, u.hi, r.cause())
	})
}

// await waits until t has ended. From a braid task (the caller of Run, or
// an Inline member's task) with its context, it waits with Task.Wait,
// which returns pool.ErrDeadlock at once when t can only end after the
// waiter does (t needs a name or resource the waiter holds, or waits for
// it): then the run is decided with that cause, which skips t if it has
// not started, and stops the steps after.
func (r *planRun) await(ctx context.Context, t *pool.Task) {
	if !r.stuck.Load() && t.Wait(ctx) == pool.ErrDeadlock {
		select {
		case <-t.Done(): // t's own error, not the wait's
		default:
			r.stuck.Store(true)
			r.cancel(errDeadlock)
		}
	}
	<-t.Done()
}

// submitted is a task submitted to a pool, which runs tasks lo to hi-1 of
// the ledger: one step's, or an inlined plan's.
type submitted struct {
	h      *pool.Task
	lo, hi int
	inline bool // h runs an inlined plan: tasks lo to hi-1 are its steps, not h
}

// skipped records the tasks that their pool skipped with the pool's error:
// on its own account, a forced Shutdown of a shared pool or a name's
// overflow policy (maybe before the run was decided, which must not
// rewrite why), where r.cause would say an earlier step failed; or because
// the run's context ended, whose cause the pool's error then is.
func (r *planRun) skipped(subs []submitted) {
	for _, s := range subs {
		switch err := poolSkipped(s.h); {
		case err == nil:
		case s.inline: // its steps were never submitted: they end with events too
			r.skipRange(s.lo, s.hi, err)
		default:
			r.led.skip(s.lo, s.hi, err)
		}
	}
}

// start submits member m: its tasks, or for an Inline member one task that
// runs the inlined plan's units. That task runs its first unit even after
// a sibling failed, as any member of a started block runs; only the units
// after it are later steps, which a failure stops.
func (r *planRun) start(ctx context.Context, m part, subs []submitted) []submitted {
	if m.units != nil {
		h := r.submit(ctx, m.lo, m.hi, r.pools[m.scope], m.name, nil, func(ctx context.Context) error {
			if r.mw.run != nil {
				ctx = context.WithValue(ctx, inlineKey{}, r)
			}
			r.block(ctx, m.units[0])
			r.sequence(ctx, m.units[1:])
			return nil
		})
		if h != nil {
			subs = append(subs, submitted{h, m.lo, m.hi, true})
		}
		return subs
	}
	for i := m.lo; i < m.hi; i++ {
		t := &r.s.tasks[i]
		fn := withMiddleware(r.mw.task, r.name, r.led, i, r.placed(t))
		if h := r.submit(ctx, i, i+1, r.pools[t.scope], r.s.ids[i], t.opts, wrap(r.led, i, fn, nil)); h != nil {
			r.led.handle(i, h)
			subs = append(subs, submitted{h, i, i + 1, false})
		}
	}
	return subs
}

// submit submits fn, which runs tasks lo to hi-1, to p, with ctx (the
// run's, unless run middleware gave the block one derived from it), opts
// (the step's task options) and the run's label. If p refuses it (it was
// closed under the run), those tasks are skipped with the reason, and
// submit returns nil.
func (r *planRun) submit(ctx context.Context, lo, hi int, p *pool.Pool, id string, opts []pool.TaskOption, fn func(context.Context) error) *pool.Task {
	opts = append(opts[:len(opts):len(opts)], pool.Label(r.name, id))
	h, err := p.Submit(ctx, fn, opts...)
	if err != nil {
		r.led.skip(lo, hi, err)
		return nil
	}
	return h
}

func (r *planRun) finish() (*Results[struct{}], error) {
	res := collect[struct{}](r.led, r.s.byID)
	res.outputs = &r.outputs
	ok, err := r.led.verdict()
	if r.timeout && errors.Is(context.Cause(r.ctx), ErrTimeout) && cutByTimeout(res) {
		ok, err = false, errors.Join(ErrTimeout, err) // whatever the strategy says of the rest
	}
	if r.stuck.Load() {
		ok, err = false, errors.Join(errDeadlock, err)
	}
	if r.hookErr != nil {
		ok, err = false, errors.Join(err, r.hookErr)
	}
	if ok {
		return res, nil
	}
	return res, err
}

// unstarted is the result of a plan that could not start (the pool it was
// to run on is closed): every task ends Skipped with that error.
func (s *schedule) unstarted(cfg planConfig, err error) *Results[struct{}] {
	led := newLedger(s.ids, cfg.strategy, func(error) {}, errPlanDecided)
	led.skip(0, len(s.ids), err)
	return collect[struct{}](led, s.byID)
}
