package pool

import (
	"slices"
	"unsafe"

	"github.com/braid-go/braid/internal/lockline"
	"github.com/braid-go/braid/lock"
)

// Deadlock detection. The tasks of a tree wait for each other in five
// ways: a task waits for another with Task.Wait; a task waits for the
// tasks of another pool of its tree with Pool.Wait (those submitted before
// the wait began, up to its watermark); a task submitting to a pool of its
// tree whose queue is at its bound (see QueueSize) waits for one of the
// tasks the bound counts to stop waiting; a task blocked on its name
// waits for the tasks holding the name and those ahead of it in the name's
// line; a task blocked on its resources waits for the tasks holding any of
// them and those ahead of it in any of their lines. A wait that would close
// a cycle of such waits can never end, however long the pool runs.
// Task.Wait, Pool.Wait and a submit waiting for room look for one before
// they wait (closesCycle, poolWaitClosesCycle, roomWaitClosesCycle), under
// tr.mu, so
// two waits that close a cycle together are seen one after the other: the
// second finds the cycle the first opened, and gets ErrDeadlock.
//
// Only tasks that are running or suspended on a worker, or waiting for
// their names or resources, can hold up others for ever: a task queued for
// a slot, even one holding its name, gets a slot as running tasks end or
// suspend. So the search walks from the awaited task through holders on
// workers and tasks waiting for names or resources, and through what each
// of those waits for, looking for the waiter.
//
// Lines are FIFO, names' and resources' alike (the lock table grants in
// line order, without barging): a waiter is served after every waiter
// ahead of it. A resource is a mutex, so a request waits for the holder of
// each of its resources and for every request ahead of it in their lines:
// it cannot be granted if one of them cannot end. A name has room for
// limit holders: the holders keep their places until they end, and the
// waiters ahead take places in turn as they free up, each then waiting for
// nothing but its resources, behind every request waiting for them now. A
// holder or a waiter ahead that cannot end keeps its place for ever, and
// any other gives its place back to the next in line: a waiter gets a
// place unless those that keep theirs are as many as the name's places.
// Go tasks pending for the name in their pool's queue (see pends) take
// their turn among the waiters and always give their place back. That
// keeps the promise both ways: every cycle is found at the wait that
// closes it, and no wait is refused that could end.

// cycleFinder is one search, for a waiter on worker target.
type cycleFinder struct {
	tr     *tree
	target *worker
	bySeq  map[uint64]*worker // the busy workers, by their task's number
	seen   map[uint64]reach   // tasks reached, on workers or waiting for keys, by number
	// ends: the target is taken as able to end (the second pass, see
	// closes).
	ends bool
	// The tasks being looked at, by number, with their depth in the
	// search (1 for the first); low is the least depth of a task being
	// looked at that the current answer took as stuck (see reach);
	// assumed are the tasks found stuck on such an assumption, by number,
	// with the depth they rest on, and kept lists them in order found.
	depth   map[uint64]int
	low     int
	assumed map[uint64]int
	kept    []uint64
}

// reach is what the search knows of a worker's task: being looked at, or
// looked at, with the answer.
//
// A task reached again while being looked at is taken as stuck for the
// time being: what it waits for may come back to it through a name with
// room for several holders, whose places it and others keep (two holders,
// each waiting for a child that needs the name). Nothing outside such a
// loop can end it, so it is stuck unless some other way out can end; the
// search is for the largest set of tasks none of which can end. An answer
// "can end" holds whatever the tasks being looked at turn out to be. An
// answer "stuck" that took such a task as stuck rests on it (see once):
// it holds while that task is looked at, becomes final if that task is
// found stuck, and is dropped if it can end. A loop that does not pass
// through the target is not the target's to report: closes asks again
// with the target taken as able to end, and reports a cycle only when the
// answer then changes.
type reach uint8

const (
	looking reach = iota + 1
	canEnd
	cannotEnd
)

// closesCycle reports whether the task on worker w waiting for t would
// close a cycle. Called with tr.mu held.
func (tr *tree) closesCycle(w *worker, t *Task) bool {
	return tr.closes(w, func(c *cycleFinder) bool { return c.task(t) })
}

// poolWaitClosesCycle reports whether the task on worker w waiting for
// the tasks of p numbered up to mark (Pool.Wait) would close a cycle.
// Called with tr.mu held.
func (tr *tree) poolWaitClosesCycle(w *worker, p *Pool, mark uint64) bool {
	return tr.closes(w, func(c *cycleFinder) bool { return c.pool(p, mark) })
}

// roomWaitClosesCycle reports whether the task on worker w waiting for
// room in p's queue would close a cycle. Called with tr.mu held.
func (tr *tree) roomWaitClosesCycle(w *worker, p *Pool) bool {
	return tr.closes(w, func(c *cycleFinder) bool { return c.room(p) })
}

// closes reports whether what the task on worker w waits for cannot end
// because w waits: stuck while w's task waits, and able to end if w's task
// could end. The second pass runs only when the first finds a cycle.
func (tr *tree) closes(w *worker, stuck func(*cycleFinder) bool) bool {
	if !stuck(tr.finder(w)) {
		return false
	}
	c := tr.finder(w)
	c.ends = true
	return !stuck(c)
}

func (tr *tree) finder(target *worker) *cycleFinder {
	c := &cycleFinder{tr: tr, target: target, bySeq: make(map[uint64]*worker, len(tr.byGoid)), seen: make(map[uint64]reach),
		depth: make(map[uint64]int), assumed: make(map[uint64]int), low: noLow}
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
			return c.once(t.seq, func() bool { return c.inLine(n) })
		case n.onList:
			return c.listed(n)
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
		return !c.ends
	}
	return c.once(w.e.seq, func() bool {
		return w.awaiting != nil && c.task(w.awaiting) ||
			w.awaitingPool != nil && c.pool(w.awaitingPool, w.awaitingMark) ||
			w.awaitingRoom != nil && c.room(w.awaitingRoom)
	})
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
		if n.e.seq <= mark && c.listed(n) {
			return true
		}
	}
	for l := range c.tr.lanes.all() {
		if (l.waiting > 0 || l.pending > 0 && l.pendPool == p) && c.laneFor(l, p, mark) {
			return true
		}
	}
	return false
}

// room reports whether none of the tasks that p's queue bound counts (see
// Pool.waiting) can stop counting before the target ends, so that a
// submit waiting for room in p waits for ever. A task queued for a slot
// gets one; a task waiting for its name or its resources stops counting
// once it has them or leaves; a wait for a backend's lease is not known
// here, and may end. So p has no room for ever only when it queues no
// task for a slot and every task it counts as blocked on its keys is
// known to be stuck.
func (c *cycleFinder) room(p *Pool) bool {
	if p.queued > 0 {
		return false
	}
	stuck := 0
	for n := p.blockedList; n != nil; n = n.next {
		if !c.listed(n) {
			return false
		}
		stuck++
	}
	for l := range c.tr.lanes.all() {
		n, ok := c.roomInLane(l, p)
		if !ok {
			return false
		}
		stuck += n
	}
	return stuck == p.keyed // the rest wait for a backend
}

// roomInLane counts the tasks of p waiting for name l, in its line or
// pending in p's queue (see pend), and reports whether none of them can
// get the name before the target ends (see laneFor).
func (c *cycleFinder) roomInLane(l *lane, p *Pool) (n int, stuck bool) {
	if l.waiting == 0 && (l.pending == 0 || l.pendPool != p) {
		return 0, true
	}
	kept := c.stuckHolders(l)
	if l.pendPool == p && l.pending > 0 {
		if kept < l.limit {
			return 0, false // a pending task keeps no place of its own
		}
		n = l.pending
	}
	for w := range c.tr.lines.waiters(&l.line) {
		if !w.live() {
			continue
		}
		m := w.named()
		blocked := kept >= l.limit || m != nil && !leaving(m) && c.resources(m.res, nil)
		if w.p == p {
			if !blocked || m != nil && leaving(m) {
				return 0, false
			}
			n++
		}
		if m != nil && m.inLane && !leaving(m) && c.resources(m.res, nil) {
			kept++
		}
	}
	return n, true
}

// laneFor reports whether a task of p numbered up to mark waits for name l
// and cannot get it before the target ends (see lane). The places kept for
// ever only add up along the line, so the search asks about each such
// task in turn until one is stuck. A pending task (see pend) keeps no
// place of its own, and is taken as stuck only when the stuck holders
// keep every place: it may miss a cycle through the waiters ahead of it,
// but never reports one that is not there.
func (c *cycleFinder) laneFor(l *lane, p *Pool, mark uint64) bool {
	kept := c.stuckHolders(l)
	if kept >= l.limit {
		return c.tr.lines.has(&l.line, p, mark) || l.pendPool == p && p.pendsUpTo(l, mark)
	}
	for w := range c.tr.lines.waiters(&l.line) {
		if w.p == p && w.seq <= mark && w.live() && kept >= l.limit {
			return true
		}
		if m := w.named(); m != nil && m.inLane && !leaving(m) && c.resources(m.res, nil) {
			kept++
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

// once reports whether the task numbered seq, waiting for its name or its
// resources, cannot end before the target does, finding out with stuck the
// first time the search reaches it (as worker does for a task on a worker).
func (c *cycleFinder) once(seq uint64, stuck func() bool) bool {
	switch c.seen[seq] {
	case looking:
		c.low = min(c.low, c.depth[seq]) // stuck for the time being (see reach)
		return true
	case canEnd:
		return false
	case cannotEnd:
		if d, ok := c.assumed[seq]; ok {
			c.low = min(c.low, d)
		}
		return true // reached before by another way (two holders of a name waiting on one task)
	}
	c.seen[seq] = looking
	d := len(c.depth) + 1
	c.depth[seq] = d
	outer, mark := c.low, len(c.kept)
	c.low = noLow
	s := stuck()
	low := c.low
	delete(c.depth, seq)
	switch {
	case !s:
		// Can end. What was found stuck below, resting on a task being
		// looked at, may rest on this one: it is looked at again if
		// reached again.
		c.seen[seq] = canEnd
		for _, k := range c.kept[mark:] {
			delete(c.seen, k)
			delete(c.assumed, k)
		}
		c.kept = c.kept[:mark]
		c.low = outer
	case low >= d:
		// Stuck, resting on nothing above it: final, and so is all
		// that was found stuck below (it rests on this task or below).
		c.seen[seq] = cannotEnd
		for _, k := range c.kept[mark:] {
			delete(c.assumed, k)
		}
		c.kept = c.kept[:mark]
		c.low = outer
	default:
		c.seen[seq] = cannotEnd
		c.assumed[seq] = low
		c.kept = append(c.kept, seq)
		c.low = min(outer, low)
	}
	return s
}

// noLow is cycleFinder.low when the answer rests on no task being looked
// at.
const noLow = int(^uint(0) >> 1)

// inLine reports whether n's task, waiting in its name's line, cannot end
// before the target does: it cannot get the name, or, once it has it, its
// resources.
func (c *cycleFinder) inLine(n *named) bool {
	if leaving(n) {
		return false
	}
	return c.lane(c.tr.lanes.get(n.name, n.hash), n) || c.resources(n.res, nil)
}

// leaving reports whether n's task, waiting for its name or resources, is
// leaving its line: its context ended, and it is about to be withdrawn and
// skipped (see withdrawFromLine and withdrawBlocked), if it is not yet.
func leaving(n *named) bool { return n.task != nil && n.task.cancelled() != nil }

// lane reports whether n, waiting in l's line, cannot get the name before
// the target ends. The line is FIFO: the name's places go to its holders,
// then, one by one as places free up, to the waiters ahead of n (pending
// Go tasks, see pends, take their turn among them, and end once they have
// the name: they have nothing else to wait for). A holder or a waiter
// ahead that cannot end keeps its place for ever, and every other one
// gives it back. So n gets a place unless those that keep theirs fill
// all of them.
func (c *cycleFinder) lane(l *lane, n *named) bool {
	kept := c.stuckHolders(l)
	for m := range l.store.nameds(&l.line) {
		if kept >= l.limit || m == n {
			break
		}
		// A waiter ahead, once it has the name, waits only for its
		// resources: for the requests now in their lines, and their holders.
		if m != nil && m.inLane && !leaving(m) && c.resources(m.res, nil) {
			kept++
		}
	}
	return kept >= l.limit
}

// stuckHolders counts the holders of l that cannot end before the target
// does: those on workers that wait for such a task, and those waiting for
// resources they cannot get. A holder queued for a slot gets one.
func (c *cycleFinder) stuckHolders(l *lane) int {
	stuck := 0
	for _, w := range c.bySeq {
		if w.e.lane == l && c.worker(w) {
			stuck++
		}
	}
	c.tr.root.walk(func(p *Pool) {
		for m := p.blockedList; m != nil; m = m.next {
			if m.lane == l && c.listed(m) {
				stuck++
			}
		}
	})
	return stuck
}

// listed reports whether n's task, waiting for its resources, cannot end
// before the target does: it can once they are granted.
func (c *cycleFinder) listed(n *named) bool {
	return c.once(n.e.seq, func() bool { return !leaving(n) && c.resources(n.res, n) })
}

// resources reports whether a request for res cannot be granted before
// the target ends: n's, waiting in the lock table, or, for n nil, one to
// be made later, behind every request waiting now. Resources are mutexes
// granted in line order, without barging: a request waits for each
// resource's holder and for every request ahead of it in the resource's
// line, and one that can never be granted holds up all those behind it.
func (c *cycleFinder) resources(res []string, n *named) bool {
	for _, r := range res {
		ahead, waiting := c.ahead(r, n)
		if !waiting {
			return false // granted, or withdrawn: it ends either way
		}
		if c.resourceHeld(r) {
			return true
		}
		for _, m := range ahead {
			if m.onList && c.listed(m) {
				return true
			}
		}
	}
	return false
}

// ahead returns the requests waiting for resource r ahead of n's (all of
// them for n nil), and whether n's still waits. A request waits in all of
// its lines or in none.
func (c *cycleFinder) ahead(r string, n *named) (ahead []*named, waiting bool) {
	for _, g := range lockline.Waiting[*lock.Names, lock.Grantee](c.tr.names, r) {
		m := g.(*named) // the tree's table queues nothing else (see admitResources)
		if m == n {
			return ahead, true
		}
		ahead = append(ahead, m)
	}
	return ahead, n == nil
}

// resourceHeld reports whether r is held by a task that cannot end before
// the target does. Only a task on a worker can be one: a holder queued for
// a slot gets one.
func (c *cycleFinder) resourceHeld(r string) bool {
	for _, w := range c.bySeq {
		if h := w.e.n; h != nil && h.lease != nil && slices.Contains(h.res, r) && c.worker(w) {
			return true
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
