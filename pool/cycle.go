package pool

import (
	"slices"
	"unsafe"
)

// Deadlock detection. The tasks of a tree wait for each other in three
// ways: a task waits for another with Task.Wait; a task blocked on its name
// waits for the tasks holding the name; a task blocked on its resources
// waits for the tasks holding any of them. A wait that would close a cycle
// of such waits can never end, however long the pool runs. Task.Wait looks
// for one before it waits (findCycle), under tr.mu, so two waits that
// close a cycle together are seen one after the other: the second finds
// the cycle the first opened, and gets ErrDeadlock.
//
// Only tasks that are running or suspended on a worker, or waiting for
// their resources, can hold up others for ever: a task queued for a slot,
// even one holding its name, gets a slot as running tasks end or suspend.
// So the search walks from the awaited task through holders on workers and
// holders waiting for their resources, and through what each of those
// waits for, looking for the waiter. A name with room for several holders
// is waited for until any one of them ends: a blocked task depends on the
// waiter through it only when every holder does. That keeps the promise
// both ways: every cycle is found at the wait that closes it, and no wait
// is refused that could end.

// cycleFinder is one search, for a waiter on worker target.
type cycleFinder struct {
	tr     *tree
	target *worker
	bySeq  map[uint64]*worker // the busy workers, by their task's number
	seen   map[uint64]reach   // workers reached, by their task's number
}

// reach is what the search knows of a worker's task: being looked at
// (reached again, it is a cycle that does not pass through the target: not
// ours to report), or looked at, with the answer.
type reach uint8

const (
	looking reach = iota + 1
	canEnd
	cannotEnd
)

// closesCycle reports whether the task on worker w waiting for t would
// close a cycle. Called with tr.mu held.
func (tr *tree) closesCycle(w *worker, t *Task) bool {
	return tr.finder(w).task(t)
}

// poolWaitClosesCycle reports whether the task on worker w waiting for
// the tasks of p numbered up to mark (Pool.Wait) would close a cycle.
// Called with tr.mu held.
func (tr *tree) poolWaitClosesCycle(w *worker, p *Pool, mark uint64) bool {
	return tr.finder(w).pool(p, mark)
}

func (tr *tree) finder(target *worker) *cycleFinder {
	c := &cycleFinder{tr: tr, target: target, bySeq: make(map[uint64]*worker, len(tr.byGoid)), seen: make(map[uint64]reach)}
	for _, b := range tr.byGoid {
		if b.p != nil {
			c.bySeq[b.e.seq] = b
		}
	}
	return c
}

// task reports whether t cannot end before the target does.
func (c *cycleFinder) task(t *Task) bool {
	if t.state.Final() {
		return false
	}
	if n := t.named; n != nil {
		switch {
		case n.inLane:
			return c.lane(c.tr.lanes.get(n.name, n.hash))
		case n.onList:
			return c.resources(n.res)
		}
	}
	if w := c.bySeq[t.seq]; w != nil {
		return c.worker(w)
	}
	return false // queued for a slot: it will get one
}

// worker reports whether the task on w cannot end before the target does.
func (c *cycleFinder) worker(w *worker) bool {
	if w == c.target {
		return true
	}
	switch c.seen[w.e.seq] {
	case looking, canEnd:
		return false
	case cannotEnd:
		return true // reached before by another way (two holders of a name waiting on one task)
	}
	c.seen[w.e.seq] = looking
	stuck := w.awaiting != nil && c.task(w.awaiting) ||
		w.awaitingPool != nil && c.pool(w.awaitingPool, w.awaitingMark)
	c.seen[w.e.seq] = canEnd
	if stuck {
		c.seen[w.e.seq] = cannotEnd
	}
	return stuck
}

// pool reports whether some unfinished task of p numbered up to mark (the
// tasks a Pool.Wait waits for) cannot end before the target does: one on
// a worker, one waiting for its resources, or one waiting for its name,
// in the name's line or in p's queue (see pend).
func (c *cycleFinder) pool(p *Pool, mark uint64) bool {
	for _, w := range c.bySeq {
		if w.p == p && w.e.seq <= mark && c.worker(w) {
			return true
		}
	}
	for n := p.blockedList; n != nil; n = n.next {
		if n.e.seq <= mark && c.resources(n.res) {
			return true
		}
	}
	for l := range c.tr.lanes.all() {
		if l.waiting == 0 && (l.pending == 0 || l.pendPool != p) || !c.lane(l) {
			continue
		}
		if c.tr.lines.has(&l.line, p, mark) || l.pendPool == p && p.pendsUpTo(l, mark) {
			return true
		}
	}
	return false
}

// pendsUpTo reports whether p's queue holds a task numbered up to mark
// waiting for its name l (see pend).
func (p *Pool) pendsUpTo(l *lane, mark uint64) bool {
	found := false
	p.normal.each(func(s slot, seq uint64) bool {
		// Not in order of number: a task handed its name joins the back.
		found = seq <= mark && uintptr(s.ref)&refTag == refPending && (*lane)(unsafe.Add(s.ref, -refPending)) == l
		return !found
	})
	return found
}

// lane reports whether a task blocked on l cannot get it before the
// target ends: every holder of l is a task that cannot end before it.
func (c *cycleFinder) lane(l *lane) bool {
	if l == nil || l.held < l.limit {
		return false // room, or soon: it waits only behind other waiters
	}
	stuck := 0
	for _, w := range c.bySeq {
		if w.e.lane == l {
			if !c.worker(w) {
				return false // this holder can end, and so free the name
			}
			stuck++
		}
	}
	// A holder waiting for its resources ends only once it has them.
	freed := false
	c.tr.root.walk(func(p *Pool) {
		for n := p.blockedList; n != nil && !freed; n = n.next {
			if n.lane == l {
				freed = !c.resources(n.res)
				stuck++
			}
		}
	})
	return !freed && stuck == l.held // a holder queued for a slot will end
}

// resources reports whether a task blocked on res cannot get them all
// before the target ends: one of them is held by a task that cannot.
func (c *cycleFinder) resources(res []string) bool {
	for _, w := range c.bySeq {
		n := w.e.n
		if n == nil || n.lease == nil {
			continue
		}
		for _, r := range res {
			if slices.Contains(n.res, r) && c.worker(w) {
				return true
			}
		}
	}
	return false
}

// walk calls fn for p and each of its sub-pools, at every depth. Called
// with tr.mu held.
func (p *Pool) walk(fn func(*Pool)) {
	fn(p)
	for _, c := range p.children {
		c.walk(fn)
	}
}
