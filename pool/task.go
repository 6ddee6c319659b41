package pool

import (
	"context"
	"time"
)

// Task is the handle of a task submitted with [Pool.Submit]. Its methods are
// safe for concurrent use. Only Submit (and TrySubmit) make one: every
// method of a zero or nil Task panics with a "pool:" prefix.
type Task struct {
	pool   *Pool
	ctx    context.Context
	parent context.Context // the submit context: see cancelled
	cancel context.CancelCauseFunc
	done   chan struct{}

	// Guarded by pool.tr.mu.
	state     State
	err       error
	queued    bool
	named     *named          // set when the task has a name or resources
	seq       uint64          // its number (see Event)
	watch     <-chan struct{} // the submit context's Done, while queued and watched
	submitted time.Time
	admitted  time.Time // when it held its name and resources and queued for a slot
	started   time.Time
	ended     time.Time
}

func newTask(p *Pool, ctx context.Context) *Task {
	t := &Task{pool: p, parent: ctx, done: make(chan struct{}), submitted: time.Now()}
	t.ctx, t.cancel = context.WithCancelCause(ctx)
	return t
}

// cancelled returns why t must not start, or nil: its context is done.
// The submit context is checked first: when it is cancelled it closes its
// Done channel before it cancels its children, t's context among them, so
// there is an instant when another task derived from it (a sibling that
// was running) has seen the cancellation while t's context has not yet.
// A task whose context is done never starts, not even in that instant.
func (t *Task) cancelled() error {
	if t.parent.Err() != nil {
		return context.Cause(t.parent)
	}
	if t.ctx.Err() != nil {
		return context.Cause(t.ctx)
	}
	return nil
}

// A watch follows the queued tasks of one pool that were submitted with one
// context, so that when that context ends they are all skipped at once: a
// task whose context ends while it is queued is skipped then, not when it
// reaches the front, and its handle does not wait for a slot to learn that.
// One watch serves every task sharing the context (a group submits all its
// tasks with one), which keeps cancellation O(1) goroutines instead of one
// per task. Watches are keyed by the context's Done channel, which is
// comparable whatever the context's type.
type watch struct {
	ctx   context.Context // the submit context
	tasks map[*Task]struct{}
	stop  func() bool
}

// watchQueued starts watching queued task t. Called with tr.mu held.
func (p *Pool) watchQueued(t *Task, parent context.Context) {
	done := parent.Done()
	if done == nil {
		return // never cancelled
	}
	w := p.watches[done]
	if w == nil {
		if p.watches == nil {
			p.watches = make(map[<-chan struct{}]*watch)
		}
		w = &watch{ctx: parent, tasks: make(map[*Task]struct{})}
		w.stop = context.AfterFunc(parent, func() { p.skipWatched(done) })
		p.watches[done] = w
	}
	w.tasks[t] = struct{}{}
	t.watch = done
}

// unwatch stops watching t, and drops the watch when it has no task left.
// Called with tr.mu held whenever t leaves the queue.
func (p *Pool) unwatch(t *Task) {
	if t.watch == nil {
		return
	}
	w := p.watches[t.watch]
	delete(w.tasks, t)
	if len(w.tasks) == 0 {
		w.stop()
		delete(p.watches, t.watch)
	}
	t.watch = nil
}

// skipWatched runs when a watched context ends: its queued tasks never start.
func (p *Pool) skipWatched(done <-chan struct{}) {
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	w := p.watches[done]
	if w == nil {
		return
	}
	// The submit context's cause, not the tasks' own: this runs as soon as
	// the submit context is done, possibly before the cancellation has
	// reached the tasks' contexts, which derive from it.
	cause := context.Cause(w.ctx)
	for t := range w.tasks {
		t.watch = nil // the watch goes as a whole
		t.dropQueued(cause)
	}
	delete(p.watches, done)
}

// dropQueued skips t if it is still queued. Called with tr.mu held. The
// entry stays in the queue until it reaches the front, where next discards
// it (see startable).
func (t *Task) dropQueued(cause error) {
	p := t.pool
	if t.queued && t.state == Waiting {
		p.unwatch(t)
		p.queued--
		p.signalSpace()
		p.endBlocked(entry{t: t, n: t.named, seq: t.seq}, t.named, cause)
		p.dropped()
	}
}

// startable is checked by next when t's entry reaches the front of the queue.
func (t *Task) startable() bool {
	if t.state != Waiting {
		return false // skipped while queued; already accounted for
	}
	if cause := t.cancelled(); cause != nil {
		t.dropQueued(cause) // done, and its watch has not fired yet
		return false
	}
	return true
}

// start marks t running. Called with tr.mu held by next.
func (t *Task) start() {
	p := t.pool
	p.unwatch(t)
	t.state = Running
	t.started = time.Now()
	if p.live == nil {
		p.live = make(map[*Task]struct{})
	}
	p.live[t] = struct{}{}
}

// end records t's final state. Called with tr.mu held.
func (t *Task) end(st State, err error) {
	t.state, t.err, t.ended = st, err, time.Now()
	t.pool.unwatch(t) // if it ends without having started
	delete(t.pool.live, t)
	t.cancel(nil) // releases the context: its parent forgets it
	close(t.done)
}

// discard releases a task that was never submitted.
func (t *Task) discard() { t.cancel(nil) }

// check panics on a Task not made by Submit, a programming error, as
// Pool.check does for a Pool: a zero Task has no channel to close, so its
// Wait would block forever, and its other methods would fail on a nil
// pointer, saying nothing of why. One nil check: it stays cheap for Done
// and Err, which callers poll.
func (t *Task) check() {
	if t == nil || t.pool == nil {
		panic("pool: a zero or nil Task; tasks come from Pool.Submit")
	}
}

// Done returns a channel closed when the task reaches its final state.
func (t *Task) Done() <-chan struct{} {
	t.check()
	return t.done
}

// Wait waits until the task ends or ctx is done and returns the task's
// error (nil when it succeeded, the cause when it was skipped) or ctx's.
//
// Called from inside a task of any braid pool with that task's context,
// Wait gives the caller's worker slot back while it waits (see [Suspend]),
// so a task may submit to its own pool and wait without deadlock, even at
// a limit of 1. It keeps the caller's names and resources, though: a wait
// that could never end, because the awaited task needs (directly, or
// through tasks it waits for) one of them or the caller's own end, returns
// [ErrDeadlock] at once.
func (t *Task) Wait(ctx context.Context) error {
	t.check()
	checkContext(ctx)
	if w := workerOf(ctx); w != nil && w.tr == t.pool.tr {
		tr := w.tr
		tr.mu.Lock()
		if w.p != nil && tr.closesCycle(w, t) {
			tr.mu.Unlock()
			return ErrDeadlock
		}
		prev := w.awaiting
		w.awaiting = t // an edge of the wait-for graph, for later searches
		tr.mu.Unlock()
		defer func() {
			tr.mu.Lock()
			w.awaiting = prev
			tr.mu.Unlock()
		}()
	}
	Suspend(ctx, func() {
		select {
		case <-t.done:
		case <-ctx.Done():
		}
	})
	select {
	case <-t.done:
		return t.err // written before done was closed
	default:
		return ctx.Err()
	}
}

// State returns the task's current state.
func (t *Task) State() State {
	t.check()
	t.pool.tr.mu.Lock()
	defer t.pool.tr.mu.Unlock()
	return t.state
}

// Err returns the task's error once it has ended, and nil before.
func (t *Task) Err() error {
	t.check()
	select {
	case <-t.done:
		return t.err
	default:
		return nil
	}
}

// Cancel cancels the task's context: a task that has not started is
// skipped at once (queued, or waiting for its name or resources: it leaves
// the line before Cancel returns), a running one sees its context done.
func (t *Task) Cancel() {
	t.check()
	t.cancel(context.Canceled)
	cause := context.Cause(t.ctx)
	p := t.pool
	p.tr.mu.Lock()
	t.dropQueued(cause)
	n := t.named // set at submit, before the handle was returned
	p.tr.mu.Unlock()
	if n != nil {
		// The context's AfterFuncs would do the same, but on goroutines of
		// their own, later: a caller that cancels and submits again would
		// find the line still full of what it cancelled.
		p.withdrawFromLine(n, cause)
		p.withdrawBlocked(n, cause)
	}
}

// Times is how a task's life divides: Blocked on its name, resources or
// a backend lease (holding no slot), then Waited in the queue for a worker
// slot, then Ran. Only Ran is the task's own work: a task that waits for a
// name or a slot is not running, and that time is not billed to it.
type Times struct {
	Waited  time.Duration // queued for a worker slot
	Blocked time.Duration // waiting for its name, resources or lease, before it started
	Ran     time.Duration // from its start to its end: time it spent suspended (see Suspend) included
}

// Times returns how long the task has been blocked, waiting and running.
// Until it ends, the current phase grows with the clock; a task that never
// started reports no running time.
func (t *Task) Times() Times {
	t.check()
	t.pool.tr.mu.Lock()
	defer t.pool.tr.mu.Unlock()
	return t.times(time.Now())
}

func (t *Task) times(now time.Time) Times {
	end := now
	if !t.ended.IsZero() {
		end = t.ended
	}
	admitted, started := t.admitted, t.started
	if admitted.IsZero() {
		admitted = end // never got its keys: blocked all along
	}
	if started.IsZero() {
		started = end
	}
	if started.Before(admitted) {
		admitted = started
	}
	return Times{Blocked: admitted.Sub(t.submitted), Waited: started.Sub(admitted), Ran: end.Sub(started)}
}

// ID returns the task's number, unique in its tree of pools: the Task
// field of its events (see [Event]).
func (t *Task) ID() uint64 {
	t.check()
	return t.seq
}

// cancelledOrNil is cancelled for a task that may be nil (a Go task).
func (t *Task) cancelledOrNil() error {
	if t == nil {
		return nil
	}
	return t.cancelled()
}
