package pool

import (
	"context"
	"slices"
	"unsafe"
)

// A lane is a name in use: how many tasks hold it, and the line of tasks
// waiting for it. Lanes live in the tree, under tr.mu, so that taking and
// giving back a name costs no lock of its own, no allocation and no
// callback: a worker that finishes a task of a name hands the name to the
// next in line in the same critical section in which it accounts for the
// task. A lane exists only while its name is held or waited for (idle
// lanes are swept, see forgetLane).
//
// The tasks in a line are Blocked: they hold no worker slot, and no task
// of another name is ever behind them (no head-of-line blocking), because
// a task that reaches the front of a pool's queue without its name (a
// pending Go task, see pends) joins the line at once and lets the next
// task start.
type lane struct {
	key     string
	hash    uint64 // key's (see laneTable)
	limit   int
	policy  Overflow
	bound   int
	held    int
	line    line     // FIFO, in tr.lines; withdrawn waiters stay until they reach the front, or a compaction
	store   *lines   // the tree's (see line)
	waiting int      // live waiters in line
	dead    int      // withdrawn waiters still in line (see compact)
	holders []*named // kept for CancelRunning only
	idle    bool     // nobody holds or waits for it: swept later (see forgetLane)
	holder  uint64   // the number of the task that took it last (see Event)
	running int      // holders running now (see NameStats)

	// Go tasks waiting for the name in a pool's queue rather than in the
	// line (see Pool.pend), all in pendPool's normal queue, in order.
	pending  int
	pendPool *Pool
	// late is set while tasks are pending and the line holds tasks that
	// came after them (tasks that cannot wait in a queue, see pends): the
	// line's nodes up to lastEarly (index plus one; 0: none) come before
	// the pending tasks, and the rest after. A pending task that finds the
	// name taken joins the line at that boundary, and a late waiter gets
	// the name only where it has room beyond what the pending tasks will
	// take (as if they held it, as a task that waited in the line would).
	late      bool
	lastEarly int32
}

// A waiter is a task in a lane's line: the entry to queue once it has its
// name (packed as in a pool's queue, see slot), its pool, and whether it
// asked for priority. The line stores it in 32 bytes (see lineNode).
type waiter struct {
	s    slot
	seq  uint64
	p    *Pool
	prio bool
}

// named returns the named of w's task, if it has one.
func (w *waiter) named() *named {
	switch tag := uintptr(w.s.ref) & refTag; {
	case w.s.ref == nil:
		return nil
	case tag == refNamed:
		return (*named)(unsafe.Add(w.s.ref, -refNamed))
	case tag == refEntry:
		return (*entry)(unsafe.Add(w.s.ref, -refEntry)).n
	}
	return nil
}

// live reports whether w still waits: a Submit task withdrawn from the
// line (its context ended) leaves its entry behind, marked by its named.
func (w *waiter) live() bool { n := w.named(); return n == nil || n.inLane }

// laneSettings are a name's settings from NameLimit, NameOverflow and
// NameQueueSize.
type laneSettings struct {
	limit  int
	policy Overflow
	bound  int
}

// laneConfig returns the settings of key being configured, made on first
// use.
func (c *config) laneConfig(key, option string) *laneSettings {
	if key == "" {
		c.fail(invalid("%s: empty name", option))
	}
	if c.lanes == nil {
		c.lanes = make(map[string]*laneSettings)
	}
	s := c.lanes[key]
	if s == nil {
		s = &laneSettings{limit: 1}
		c.lanes[key] = s
	}
	return s
}

// maxFreeLanes bounds the swept lane structs kept for reuse.
const maxFreeLanes = 64

// lane returns the lane of key, whose hash is h, making it if the name is
// not in use.
func (tr *tree) lane(key string, h uint64) *lane {
	if l := tr.lanes.get(key, h); l != nil {
		tr.revive(l)
		return l
	}
	var l *lane
	if n := len(tr.freeLanes); n > 0 {
		l = tr.freeLanes[n-1]
		tr.freeLanes = tr.freeLanes[:n-1]
	} else {
		l = &lane{store: &tr.lines}
	}
	l.key, l.hash, l.limit, l.policy, l.bound = key, h, 1, Enqueue, 0
	if s := tr.settings[key]; s != nil {
		l.limit, l.policy, l.bound = s.limit, s.policy, s.bound
	}
	tr.lanes.put(l)
	return l
}

// revive puts an idle lane back in use.
func (tr *tree) revive(l *lane) {
	if l.idle {
		l.idle = false
		tr.idleLanes--
	}
}

// full reports whether a newcomer would wait in a line at its bound. Any
// waiter means a newcomer waits too (the line is FIFO), so a full line is
// an exact answer. l may be nil: a name not in use.
func (l *lane) full() bool { return l != nil && l.bound > 0 && l.waiting >= l.bound }

// free reports whether a newcomer may take the name now: it has room
// beyond what the pending tasks (see pends) will take, and nobody waits in
// line.
func (l *lane) free() bool { return l.held+l.pending < l.limit && l.waiting == 0 }

// take gives the name to e, which from then on holds it (e.lane is set
// only while the task holds its name).
func (l *lane) take(e *entry) {
	l.held++
	l.holder = e.seq
	e.lane = l
	if n := e.n; n != nil {
		n.lane = l
		if l.policy == CancelRunning {
			l.holders = append(l.holders, n)
		}
	}
}

// enter puts e in the line. Called with tr.mu held.
func (l *lane) enter(p *Pool, e *entry, prio bool) {
	if l.pending > 0 && !l.late {
		l.late, l.lastEarly = true, l.line.tail
	}
	l.store.push(&l.line, waiter{s: pack(e), seq: e.seq, p: p, prio: prio})
	l.waiting++
	p.blocked++
	p.keyed++
	if e.t != nil {
		e.t.state = Blocked
	}
	p.emitBlocked(e, l)
	if n := e.n; n != nil {
		n.inLane = true
		if t := e.t; t != nil {
			n.stop = context.AfterFunc(t.ctx, func() { p.withdrawFromLine(n, context.Cause(t.ctx)) })
		}
	}
}

// leave takes a live waiter out of the line's count (its entry is already
// out of the line, or stays behind as withdrawn). Called with tr.mu held.
func (l *lane) leave(w *waiter) {
	l.waiting--
	w.p.blocked--
	w.p.keyed--
	w.p.signalSpace()
	if n := w.named(); n != nil {
		n.inLane = false
		if n.stop != nil {
			n.stop()
			n.stop = nil
		}
	}
}

// withdrawn counts a waiter that left the line without its entry, and
// compacts the line once most of it is withdrawn entries: a line's memory
// is bounded by its live waiters, not by how many ever gave up waiting
// (a task cancelled over and over behind a stalled holder). Each
// compaction copies the live waiters, at least as many withdrawals as it
// drops ago: constant time per withdrawal, amortised. Called with tr.mu
// held.
func (l *lane) withdrawn() {
	l.dead++
	if l.dead <= compactAbove || l.dead <= l.waiting {
		return
	}
	l.filter(func(w waiter) bool { return true })
}

// filter keeps, in order, the live waiters of l for which keep reports
// true, and drops the others: withdrawn ones, and those keep has ended.
// Called with tr.mu held.
func (l *lane) filter(keep func(waiter) bool) {
	early := l.late && l.lastEarly != 0 // going through the nodes before the pending tasks
	last := int32(0)
	for range l.line.Len() {
		i := l.line.head
		w := l.store.pop(&l.line)
		if w.live() && keep(w) {
			j := l.store.push(&l.line, w)
			if early {
				last = j
			}
		}
		if i == l.lastEarly {
			early = false
		}
	}
	l.dead = 0
	if l.late {
		l.lastEarly = last
	}
}

// compactAbove is how many cancelled entries a queue or a line may hold
// before it is compacted (and then only if they outnumber the live ones).
const compactAbove = 8

// releaseName gives back the name e holds and hands it to the tasks first
// in line, as many as it has room for. A task handed its name goes on to
// its resources and the queue, or ends Skipped if its context ended while
// it waited. Called with tr.mu held.
func (tr *tree) releaseName(l *lane, n *named) {
	l.held--
	if n != nil {
		n.lane = nil
		if l.policy == CancelRunning {
			l.holders = slices.DeleteFunc(l.holders, func(h *named) bool { return h == n })
		}
	}
	if l.waiting > 0 || l.held == 0 && l.pending == 0 {
		tr.handOn(l)
	}
	if l.pending > 0 && l.held < l.limit && tr.back == 0 {
		// The first pending task may take it now. A worker accounting
		// for its task (tr.back) takes the next one itself, and pump
		// would return at once.
		tr.pump()
	}
}

// handOn hands the name l to the tasks first in line, as many as it has
// room for, and marks the lane idle if nobody holds it, waits or is
// pending. Called with tr.mu held.
func (tr *tree) handOn(l *lane) {
	for l.held < l.limit && l.waiting > 0 {
		if l.late && l.lastEarly == 0 && l.held+l.pending >= l.limit {
			// The rest of the line came after the pending tasks, and the
			// room left is theirs (a name of limit 1 has room for one).
			break
		}
		i := l.line.head
		w := l.store.pop(&l.line)
		if i == l.lastEarly {
			l.lastEarly = 0
		}
		if !w.live() {
			l.dead--
			continue
		}
		l.leave(&w)
		var e entry
		w.s.unpack(&e, w.seq)
		if cause := w.p.startCause(&e); cause != nil {
			w.p.skip(e, cause) // it holds nothing yet
			continue
		}
		l.take(&e)
		w.p.admitResources(&e, w.prio)
	}
	if l.held == 0 && l.waiting == 0 && l.pending == 0 {
		tr.forgetLane(l)
	}
}

// forgetLane marks an idle lane. Idle lanes stay in the table until there
// are many of them (more than maxIdleLanes, and more than the lanes in use),
// a Wait finds more than maxIdleLanes, the reaper finds the tree idle or
// Close sweeps them: a name used over and over, going idle between uses or
// between batches, then costs no table insertion, lane or line allocation
// each time (measured: per-name tasks in batches of 1e5 over 1e3 names
// allocated 2.5 MB a batch when Wait swept every lane, 0.2-0.5 MB since),
// and idle names still cost at most as much as the names in use.
func (tr *tree) forgetLane(l *lane) {
	if l.idle {
		return // forgotten already, by a release nested in this one's pump
	}
	for l.line.Len() > 0 {
		l.store.pop(&l.line) // withdrawn waiters only
	}
	l.dead = 0
	l.idle = true
	tr.idleLanes++
	if tr.idleLanes > maxIdleLanes && tr.idleLanes > tr.lanes.len()/2 {
		tr.sweepLanes()
	}
}

// maxIdleLanes is how many idle lanes may wait for a sweep.
const maxIdleLanes = 1024

// sweepLanes drops the idle lanes, keeping some of their structs for reuse.
func (tr *tree) sweepLanes() {
	if tr.idleLanes == 0 {
		return
	}
	tr.lanes.keep(func(l *lane) bool {
		if !l.idle {
			return false
		}
		if len(tr.freeLanes) < maxFreeLanes {
			l.holders, l.idle = l.holders[:0], false
			tr.freeLanes = append(tr.freeLanes, l)
		}
		return true
	})
	tr.idleLanes = 0
}

// endWaiters ends, with cause, the live waiters of l that match, and keeps
// the others in order. Called with tr.mu held.
func (l *lane) endWaiters(match func(waiter) bool, cause error) {
	l.filter(func(w waiter) bool {
		if !match(w) {
			return true
		}
		l.leave(&w)
		w.p.end(w.s.entry(w.seq), cause)
		return false
	})
}

// endLaneWaiters ends p's tasks waiting in name lines, for an abort. The
// lanes stay: whoever holds them does. Called with tr.mu held.
func (tr *tree) endLaneWaiters(p *Pool, cause error) {
	for l := range tr.lanes.all() {
		l.endWaiters(func(w waiter) bool { return w.p == p }, cause)
	}
}

// A Go task with just a name, submitted while another task holds the name,
// pends: it waits in its pool's queue, where any other task would, rather
// than in the name's line, and takes the name when it reaches the front.
// It still holds no slot while it waits and counts as Blocked, and the
// name's order holds (see lane.late), but it costs its submit a queue push
// instead of a line push, and its start no line pop and second queue push:
// with a thousand names each waited for by a hundred tasks, that took
// per-name tasks from 2.3-2.5x the plain pool's time per task to 1.2-1.5x
// (issue 14, BenchmarkNames; 0.97-1.12x since the name's hash is made
// outside the lock, see laneTable). Finding the name taken when it comes out of
// the queue, it joins the line like any other waiter: a task never waits
// for its name at the head of a queue.

// pends reports whether e, a task of p whose name l is not free, may wait
// for it in p's queue. Only Go tasks with nothing but a name do, with no
// priority (a Priority task waits in the line, and gets the urgent queue
// once it has its name), in a tree without a hook (whose events follow a
// task through its line), for a name of the default policy with an
// unbounded line, and only in one pool's queue at a time, so that queue
// order is the name's order.
func (l *lane) pends(p *Pool, e *entry, prio bool) bool {
	return e.t == nil && e.n == nil && !prio && p.tr.ev == nil &&
		l.policy == Enqueue && l.bound == 0 && !l.late &&
		(l.pending == 0 || l.pendPool == p)
}

// pend queues e, a Go task that cannot take its name l now, in p's normal
// queue, counted as blocked. Called with tr.mu held.
func (p *Pool) pend(e *entry, l *lane) {
	l.pending++
	l.pendPool = p
	p.blocked++
	p.keyed++
	e.lane = l
	if p.queueLen() == 0 {
		p.tr.active = append(p.tr.active, p)
	}
	p.normal.pushPending(e)
	// No pump: the name is taken, so the task cannot start before its
	// holder ends, and the worker that ends it takes the next task.
}

// unpend takes e, a pending task just out of p's queue (its lane in
// e.lane), and reports whether it now holds its name and its slot (which
// next found free), and may start. If the name is taken, or tasks that
// came before it wait in the line, it joins the line instead; if it may
// not start any more, it ends Skipped. Called with tr.mu held.
func (p *Pool) unpend(e *entry) bool {
	l := e.lane
	if p.done != nil || p.ctx.Err() != nil { // startCause, for a Go task
		p.dropPending(e, p.startCause(e))
		return false
	}
	e.lane = nil
	l.pending--
	took := l.held < l.limit && (l.waiting == 0 || !l.earlyWaiting())
	if took {
		l.take(e)
		p.blocked--
		p.keyed--
		p.signalSpace()
		// Its slot is claimed here, before pendingDone: handing the name on
		// may queue a waiter and pump, and a pump that found this slot
		// still free would start a task in it too.
		p.claim()
	} else {
		w := waiter{s: pack(e), seq: e.seq, p: p}
		if l.late {
			l.lastEarly = l.store.insertAfter(&l.line, l.lastEarly, w)
		} else {
			l.store.push(&l.line, w)
		}
		l.waiting++
	}
	p.tr.pendingDone(l)
	return took
}

// dropPending ends e, a pending task out of p's queue, with cause.
// Called with tr.mu held.
func (p *Pool) dropPending(e *entry, cause error) {
	l := e.lane
	e.lane = nil
	l.pending--
	p.blocked--
	p.keyed--
	p.signalSpace()
	p.skip(*e, cause)
	p.tr.pendingDone(l)
}

// earlyWaiting reports whether a live waiter in l's line comes before the
// pending tasks, dropping withdrawn ones found ahead of them. Called with
// tr.mu held.
func (l *lane) earlyWaiting() bool {
	if !l.late {
		return l.waiting > 0
	}
	for l.lastEarly != 0 {
		if l.store.frontLive(&l.line) {
			return true
		}
		i := l.line.head
		l.store.pop(&l.line)
		l.dead--
		if i == l.lastEarly {
			l.lastEarly = 0
		}
	}
	return false
}

// pendingDone ends the late marking once no task of l is pending, and
// hands the name on to the waiters it then lets go first, if it has room.
// Called with tr.mu held.
func (tr *tree) pendingDone(l *lane) {
	if l.pending > 0 {
		return
	}
	l.pendPool, l.late, l.lastEarly = nil, false, 0
	tr.handOn(l)
}
