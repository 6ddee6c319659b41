package pool

import (
	"context"
	"errors"
	"time"

	"github.com/braid-go/braid/lock"
)

// Pool runs tasks on a bounded set of reusable worker goroutines.
//
// A Pool is safe for concurrent use. Create one with [New]; a sub-pool with
// [Pool.Sub]. Tasks are functions of a context that return an error. Submit
// them with [Pool.Go] (fire and forget; errors come back from Wait) or
// [Pool.Submit] (a [Task] handle to wait on).
type Pool struct {
	tr       *tree
	parent   *Pool
	children []*Pool
	ctx      context.Context
	cancel   context.CancelCauseFunc
	stop     func() bool // unregisters the watch on ctx
	unlink   func() bool // a sub-pool with a context of its own: unregisters the link to the parent's

	// The fields below are guarded by tr.mu.
	limit       int   // 0: no limit of its own
	bound       int   // queue bound; 0: unbounded
	running     int   // slots held: by this pool's tasks and its sub-pools'
	blocked     int   // this pool's tasks that are suspended
	queued      int   // tasks waiting in urgent and normal (not resume entries)
	keyed       int   // tasks blocked on their names, resources or backend leases
	dead        int   // entries in urgent and normal whose task was cancelled (see dropped)
	resumes     queue // suspended tasks asking for their slot back: first of all
	urgent      queue // Priority tasks
	normal      queue
	own         counter       // this pool's unfinished tasks
	mark        uint64        // a Wait's watermark: it waits for the tasks numbered up to here (see ended)
	markLeft    int           // tasks up to the mark not yet ended
	markDone    chan struct{} // closed when they all have; nil when no Wait has a mark
	reached     uint64        // every task of p numbered up to here has ended
	sub         counter       // unfinished tasks of this pool and its sub-pools: what Close waits for
	space       chan struct{}
	closed      bool
	done        error // set when ctx is done: new and queued tasks are skipped with it
	errs        []error
	skipped     int // Go tasks skipped since the last Wait
	stats       Stats
	watches     map[<-chan struct{}]*watch // queued Submit tasks, by their context (see watch)
	live        map[*Task]struct{}         // running Submit tasks, cancelled by a forced shutdown
	label       string                     // in events (see PoolLabel)
	blockedList *named                     // tasks blocked on their names or resources (see block)
}

// New returns a pool configured by opts. It starts no goroutine: workers
// start when tasks arrive and exit when idle, on Wait or on Close.
func New(opts ...Option) (*Pool, error) {
	cfg := defaults()
	cfg.apply(opts)
	if cfg.err != nil {
		return nil, cfg.err
	}
	names, err := lock.NewNames()
	if err != nil {
		return nil, err
	}
	tr := &tree{idleTimeout: cfg.idleTimeout, names: names, settings: cfg.lanes, backend: cfg.backend, middleware: Chain(cfg.middleware...)}
	if cfg.hook != nil {
		tr.ev = &events{hook: cfg.hook, limit: cfg.eventBuffer}
	}
	p := newPool(tr, nil, cfg)
	tr.root = p
	return p, nil
}

// Sub returns a sub-pool of p. A task of the sub-pool holds a slot in the
// sub-pool and in every ancestor while it runs, so the sub-pool's effective
// concurrency is the smaller of its own limit and what its ancestors have
// free. Sub-pools nest to any depth and share their root's workers.
//
// Closing p closes its sub-pools. A sub-pool that is no longer needed should
// be closed so that p forgets it. After p is closed, Sub returns
// [ErrClosed], except to a running task of p's tree, which may still need
// a sub-pool to finish its work. IdleTimeout applies to a whole tree and
// is rejected here with [ErrInvalid]. The sub-pool's context derives from
// p's; with WithContext it derives from the given context instead (its
// values and cancellation) and still ends when p's does.
func (p *Pool) Sub(opts ...Option) (*Pool, error) {
	p.check()
	cfg := defaults()
	cfg.apply(opts)
	if cfg.idleSet {
		cfg.fail(invalid("IdleTimeout applies to a root pool; sub-pools share its workers"))
	}
	if cfg.lanes != nil || cfg.backend != nil || cfg.hook != nil || cfg.eventBufferSet || cfg.middleware != nil {
		cfg.fail(invalid("NameLimit, NameOverflow, NameQueueSize, NameLocker, OnEvent, EventBuffer and WithMiddleware apply to a root pool; sub-pools share them"))
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	own := cfg.ctx != context.Background()
	if !own {
		cfg.ctx = p.ctx
	}
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	if p.closed && p.tr.byGoid[goid()] == nil {
		// A drain lets running tasks finish, and finishing may mean running
		// the nested work they start (a group on this pool): a task of the
		// tree may still make sub-pools, as it may still Submit.
		return nil, ErrClosed
	}
	c := newPool(p.tr, p, cfg)
	if own {
		// The sub-pool's context comes from the caller (its values, its
		// cancellation) and also ends when the parent's does.
		c.unlink = context.AfterFunc(p.ctx, func() { c.cancel(context.Cause(p.ctx)) })
	}
	p.children = append(p.children, c)
	return c, nil
}

func newPool(tr *tree, parent *Pool, cfg config) *Pool {
	p := &Pool{tr: tr, parent: parent, limit: cfg.limit, bound: cfg.queueBound, label: cfg.label}
	p.ctx, p.cancel = context.WithCancelCause(cfg.ctx)
	p.stop = context.AfterFunc(p.ctx, p.contextDone)
	return p
}

// contextDone runs when the pool's context ends: queued tasks are skipped
// (a task whose context is done never starts) and later submits are skipped
// at once.
func (p *Pool) contextDone() {
	p.tr.mu.Lock()
	cause := context.Cause(p.ctx)
	if errors.Is(p.ctx.Err(), context.DeadlineExceeded) {
		cause = deadline{cause}
	}
	_, blocked := p.abort(cause)
	p.tr.mu.Unlock()
	withdrawAll(blocked, cause)
}

// Go submits fn to run on the pool. It returns [ErrClosed] after Close or
// Shutdown. When a queue bound is set and the queue is full, Go blocks until
// there is room; a task of the pool's tree gets [ErrDeadlock] instead when
// that room could only come from tasks that wait for what it holds. fn's
// error, or its panic as a [*PanicError], is returned by the next
// [Pool.Wait]. fn receives the pool's context.
//
// Go allocates nothing beyond what the caller's closure already did. A nil
// fn panics: that is a programming error, not a runtime condition.
func (p *Pool) Go(fn func(ctx context.Context) error, opts ...TaskOption) error {
	checkFunc(fn)
	if len(opts) == 0 {
		return p.submit(context.Background(), entry{fn: fn}, &noOptions, true) // the hot path: nothing to merge or copy
	}
	var merged taskConfig
	return p.submit(context.Background(), entry{fn: fn}, taskOptions(opts, &merged), true)
}

// TryGo is Go that never blocks: it returns [ErrQueueFull] when the queue
// bound is reached.
func (p *Pool) TryGo(fn func(ctx context.Context) error, opts ...TaskOption) error {
	checkFunc(fn)
	var merged taskConfig
	return p.submit(context.Background(), entry{fn: fn}, taskOptions(opts, &merged), false)
}

// Submit submits fn and returns a handle to follow it. fn receives a context
// derived from ctx that is also cancelled when the pool is shut down by
// force or its own context ends. If ctx is done before fn starts, fn never runs and the task ends
// [Skipped]. When the queue is full, Submit blocks until there is room or
// ctx is done (then it returns ctx's error and nothing was submitted), or
// returns [ErrDeadlock] at once, as Go does, when the room could only come
// from tasks that wait for what the submitting task holds.
//
// After Close, Submit still accepts tasks from a running task of the same
// tree of pools, called with that task's context: a drain lets running
// tasks finish, and finishing may mean running the subtasks they wait for.
func (p *Pool) Submit(ctx context.Context, fn func(ctx context.Context) error, opts ...TaskOption) (*Task, error) {
	return p.submitTask(ctx, fn, opts, true)
}

// TrySubmit is Submit that never blocks: it returns [ErrQueueFull] when the
// queue bound is reached.
func (p *Pool) TrySubmit(ctx context.Context, fn func(ctx context.Context) error, opts ...TaskOption) (*Task, error) {
	return p.submitTask(ctx, fn, opts, false)
}

func (p *Pool) submitTask(ctx context.Context, fn func(context.Context) error, opts []TaskOption, block bool) (*Task, error) {
	checkFunc(fn)
	checkContext(ctx)
	t := newTask(p, ctx)
	var merged taskConfig
	if err := p.submit(ctx, entry{fn: fn, t: t}, taskOptions(opts, &merged), block); err != nil {
		t.discard()
		return nil, err
	}
	return t, nil
}

// check panics on a Pool that New or Sub did not make: a zero Pool has no
// workers, queue or lock to use, and making one lazily would put a
// synchronised check on every call for the sake of a mistake.
func (p *Pool) check() {
	if p == nil || p.tr == nil {
		panic("pool: a zero or nil Pool; create one with pool.New (or Pool.Sub)")
	}
}

// checkContext panics on a nil context, a programming error, with the
// package's prefix rather than the context package's nil dereference.
func checkContext(ctx context.Context) {
	if ctx == nil {
		panic("pool: nil context")
	}
}

func checkFunc(fn func(context.Context) error) {
	if fn == nil {
		panic("pool: nil task function")
	}
}

// submit queues e, waiting for room when the queue is bounded and block is
// set. ctx (the submitter's; Background for Go, which has none) bounds that
// wait.
func (p *Pool) submit(ctx context.Context, e entry, cfg *taskConfig, block bool) error {
	p.check()
	tr := p.tr
	// A pointer, nil but for a Reentrant task that shares something: with
	// a sharing struct here instead, 64 submitters on 8 workers
	// (BenchmarkOversubscribed) went from 185 to 294 ns a task
	// (interleaved, medians of 4), though no task of theirs shares.
	var shares *sharing
	if cfg.reentrant {
		own := *cfg // cfg may be the caller's option, read in place
		cfg = &own
		shares = tr.notHeld(ctx, cfg)
	}
	if tr.needsNamed(e.t, cfg) {
		// Allocated before the lock, to keep the critical section short.
		e.n = &named{pool: p, task: e.t, name: cfg.name, res: cfg.res, prio: cfg.priority, group: cfg.group, id: cfg.id, shares: shares}
		if cfg.name != "" {
			e.n.hash = cfg.nameHash()
		}
		if tr.ev != nil {
			e.n.shown = displayResources(cfg.res)
		}
		if tr.middleware != nil && e.t == nil {
			e.n.queued = time.Now() // for TaskInfo.Queued; a Submit task has its own
		}
	}
	tr.mu.Lock()
	if p.bound > 0 || p.closed { // checked here: a call less on the hot path
		if err := p.room(ctx, block); err != nil {
			tr.mu.Unlock()
			return err
		}
	}
	var l *lane
	if cfg.name != "" {
		l = tr.lanes.get(cfg.name, cfg.nameHash()) // nil: a name not in use
		if l.full() {
			tr.mu.Unlock()
			return ErrNameQueueFull
		}
	}
	p.admit(ctx, &e, cfg, l)
	tr.mu.Unlock()
	return nil
}

// room waits, when p's queue is bounded and full and block is set, until
// it has room for one more task. It returns ErrQueueFull (full, and block
// unset), ErrClosed, or ctx's error when p may not take the task. Called
// with tr.mu held; returns with it held.
func (p *Pool) room(ctx context.Context, block bool) error {
	tr := p.tr
	closed := p.closed && !tr.owns(ctx)
	for p.bound > 0 && p.waiting() >= p.bound && !closed {
		if !block {
			return ErrQueueFull
		}
		if err := p.waitSpace(ctx); err != nil {
			return err
		}
		closed = p.closed && !tr.owns(ctx)
	}
	if closed {
		return ErrClosed
	}
	return nil
}

// admit numbers e, a task p has room for, and sends it on its way: skipped
// at once if its context or its pool's ended, else to its name's line (l,
// if the name is in use), its resources, or the queue. Called with tr.mu
// held.
func (p *Pool) admit(ctx context.Context, e *entry, cfg *taskConfig, l *lane) {
	tr := p.tr
	p.stats.Submitted++
	p.unfinished(1)
	tr.seq++
	e.seq = tr.seq // the task's number, in events; also its place in FIFO order
	if e.t != nil {
		e.t.seq = e.seq
	}
	cause := e.t.cancelledOrNil()
	switch {
	case cause != nil:
		p.skip(*e, cause)
	case p.done != nil:
		p.skip(*e, p.done)
	case cfg.name != "" || e.n != nil:
		if e.t != nil {
			p.watchQueued(e.t, ctx) // for when it is queued: see dropQueued
		}
		p.submitNamed(e, cfg, l)
	default:
		if e.t != nil {
			p.watchQueued(e.t, ctx)
		}
		p.queue(e, cfg.priority)
	}
}

// GoAll submits each of fns as [Pool.Go] would, in order, and returns how
// many it submitted: all of them, or, with an error, the ones before the
// first that could not be (ErrClosed once the pool is closed). It takes
// the pool's lock once per 64 tasks (and once per wait for room when a
// queue bound is reached) instead of once per task, so a producer with
// many tasks at hand contends less with the workers taking them (see
// Contention in the package documentation). A nil function panics before
// any of fns is submitted; with no functions, GoAll does nothing and
// returns 0 and nil.
func (p *Pool) GoAll(fns ...func(ctx context.Context) error) (int, error) {
	for _, fn := range fns {
		checkFunc(fn)
	}
	p.check()
	tr := p.tr
	ctx := context.Background()
	for i := 0; i < len(fns); {
		tr.mu.Lock()
		for end := min(i+goAllRun, len(fns)); i < end; i++ {
			if err := p.room(ctx, true); err != nil {
				tr.mu.Unlock()
				return i, err
			}
			e := entry{fn: fns[i]}
			p.admit(ctx, &e, &noOptions, nil)
		}
		tr.mu.Unlock()
	}
	return len(fns), nil
}

// goAllRun is how many tasks GoAll submits under one hold of the lock: a
// few thousand nanoseconds, so that workers wanting the lock meanwhile wait
// no longer than for a few of their own tasks.
const goAllRun = 64

// queue puts a task that may start as soon as it has a slot in the queue
// and starts what can start. Called with tr.mu held.
func (p *Pool) queue(e *entry, urgent bool) {
	if e.t != nil {
		e.t.state, e.t.queued = Waiting, true
		e.t.admitted = time.Now() // the end of any time blocked on its keys
	}
	p.queued++
	p.emit(e, Waiting, nil)
	p.push(e, urgent)
	p.tr.pump()
}

// waitSpace releases tr.mu until the queue may have room, ctx is done or the
// pool closes, and returns with tr.mu held: nil, or ctx's error. A task
// that submits from inside gives its slot back while it waits: its slot
// may be the one the queue needs to drain (a task at limit 1 filling its
// own queue would otherwise wait for itself). It gets ErrDeadlock instead
// if the room could only come from tasks that wait for it (see room).
func (p *Pool) waitSpace(ctx context.Context) error {
	if p.space == nil {
		p.space = make(chan struct{})
	}
	space := p.space
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	w := p.tr.byGoid[goid()] // a slow path already: the queue is full
	if w != nil && w.p == nil {
		w = nil // an idle worker's goroutine: not a task
	}
	if w != nil {
		// A task submits: the room it waits for must not be taken by
		// tasks that wait for it (see room).
		if p.tr.roomWaitClosesCycle(w, p) {
			return ErrDeadlock
		}
		w.awaitingRoom = p
	}
	p.tr.mu.Unlock()
	var err error
	wait := func() {
		select {
		case <-space:
		case <-done:
			err = ctx.Err()
		}
	}
	if w != nil && w.suspend() {
		wait()
		w.reclaim()
	} else {
		wait()
	}
	p.tr.mu.Lock()
	if w != nil {
		w.awaitingRoom = nil
	}
	return err
}

// signalSpace wakes submitters blocked on a full queue. They re-check the
// bound themselves, so waking too many is harmless.
func (p *Pool) signalSpace() {
	if p.space != nil {
		close(p.space)
		p.space = nil
	}
}

// skip ends a task that never started. Called with tr.mu held.
func (p *Pool) skip(e entry, cause error) {
	p.emit(&e, Skipped, cause)
	p.releaseHold(&e, false)
	p.stats.Skipped++
	if e.t != nil {
		e.t.end(Skipped, cause)
	} else {
		p.skipped++
		if p.done == nil {
			p.done = cause
		}
	}
	p.ended(e.seq)
}

// finish records the end of a task that ran and gives back its slots and
// its name. emit is false when the caller has recorded the end event
// already.
func (p *Pool) finish(e *entry, st State, err error, emit bool) {
	p.release()
	if emit {
		p.emit(e, st, err) // before the name goes to the next task: events keep the true order
	}
	switch {
	case e.n != nil:
		if e.lane != nil {
			e.lane.running--
		}
		p.releaseHold(e, true)
	case e.lane != nil: // a Go task with just a name
		e.lane.running--
		p.tr.releaseName(e.lane, nil)
	}
	p.stats.count(st)
	if e.t != nil {
		e.t.end(st, err)
	} else if err != nil {
		p.errs = append(p.errs, err)
	}
	p.ended(e.seq)
}

// SetLimit changes the pool's limit while it runs (0: no limit of its own).
// Raising it starts queued tasks at once; lowering it lets running tasks
// finish and starts new ones only under the new limit. A negative n returns
// [ErrInvalid] and changes nothing.
func (p *Pool) SetLimit(n int) error {
	p.check()
	if n < 0 {
		return invalid("SetLimit(%d): the limit must be >= 0", n)
	}
	p.tr.mu.Lock()
	p.limit = n
	p.tr.pump()
	p.tr.mu.Unlock()
	return nil
}
