package pool

import (
	"context"
	"errors"
	"slices"
)

// Wait waits until every task submitted to p before the call (not its
// sub-pools' tasks: each sub-pool has its own Wait) has ended, also under
// steady load, where new tasks keep arriving, and returns the errors
// of its Go tasks since the previous Wait, joined with [errors.Join]: task
// errors in completion order, then a [*SkippedError] if any were skipped.
// When the whole tree of pools is then idle, Wait also stops the idle
// workers, so that no goroutine of the pool outlives it. The pool stays
// open: more tasks may be submitted after Wait.
//
// Called from one of p's own tasks, or its sub-pools', Wait would wait
// for itself: it returns [ErrWaitsForItself] at once instead. Inside a
// task, wait on [Task] handles.
//
// Called from a task of another pool of the same tree (a task that runs a
// group of tasks on a sub-pool, say), Wait gives the task's slot back while
// it waits, as [Task.Wait] does (see [Suspend]). It returns [ErrDeadlock] at once,
// without waiting, when one of the tasks it would wait for can never end
// before the caller does: it needs a name or resource the caller holds, or
// waits (through any chain of tasks, names and resources) for the caller.
// While it waits, the waits of other tasks see the caller as waiting for
// p's tasks, and get ErrDeadlock when they would close a cycle through it.
func (p *Pool) Wait() error {
	p.check()
	tr := p.tr
	tr.mu.Lock()
	if p.inTask() {
		tr.mu.Unlock()
		return ErrWaitsForItself
	}
	// Wait waits for the tasks submitted before it, not for an instant
	// with nothing unfinished: under steady load, where every task that ends
	// is followed by a new one, that instant may never come. A watermark
	// (the last task number given out when the wait began) and a count of
	// the unfinished tasks below it say when they have all ended; a Wait
	// that finds a watermark set by an earlier one below its own waits for
	// that one first, then sets its own.
	target := tr.seq
	if p.own.n > 0 && p.reached < target {
		if w := tr.byGoid[goid()]; w != nil && w.p != nil {
			// A task waits: for its slot, as in Task.Wait (see Suspend),
			// and not on something that waits for it.
			if tr.poolWaitClosesCycle(w, p, target) {
				tr.mu.Unlock()
				return ErrDeadlock
			}
			defer w.awaitPool(p, target)()
		}
	}
	for p.own.n > 0 && p.reached < target {
		if p.markDone == nil {
			p.mark, p.markLeft, p.markDone = tr.seq, p.own.n, make(chan struct{})
		}
		ch := p.markDone
		tr.mu.Unlock()
		<-ch
		tr.mu.Lock()
	}
	tr.waitReleases()
	delivered := tr.eventsDelivered()
	tr.mu.Unlock()
	<-delivered
	tr.mu.Lock()
	err := p.takeErrors()
	exited := tr.retireIdle()
	tr.mu.Unlock()
	<-exited
	return err
}

// Close stops intake, lets every queued and running task of p and its
// sub-pools finish, and returns like Wait. After Close, submits return
// [ErrClosed]. When it returns, no goroutine of the pool is alive (unless
// other pools of the same tree still have work). Close is Shutdown with a
// context that never ends. Called from one of the pool's own tasks, Close
// stops intake and returns [ErrWaitsForItself] without waiting: the task
// that calls it is one of those it would wait for. Called from a task of
// another pool of the same tree (closing a sub-pool from a task of its
// parent, say), it gives the task's slot back while it waits, as Wait
// does, and stops intake and returns [ErrDeadlock] at once when one of
// the tasks it would wait for can never end before the caller does. Only
// the tasks there at the call are checked: a task that one of them
// submits later to the draining pools and that needs a name or resource
// the caller holds is waited for, and the caller then waits for ever.
func (p *Pool) Close() error { return p.Shutdown(context.Background()) }

// Shutdown is Close bounded by ctx. If ctx ends before the pool drains,
// queued tasks are skipped, running tasks have their context cancelled
// (the cause is the returned [*ShutdownError], which wraps ctx's error), and
// Shutdown returns at once without waiting for them. Their completion is
// still recorded: a later Close waits for them and returns their errors.
func (p *Pool) Shutdown(ctx context.Context) error {
	p.check()
	checkContext(ctx)
	tr := p.tr
	tr.mu.Lock()
	p.closeTree()
	if p.inTask() {
		tr.mu.Unlock()
		return ErrWaitsForItself
	}
	if w := tr.byGoid[goid()]; w != nil && w.p != nil && p.sub.n > 0 {
		// A task of another pool of the tree waits for p's tasks: as in
		// Wait, it gives its slot back meanwhile (p's tasks may need it),
		// and refuses a wait on tasks that wait for it.
		if p.closesCycle(w, tr.seq) {
			tr.mu.Unlock()
			return ErrDeadlock
		}
		defer w.awaitPool(p, tr.seq)()
	}
	var serr *ShutdownError
	for p.sub.n > 0 && serr == nil {
		ch := p.sub.wait()
		tr.mu.Unlock()
		select {
		case <-ch:
			tr.mu.Lock()
		case <-ctx.Done():
			tr.mu.Lock()
			if p.sub.n > 0 {
				serr = &ShutdownError{Err: ctx.Err()}
				var blocked []*named
				serr.Skipped, blocked = p.abortTree(serr)
				if len(blocked) > 0 {
					tr.mu.Unlock() // withdrawals may grant, and grants take tr.mu
					serr.Skipped += withdrawAll(blocked, serr)
					tr.mu.Lock()
				}
				serr.Running = p.sub.n
			}
		}
	}
	if serr == nil {
		tr.waitReleases()
		delivered := tr.eventsDelivered()
		tr.mu.Unlock()
		select {
		case <-delivered:
		case <-ctx.Done():
			// Every task has ended; their events are still on their way
			// to a slow hook. The deadline holds all the same.
			serr = &ShutdownError{Err: ctx.Err()}
		}
		tr.mu.Lock()
	}
	err := p.takeErrors()
	if p.parent != nil && p.sub.n == 0 {
		p.parent.children = slices.DeleteFunc(p.parent.children, func(c *Pool) bool { return c == p })
	}
	exited := tr.retireIdle()
	tr.mu.Unlock()
	if serr != nil {
		p.cancel(serr) // after unlocking: AfterFuncs on the context take tr.mu
		return errors.Join(err, serr)
	}
	p.stop()
	if p.unlink != nil {
		p.unlink()
	}
	p.cancel(ErrClosed)
	<-exited
	return err
}

// closesCycle reports whether the task on w waiting for the tasks of p
// and its sub-pools up to mark would close a cycle. Called with tr.mu held.
func (p *Pool) closesCycle(w *worker, mark uint64) bool {
	if p.tr.poolWaitClosesCycle(w, p, mark) {
		return true
	}
	for _, c := range p.children {
		if c.closesCycle(w, mark) {
			return true
		}
	}
	return false
}

// closeTree stops intake in p and its sub-pools and wakes submitters blocked
// on a full queue, who then return ErrClosed.
func (p *Pool) closeTree() {
	p.closed = true
	p.signalSpace()
	for _, c := range p.children {
		c.closeTree()
	}
}

// abortTree skips the queued tasks of p and its sub-pools with cause and
// reports how many there were, and returns the tasks blocked on their keys,
// for the caller to withdraw once it has released tr.mu.
func (p *Pool) abortTree(cause error) (int, []*named) {
	n, blocked := p.abort(cause)
	for _, c := range p.children {
		cn, cb := c.abortTree(cause)
		n += cn
		blocked = append(blocked, cb...)
	}
	return n, blocked
}

// abort skips p's queued tasks, cancels its running Submit tasks and makes
// later submits skip at once. Resume entries stay queued: their tasks are
// already running and must get a slot back to finish.
func (p *Pool) abort(cause error) (int, []*named) {
	if p.done == nil {
		p.done = cause
	}
	// Counted from the pool's stats rather than here: skipping a task that
	// holds a name can hand the name to one of p's waiters, which then
	// ends Skipped too, in the line, before endLaneWaiters gets to it.
	skipped := p.stats.Skipped
	var keep []entry
	for p.queueLen() > 0 {
		e, pending := p.pop()
		switch {
		case pending:
			p.dropPending(&e, cause)
		case e.w != nil:
			keep = append(keep, e)
		case e.t != nil && e.t.state != Waiting:
			// skipped while queued; already accounted for
		default:
			if e.t != nil {
				p.unwatch(e.t)
			}
			p.queued--
			p.skip(e, cause)
		}
	}
	p.dead = 0 // every cancelled entry was popped above
	for t := range p.live {
		t.cancel(cause) // running Submit tasks see the pool's end too
	}
	for _, e := range keep {
		p.push(&e, true)
	}
	p.signalSpace()
	p.tr.endLaneWaiters(p, cause)
	return int(p.stats.Skipped - skipped), p.takeBlocked()
}

func (p *Pool) takeErrors() error {
	errs := p.errs
	if p.skipped > 0 {
		errs = append(errs, &SkippedError{Count: p.skipped, Cause: p.done})
	}
	if p.parent == nil {
		// The hook is the tree's, set on its root: its panics are the
		// root's to report, not taken by whichever sub-pool waits first.
		if herr := p.tr.hookError(); herr != nil {
			errs = append(errs, herr)
		}
	}
	p.errs, p.skipped = nil, 0
	return errors.Join(errs...)
}

// awaitPool marks w's task as waiting for the tasks of p numbered up to
// mark, an edge for other waits (see cycleFinder.worker), and gives its
// slot back meanwhile, as Task.Wait does (see Suspend). It returns what
// undoes both once the wait is over. Called with tr.mu held; returns with
// it held. The undo takes tr.mu itself.
func (w *worker) awaitPool(p *Pool, mark uint64) (undo func()) {
	tr := w.tr
	prev, prevMark := w.awaitingPool, w.awaitingMark
	w.awaitingPool, w.awaitingMark = p, mark
	tr.mu.Unlock()
	suspended := w.suspend()
	tr.mu.Lock()
	return func() {
		if suspended {
			w.reclaim()
		}
		tr.mu.Lock()
		w.awaitingPool, w.awaitingMark = prev, prevMark
		tr.mu.Unlock()
	}
}
