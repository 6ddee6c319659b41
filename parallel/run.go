package parallel

import (
	"context"
	"errors"
	"runtime/trace"
	"sync"
	"sync/atomic"
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
// Pool.Go, which costs the pool no handle: the ledger records everything a
// Result needs. A task with options is submitted with Pool.Submit, whose
// handle knows how long it was blocked on its keys.
//
// How the declared tasks reach the pool depends on the run (see mode): all
// at once, fed one by one as they start, or, for a few tasks with no
// limit, on goroutines of the run's own with no pool at all.
type run[T any] struct {
	g       *Group[T]
	parent  context.Context // the caller's: its slot is given back while Wait waits
	ctx     context.Context
	cancel  context.CancelCauseFunc
	stop    context.CancelFunc // releases the timeout's timer
	unwatch func() bool        // stops the ledger's watch of ctx, if it has one
	led     ledger
	failed  error           // why the group could not run at all; its tasks are all skipped
	stuck   atomic.Bool     // its wait found a task that cannot end before the waiter (see wait)
	hookErr error           // a panic of the group's event hook
	mw      pool.Middleware // the group's, composed (see WithMiddleware)
	mode    mode
	direct  sync.WaitGroup // the goroutines of tasks run without a pool (see goDirect)

	mu     sync.Mutex
	tasks  []member[T]  // the group's declared tasks, numbered first; fixed once it runs
	added  []*member[T] // tasks added while it runs, numbered after them
	pool   *pool.Pool   // nil until a task needs it, in a direct run
	sealed bool         // the wait is over: a task added now never starts
	next   int          // feeding: tasks before it have all been fed (see feedNext)
	queued int          // feeding: tasks fed to the pool that have not started
	window int          // feeding: the most tasks fed and not started (see feedNext)
	feeder bool         // feeding: a goroutine is submitting fed tasks (see feedNext)
	batch  []fedTask[T] // the feeder's, reused

	resOnce sync.Once
	res     Results[T]
}

// mode is how a run hands its declared tasks to be run.
type mode uint8

const (
	// upfront: every task is submitted to the pool when the run starts.
	upfront mode = iota
	// feeding: a run with a limit on a pool of its own keeps its tasks and
	// submits the next ones as they start, so that the pool's queue holds
	// at most the limit's worth of the run's tasks instead of thousands
	// (see feedNext). A task that is
	// never fed (the run was decided first) costs the pool nothing; the
	// ledger records it Skipped with the rest.
	//
	// Nothing about the order or the limit changes: the pool runs its
	// queue in order, and the tasks fed are always the ones that would
	// have been next in it. At least one task is queued whenever any is
	// held back, so any free slot (a task that ended, or one that gave its
	// slot back while it waits, see pool.Suspend) starts it, and starting
	// tops the queue up (see feedNext).
	feeding
	// direct: a run with no limit, of a few tasks with no options, on a
	// pool of its own with no hook: each task runs on a goroutine of the
	// run's own, started at once, which is what the pool would do
	// (no limit means every task starts at once). It spares the pool's
	// construction and its workers starting one after another (each new
	// worker starts the next, see pool's pump), about 1.5 us each, which
	// made a race of 16 tasks 4-5x slower than a hand-written select.
	// Tasks added while the run goes on are submitted to a pool made then.
	direct
)

// directMax is the most tasks a direct run starts on goroutines of its
// own. Measured with tasks that return at once (the case most favourable
// to a pool, whose workers take task after task), 2 cores: a group of 4,
// 16 and 64 ran in 5.9, 12.6 and 44.7 us direct against 14.8, 21.6 and
// 52.3 us on a pool of its own. The bound keeps a group of thousands from
// becoming a goroutine per task, which the pool exists to avoid; where
// between 64 and thousands the pool starts to win was not measured.
const directMax = 64

// newRun makes the run of g's tasks. Called with g.mu held, after index;
// start submits them once it is released, so that a task may Add as soon
// as it runs.
func (g *Group[T]) newRun(parent context.Context) *run[T] {
	n := len(g.tasks)
	r := &run[T]{g: g, parent: parent, tasks: g.tasks}
	r.ctx, r.cancel, r.stop = runContext(parent, g.cfg.timeout)
	ids := make([]string, n)
	for i := range g.tasks {
		ids[i] = g.tasks[i].id
	}
	s := g.cfg.strategy
	if s.Err() != nil {
		s = strategy.WaitAll() // the group will not run: any strategy records that
	}
	r.led.init(ids, s, r.cancel, errDecided)
	r.led.ctx = r.ctx
	r.mw = pool.Chain(g.cfg.middleware...)
	if g.cfg.err != nil || g.misuse != nil {
		r.failed = errors.Join(append([]error{g.cfg.err}, g.misuse...)...)
	}
	r.mode = g.mode()
	if r.failed == nil && r.mode != direct {
		r.pool, r.failed = runPool(r.ctx, &g.cfg, g.cfg.limit)
		// A direct run notes it as its tasks start (see goDirect): a
		// watch would cost a race a tenth more.
		r.unwatch = r.led.watch(r.ctx)
	}
	if r.failed != nil {
		r.led.skip(0, n, r.failed) // nothing runs
		return r
	}
	if r.mode == direct {
		r.direct.Add(n) // before any Wait can see the run
	}
	// A context makes its Done channel when first asked, under its lock:
	// asked now, not by every task at once as they start (measured: 0.9 us
	// of a 15 us race of 16 tasks went to waiting for that lock).
	r.ctx.Done()
	return r
}

// mode chooses how the declared tasks are run (see mode). Called with g.mu
// held.
func (g *Group[T]) mode() mode {
	cfg := &g.cfg
	if cfg.pool != nil || cfg.hook != nil || cfg.poolOpts != nil {
		return upfront // a shared pool, or one whose events or settings the caller asked for
	}
	for i := range g.tasks {
		if g.tasks[i].opts != nil {
			return upfront // names, resources and priorities are the pool's
		}
	}
	n := len(g.tasks)
	switch {
	case cfg.limit == 0 && n <= directMax && cfg.middleware == nil && !trace.IsEnabled():
		return direct // middleware and execution traces are told the pool's view of the task
	case cfg.limit > 0 && n > cfg.limit+1:
		return feeding
	}
	return upfront
}

// start runs the tasks the group had when it started.
func (r *run[T]) start() {
	if r.failed != nil {
		return
	}
	tasks := r.tasks
	r.led.queue(0, len(tasks))
	if r.mode == direct {
		r.goDirect()
		return
	}
	r.mu.Lock()
	first := len(tasks)
	feeding := r.mode == feeding
	if feeding {
		// As many as can start, and a window's worth queued (see feedNext).
		// start is the feeder while it submits them: the first to start
		// must not feed the tasks after them ahead of those not yet
		// submitted.
		r.window = r.g.cfg.limit
		first = min(len(tasks), r.g.cfg.limit+r.window)
		r.next, r.queued, r.feeder = first, first, true
	}
	for i := range tasks[:first] {
		tasks[i].fed = true
	}
	r.mu.Unlock()
	for i := range tasks[:first] {
		r.submit(i, &tasks[i], feeding)
	}
	if feeding {
		r.mu.Lock()
		r.feeder = false
		r.feed() // for the tasks that started meanwhile
		r.mu.Unlock()
	}
}

// member returns task i. Called with r.mu held, or once the run is over.
func (r *run[T]) member(i int) *member[T] {
	if i < len(r.tasks) {
		return &r.tasks[i]
	}
	return r.added[i-len(r.tasks)]
}

// goDirect runs tasks on goroutines of the run's own (see direct), one
// each. They share one function, which takes the next task as it starts,
// so that starting one allocates nothing more than its goroutine. As in a
// pool, a task whose context is done never starts: wait records it
// Skipped.
func (r *run[T]) goDirect() {
	var next atomic.Int32
	done := r.ctx.Done()
	run := func() {
		defer r.direct.Done()
		i := int(next.Add(1)) - 1
		// Not r.ctx.Err(): once the context is done, Err also receives from
		// Done, under the channel's lock, and in a race every task that
		// starts after the win asks at once. A receive that does not
		// block reads a closed channel without the lock.
		select {
		case <-done:
			r.led.noteEnded() // it is skipped now (see result)
		default:
			_ = r.exec(r.ctx, i, &r.tasks[i], false)
		}
	}
	for range r.tasks {
		go run()
	}
}

// exec runs task i, m. A task that was fed (see feeding) first feeds the
// next.
func (r *run[T]) exec(ctx context.Context, i int, m *member[T], fed bool) error {
	if fed {
		r.feedNext()
	}
	return runTask(ctx, &r.led, i, withMiddleware(r.mw, r.g.cfg.label, &r.led, i, m.fn), &m.output)
}

// A fedTask is a task taken to be fed, with its number.
type fedTask[T any] struct {
	i int
	m *member[T]
}

// feedNext is called by a fed task as it starts. Once half of the window
// (the limit's worth of tasks fed and not started) has started, it tops
// the queue up with the next tasks held back, in order, unless the run is
// decided. One goroutine feeds at a time, so that tasks reach the pool in
// their order; the others only count themselves started, and the feeder
// looks again after each batch.
//
// A window, not one task: fed one at a time, each start submitted the
// next, and each submit found the pool's queue empty, its workers gone
// (the run's pool keeps none idle, see runPool) and spawned one. Map over
// 10 000 tasks that return at once, limit 8, 2 cores, interleaved A/B,
// medians of 6: 29.7 ms fed one at a time, 9.7 ms with the window
// (errgroup: 6.4 ms); a fail_fast group of 1 000 blocking tasks at limit
// 16 level (309 and 298 us).
func (r *run[T]) feedNext() {
	r.mu.Lock()
	r.queued--
	r.feed()
	r.mu.Unlock()
}

// feed tops the run's queue in its pool up, unless another goroutine is
// feeding it (see feedNext). Called with r.mu held; it releases it while it
// submits, and returns with it held.
func (r *run[T]) feed() {
	for !r.feeder && r.queued <= r.window/2 && r.ctx.Err() == nil {
		batch := r.batch[:0]
		for r.queued < r.window {
			i, m := r.take()
			if m == nil {
				break
			}
			batch = append(batch, fedTask[T]{i, m})
		}
		if len(batch) == 0 {
			break
		}
		r.feeder = true
		r.mu.Unlock()
		for _, f := range batch {
			r.submit(f.i, f.m, true)
		}
		clear(batch)
		r.mu.Lock()
		r.batch, r.feeder = batch, false
	}
}

// take marks the next task held back as fed and returns it, counting it as
// queued; m is nil when none is held back. Called with r.mu held.
func (r *run[T]) take() (i int, m *member[T]) {
	for ; r.next < len(r.tasks)+len(r.added); r.next++ {
		if m := r.member(r.next); !m.fed {
			m.fed = true
			r.queued++
			return r.next, m
		}
	}
	return -1, nil
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

// usePool returns the run's pool, made now if it has none (a direct run
// whose tasks add tasks).
func (r *run[T]) usePool() (*pool.Pool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pool == nil {
		if r.sealed {
			return nil, pool.ErrClosed
		}
		p, err := runPool(r.ctx, &r.g.cfg, r.g.cfg.limit)
		if err != nil {
			return nil, err
		}
		r.pool = p
	}
	return r.pool, nil
}

func (r *run[T]) close() {
	r.mu.Lock()
	p := r.pool
	r.sealed = true
	r.mu.Unlock()
	if p != nil {
		_ = p.Close() // every task has ended: the errors are in the ledger
	}
	if r.unwatch != nil {
		r.unwatch()
	}
	r.cancel(nil)
	r.stop()
}

// add starts task m of a running group; bad, if not nil, is why it must
// not run.
func (r *run[T]) add(m *member[T], bad error) {
	r.mu.Lock()
	i := r.led.add(m.id)
	r.added = append(r.added, m)
	sealed := r.sealed
	// A feeding run's task with no options takes its turn behind those
	// held back. If none is queued, the next held back goes now: m, unless
	// the run was decided with tasks held back (then the pool skips it).
	hold := bad == nil && r.failed == nil && !sealed && r.mode == feeding && m.opts == nil
	fi, fm := -1, (*member[T])(nil)
	switch {
	case !hold:
		m.fed = true
	case r.queued == 0 && !r.feeder: // with a feeder at work, it feeds m in turn
		fi, fm = r.take()
	}
	r.mu.Unlock()
	if bad == nil {
		r.g.byID[m.id] = i // under g.mu, held by Add
	}
	switch {
	case bad != nil:
		r.led.record(i, pool.Skipped, bad)
	case r.failed != nil:
		r.led.record(i, pool.Skipped, r.failed)
	case sealed:
		r.led.record(i, pool.Skipped, pool.ErrClosed)
	default:
		r.led.queue(i, i+1)
		if !hold {
			r.submit(i, m, false)
		}
		if fm != nil {
			r.submit(fi, fm, true)
		}
	}
}

// submit submits task i. A task that cannot be submitted (the pool it
// runs on was closed) is recorded as skipped with that error. fed says
// that it was fed (see feeding).
func (r *run[T]) submit(i int, m *member[T], fed bool) {
	p, err := r.usePool()
	if err == nil {
		fn := func(ctx context.Context) error { return r.exec(ctx, i, m, fed) }
		label := pool.Label(r.g.cfg.label, m.id)
		if m.opts == nil {
			err = p.Go(fn, label)
		} else {
			opts := m.options()
			opts = append(opts[:len(opts):len(opts)], label) // the group's label wins
			var h *pool.Task
			if h, err = p.Submit(r.ctx, fn, opts...); err == nil {
				r.led.handle(i, h)
			}
		}
	}
	if err != nil {
		if fed {
			r.mu.Lock()
			r.queued-- // it never starts; the run is over, nothing more is fed
			r.mu.Unlock()
		}
		r.led.record(i, pool.Skipped, err)
	}
}

// wait waits until every task has ended, then records the tasks that never
// ran: the pool skipped them, or never had them, because the group's
// context ended first, or the pool skipped them on its own account (see
// skippedBy). Called from one of the run's own tasks, it returns false at
// once instead: it would wait for its caller.
func (r *run[T]) wait() bool {
	r.direct.Wait()
	r.mu.Lock()
	p := r.pool
	r.mu.Unlock()
	// A direct run's tasks have all returned: none can make a pool now but
	// a caller of Add, which races with Wait by its own account. Pool.Wait
	// waits for the tasks submitted before it; tasks may add tasks while
	// the group runs, so wait again until every task submitted has ended
	// (the pool's own counts say so). Every task's outcome is already in
	// the ledger.
	var goSkipped error // why the pool skipped Go tasks, if it did
	for {
		if p != nil && !r.drain(p, &goSkipped) {
			return false
		}
		// Seal under g.mu, which every Add holds while it submits: an Add
		// that came after the pool was seen idle (or made the pool of a
		// direct run) has submitted a task, which the wait goes on for; no
		// Add can slip in between this check and the seal.
		r.g.mu.Lock()
		r.mu.Lock()
		again := r.pool != p || (p != nil && !ended(p))
		p, r.sealed = r.pool, !again
		r.mu.Unlock()
		r.g.mu.Unlock()
		if !again {
			break
		}
	}
	r.led.skip(0, r.led.len(), r.skippedBy(goSkipped))
	return true
}

// drain waits until every task submitted to p has ended, keeping a hook's
// panic and why the pool skipped Go tasks (the first cause) in goSkipped.
// It returns false, without waiting, when its caller is a task of p: a
// task of the run, which the wait would wait for.
func (r *run[T]) drain(p *pool.Pool, goSkipped *error) bool {
	for {
		var err error
		if r.stuck.Load() {
			err = waitApart(p)
		} else {
			err = p.Wait()
		}
		if err == pool.ErrWaitsForItself {
			return false
		}
		if err == pool.ErrDeadlock {
			// The task that waits (the caller of Run, a braid task) holds
			// a name or resource that a task of the group needs, or that
			// task waits for it: neither could ever end. The group is
			// decided with the cause: what has not started is skipped,
			// and the name passes on; what runs sees its context end.
			r.stuck.Store(true)
			r.cancel(errDeadlock)
			continue
		}
		var herr *pool.HookError
		if errors.As(err, &herr) {
			r.hookErr = herr
		}
		var serr *pool.SkippedError
		if *goSkipped == nil && errors.As(err, &serr) {
			*goSkipped = serr.Cause
		}
		if ended(p) {
			return true
		}
	}
}

// over reports whether the wait is over and sealed: a task added now
// could not be run. Called with g.mu held, under which wait seals.
func (r *run[T]) over() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sealed
}

// ended reports whether every task submitted to p has ended.
func ended(p *pool.Pool) bool {
	s := p.Stats()
	return s.Submitted == s.Succeeded+s.Failed+s.Canceled+s.Skipped+s.TimedOut
}

// skippedBy returns why the tasks not yet recorded never ran. A task with
// a handle that its pool skipped says why by the handle's error, recorded
// here first: its pool skipped it on its own account (a forced Shutdown of
// a shared pool, a name's overflow policy, maybe before the run was
// decided), or because the run's context ended, whose cause the handle's
// error is then. The rest never ran for the cause of the run's context when
// it ended (it was decided, timed out or cancelled), which is returned, or
// else a Go task for the cause the pool's Wait reported, goSkipped: so that
// a Skipped task has an error, as Result.Err is nil only for a success.
func (r *run[T]) skippedBy(goSkipped error) error {
	r.led.skipHandled(0, r.led.len())
	if cause := context.Cause(r.ctx); cause != nil {
		return cause
	}
	return goSkipped
}

// waitApart waits for p from a goroutine of its own, which Pool.Wait sees
// as no task's: once the group is decided for a deadlock, what is left
// are running tasks that saw their context end, and waiting for them is
// all there is to do.
func waitApart(p *pool.Pool) error {
	done := make(chan error, 1)
	go func() { done <- p.Wait() }()
	return <-done
}

func (r *run[T]) verdict() (bool, error) { return r.led.verdict() }

// results returns the run's results, made once: concurrent Waits share
// them. They live in the run, which they read anyway.
func (r *run[T]) results() *Results[T] {
	r.resOnce.Do(func() {
		r.mu.Lock()
		r.res.tasks, r.res.added = r.tasks, r.added
		r.mu.Unlock()
		r.res.from(&r.led, r.g.byID)
	})
	return &r.res
}
