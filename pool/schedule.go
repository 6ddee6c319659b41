package pool

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/braid-go/braid/internal/deque"
	"github.com/braid-go/braid/lock"
)

// A tree is what a root pool and all its sub-pools share: one lock, one set
// of workers, one submission sequence.
//
// One lock for the whole tree is deliberate. Starting a task in a sub-pool
// takes a slot in every ancestor at once; with a lock per pool that would
// be a multi-lock acquisition on every start, and the ordering rules to keep
// it deadlock-free would cost more than the contention they save. Critical
// sections are a few dozen instructions; task code and user callbacks never
// run under the lock.
//
// # Contention model (issue 14)
//
// What a task costs the lock. A Go task takes tr.mu twice: once in submit
// (checks, counters, push, and a pump that usually stops at its first test)
// and once in the worker that runs it, which accounts for its previous task
// and takes this one in the same critical section (finish, then next).
// A worker parks while work is queued only to step aside for another that
// waits for the lock (see worker.run): counted over tiny tasks at limit 8
// on 2 cores, 18 parks per thousand tasks at N = 1e4 and 6 at 1e6. So the
// lock sees two acquisitions per task, the least a shared queue can do (a
// channel's send and receive are two too), each holding it for roughly
// 100-200 instructions: at GOMAXPROCS=1, where nothing contends, a tiny
// task costs 85-100 ns in all on the 2-core machine of issue 14, against
// 96-100 for the channel floor.
//
// What contention adds. When the holder and the next taker are on different
// cores, each acquisition also moves the lock's cache line and the queue's
// head or tail between them (the entry the submitter wrote is a cache miss
// for the worker; hence the 16-byte slots, see slot). sync.Mutex spins
// briefly and then parks the waiter, and a waiter whose processor has other
// runnable goroutines does not spin at all; a parked waiter that the
// unlocker outruns for a millisecond turns the mutex to handing itself
// over, a goroutine switch per Unlock. So at most about one worker waits
// for the lock to come back for work: one that finishes while another
// waits steps aside (worker.run), and the lock is not fought over by every
// worker up to the limit. Before that, ns/task on 2 cores grew by 90% from
// N = 1e3 to 1e6 and tiny tasks cost 0.8-0.9x the channel floor; since,
// ns/task no longer grows with N (N = 1e6 came out 5-15% below 1e3),
// tiny tasks cost 0.65-0.70x the floor, and 64 submitting goroutines on 8
// workers (BenchmarkOversubscribed) 0.98-0.99x, 0.45-0.49x when each hands
// its tasks over with GoAll (three runs, internal/bench/README.md).
//
// What happens with more cores. The lock serialises 2 critical sections per
// task, h each (about 50-100 ns once the line moves between cores), so one
// tree tops out near 1/(2h), some 5-10 million tasks a second, whatever
// the core count. With W busy workers each running tasks of length d, the
// lock is busy a fraction of about 2hW/d: it saturates for tasks shorter
// than about 3 us at 16 workers and 13 us at 64. Longer tasks (I/O, real
// computation) leave it idle most of the time; shorter ones should be
// batched into fewer tasks by the caller, or spread over independent root
// pools (pool.New each), which share nothing.
//
// Which shapes contend. One root pool: all its tasks, as above. Sub-pools
// share their root's tree and lock (a start claims a slot in every
// ancestor under it), as do names and resources (their lanes and tables are
// the tree's): many sub-pools or names add no lock round trip per task but
// do not spread the load either, and picking among many active sub-pools
// costs O(active) under the lock (see pick). Submitters contend with
// workers and with each other; a submitter that has many tasks should
// submit them from one goroutine, or give each producer a root pool of its
// own, rather than many goroutines on one pool.
type tree struct {
	mu  sync.Mutex
	seq uint64 // submission counter: orders entries across pools

	// active holds the pools whose queues are non-empty, so that dispatch
	// looks only at pools that have something to start. With no sub-pools
	// in use it has at most one element and dispatch is O(1).
	active []*Pool

	idle        []*worker // LIFO: the most recently idle worker is handed work first, its stack is warm
	free        []*worker // structs of exited workers, for reuse: spawning is frequent when unlimited
	workers     int       // worker goroutines alive
	exiting     int       // retired workers that have not yet exited
	exited      chan struct{}
	idleTimeout time.Duration
	names       *lock.Names              // the tree's names and resources (see Name, Resources)
	lanes       laneTable                // names in use (see lane)
	freeLanes   []*lane                  // swept lanes kept for reuse
	lines       lines                    // the waiters in every lane's line (see line)
	idleLanes   int                      // lanes in the table that are idle
	settings    map[string]*laneSettings // names with settings of their own; read-only
	ev          *events                  // event delivery, when the tree has a hook (see OnEvent)
	middleware  Middleware               // every task's, composed; nil without WithMiddleware
	backend     lock.Locker              // where names are also taken, if set (see NameLocker)
	reaper      *time.Timer              // armed while tr.idle is non-empty
	reaping     bool
	root        *Pool

	// returning counts workers that finished a task and wait for tr.mu to
	// take the next one; back counts those that hold it and are accounting
	// for their task. returning is written outside the lock, hence atomic,
	// and only by workers that found the lock taken (see lockReturning),
	// on a cache line of its own. starting counts spawned workers that have
	// not run yet. pump leaves work for all three instead of waking or
	// spawning another worker.
	_         [64]byte
	returning atomic.Int32
	_         [60]byte
	back      int
	starting  int
	stepped   int // workers that stepped aside for a returning one (see worker.run), for tests

	// byGoid finds the worker a goroutine is, for the calls that must
	// know whether they come from inside a task (see workerOf, inTask).
	byGoid map[uint64]*worker

	// releases counts the goroutines giving back leases of tasks that did
	// not run (see goRelease): Wait and Close wait for them, so that what
	// a skipped task held is free when they return.
	releases counter
}

// goRelease gives back leases from a goroutine of its own: a release may
// grant to a waiter, whose Granted takes tr.mu, which the caller holds.
// Called with tr.mu held.
func (tr *tree) goRelease(l lock.Lease, remote []lock.Lease) {
	tr.releases.add(1)
	go func() {
		releaseAll(l, remote)
		tr.mu.Lock()
		tr.releases.add(-1)
		tr.mu.Unlock()
	}()
}

// waitReleases waits, releasing tr.mu meanwhile, until no goRelease is
// under way. Called with tr.mu held; returns with it held.
func (tr *tree) waitReleases() {
	for tr.releases.n > 0 {
		ch := tr.releases.wait()
		tr.mu.Unlock()
		<-ch
		tr.mu.Lock()
	}
}

// entry is one item of a pool's queue: a task to start, or a suspended task
// asking for its slot back. It is stored by value in the queue, so queuing a
// task allocates nothing beyond the ring's amortised growth.
type entry struct {
	fn   func(ctx context.Context) error
	t    *Task   // the handle of a task submitted with Submit; nil for Go
	w    *worker // set on a resume entry: the suspended task's worker
	n    *named  // set for a task that needs one (see named)
	lane *lane   // the lane of its name, while the task holds it
	seq  uint64
}

// slot is how a pool's queues and names' lines hold an entry: 16 bytes
// where an entry takes 48, its number kept apart (see queue, waiter). An
// entry's four pointers are almost always all nil (a Go task) or one of
// them; the other fields, when present, follow from it. So a slot keeps one
// pointer, ref, with what it points to in its two low bits (every target is
// 8-byte aligned, and ref+tag still points inside the same object, which is
// all the garbage collector and checkptr ask of it):
//
//   - nil: a Go task with no name (the hot path);
//   - a *lane, tag 0: a Go task holding its name;
//   - a *worker, tag refWorker: a resume entry;
//   - a *named, tag refNamed: a Submit task or a task with resources, whose
//     t and lane are those of its named (checked when packed; the named's
//     lane is read again when unpacked, as dropQueued's rebuilt entries do);
//   - a copy of the entry, tag refEntry, for any other combination: one
//     allocation, on paths that allocate anyway;
//   - a *lane, tag refPending: a Go task waiting in the queue for its name,
//     which it does not hold (see Pool.pend).
type slot struct {
	fn  func(ctx context.Context) error
	ref unsafe.Pointer
}

const (
	refNamed   = 1
	refWorker  = 2
	refEntry   = 3
	refPending = 4
	refTag     = 7
)

// pack makes e a slot.
func pack(e *entry) slot {
	s := slot{fn: e.fn}
	switch {
	case e.t == nil && e.w == nil && e.n == nil:
		s.ref = unsafe.Pointer(e.lane) // nil for a plain Go task
	case e.w != nil && e.t == nil && e.n == nil && e.lane == nil:
		s.ref = unsafe.Add(unsafe.Pointer(e.w), refWorker)
	case e.n != nil && e.w == nil && e.t == e.n.task && e.lane == e.n.lane:
		s.ref = unsafe.Add(unsafe.Pointer(e.n), refNamed)
	default:
		c := new(entry)
		*c = *e
		s.ref = unsafe.Add(unsafe.Pointer(c), refEntry)
	}
	return s
}

// entry unpacks s, the slot of the entry numbered seq.
func (s *slot) entry(seq uint64) entry {
	var e entry
	s.unpack(&e, seq)
	return e
}

// unpack unpacks s, the slot of the entry numbered seq, into *e, and
// reports whether it is a Go task waiting for its name (its lane in
// e.lane, see Pool.pend).
func (s *slot) unpack(e *entry, seq uint64) (pending bool) {
	if s.ref == nil {
		*e = entry{fn: s.fn, seq: seq}
		return false
	}
	tag := uintptr(s.ref) & refTag
	ptr := unsafe.Add(s.ref, -int(tag))
	switch tag {
	case refNamed:
		n := (*named)(ptr)
		*e = entry{fn: s.fn, t: n.task, n: n, lane: n.lane, seq: seq}
	case refWorker:
		*e = entry{fn: s.fn, w: (*worker)(ptr), seq: seq}
	case refEntry:
		*e = *(*entry)(ptr)
	case refPending:
		*e = entry{fn: s.fn, lane: (*lane)(ptr), seq: seq}
		return true
	default:
		*e = entry{fn: s.fn, lane: (*lane)(ptr), seq: seq}
	}
	return false
}

// A queue is one of a pool's FIFOs of entries: their slots, and their
// numbers as runs of consecutive numbers. Entries mostly come in numbered
// one after another (a submitter's tasks, when no other pool of the tree
// takes a task in between), so a queue of a million tasks from one
// submitter holds its numbers in a single run: 16 bytes a task in all.
// Entries whose numbers do not follow on (a task that waited for its name,
// or tasks of sibling pools submitted in between) start runs of their own,
// 16 bytes each, so a queue never takes more than 32 bytes a task.
//
// Measured (issue 14): memory per queued task 48 -> 24 B with slots that
// kept their number, then 24 -> 16.1 B with the numbers in runs, at every
// N from 1e5 to 1e6 (the target was 24; pond holds 17 B). The runs cost a
// tiny task 2-4 ns against the 24-byte slots (GOMAXPROCS=1, pinned to one
// core, interleaved: 85.9 against 83.1 ns at best, 89.3 against 86.2 in
// the median of 8), once fill's call was kept off the common path (it cost
// 12 ns).
type queue struct {
	slots deque.Deque[slot]
	runs  deque.Deque[run] // between head and tail, oldest first
	head  run              // the numbers of the entries at the front
	tail  run              // the numbers of the entries at the back, still growing
}

// A run is n consecutive entry numbers from first.
type run struct {
	first uint64
	n     uint64
}

// Len reports the entries in q.
func (q *queue) Len() int { return q.slots.Len() }

// push adds e at the back.
func (q *queue) push(e *entry) { q.pushSlot(pack(e), e.seq) }

// pushPending adds e, a Go task waiting for its name e.lane, at the back.
func (q *queue) pushPending(e *entry) {
	q.pushSlot(slot{fn: e.fn, ref: unsafe.Add(unsafe.Pointer(e.lane), refPending)}, e.seq)
}

// pushSlot adds s, the slot of the entry numbered seq, at the back.
func (q *queue) pushSlot(s slot, seq uint64) {
	q.slots.PushBack(s)
	switch {
	case q.tail.n > 0 && seq == q.tail.first+q.tail.n:
		q.tail.n++
		return
	case q.tail.n > 0:
		q.runs.PushBack(q.tail)
	}
	q.tail = run{first: seq, n: 1}
}

// pop removes the front entry, which exists, into *e, and reports whether
// it is a Go task waiting for its name (see slot.unpack).
func (q *queue) pop(e *entry) (pending bool) {
	s := q.slots.PopFront()
	if q.head.n == 0 {
		q.fill()
	}
	seq := q.head.first
	q.head.first, q.head.n = seq+1, q.head.n-1
	return s.unpack(e, seq)
}

// fill makes head the run of the front entry, which exists, once the head
// run is spent.
func (q *queue) fill() {
	if q.runs.Len() > 0 {
		q.head = q.runs.PopFront()
	} else {
		q.head, q.tail = q.tail, run{}
	}
}

// frontSeq returns the number of the front entry, which exists.
func (q *queue) frontSeq() uint64 {
	if q.head.n == 0 {
		q.fill()
	}
	return q.head.first
}

// each calls fn with each entry's slot and number, front to back, until
// fn returns false. The deadlock search uses it, on a slow path.
func (q *queue) each(fn func(s slot, seq uint64) bool) {
	runs := []run{q.head}
	for r := range q.runs.All() {
		runs = append(runs, r)
	}
	runs = append(runs, q.tail)
	i, k := 0, uint64(0)
	for s := range q.slots.All() {
		for k == runs[i].n {
			i, k = i+1, 0
		}
		if !fn(s, runs[i].first+k) {
			return
		}
		k++
	}
}

// trimTo gives back kept chunks beyond max entries (see deque.TrimTo).
func (q *queue) trimTo(max int) {
	q.slots.TrimTo(max)
	q.runs.TrimTo(max)
}

// counter counts unfinished work and lets goroutines wait for it to reach
// zero without polling.
type counter struct {
	n    int
	zero chan struct{}
}

func (c *counter) add(d int) {
	c.n += d
	if c.n == 0 && c.zero != nil {
		close(c.zero)
		c.zero = nil
	}
}

// wait returns a channel closed when the count is zero.
func (c *counter) wait() <-chan struct{} {
	if c.n == 0 {
		return closedChan
	}
	if c.zero == nil {
		c.zero = make(chan struct{})
	}
	return c.zero
}

// maxFree bounds the worker structs kept for reuse.
const maxFree = 1024

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// canRun reports whether a task of p could take a slot now: p and every
// ancestor are under their limit. Called with tr.mu held.
func (p *Pool) canRun() bool {
	for q := p; q != nil; q = q.parent {
		if q.limit > 0 && q.running >= q.limit {
			return false
		}
	}
	return true
}

// claim and release take and give back one slot in p and every ancestor.
func (p *Pool) claim() {
	for q := p; q != nil; q = q.parent {
		q.running++
	}
}

func (p *Pool) release() {
	for q := p; q != nil; q = q.parent {
		q.running--
	}
}

// ended counts a task of p, numbered seq, as finished (see unfinished), and
// tells a Wait whose watermark it was the last task below.
func (p *Pool) ended(seq uint64) {
	p.unfinished(-1)
	if p.markDone == nil {
		return
	}
	if seq <= p.mark {
		p.markLeft--
	}
	if p.markLeft == 0 || p.own.n == 0 {
		p.reached = p.mark
		close(p.markDone)
		p.markDone = nil
	}
}

// unfinished counts a task as unfinished (d = 1) or finished (d = -1) in
// its own pool and in the subtree counts of every ancestor.
func (p *Pool) unfinished(d int) {
	p.own.add(d)
	for q := p; q != nil; q = q.parent {
		q.sub.add(d)
	}
}

// queueLen is how many entries p's queues hold, cancelled ones included.
func (p *Pool) queueLen() int { return p.resumes.Len() + p.urgent.Len() + p.normal.Len() }

// push queues e: a resume entry (a suspended task taking its slot back)
// ahead of everything, since its task is already running and the pool
// promised it its slot back before any new work; a Priority task ahead of
// the rest; others in submission order.
func (p *Pool) push(e *entry, urgent bool) {
	if e.seq == 0 { // a resume entry; a task has its number from submit
		p.tr.seq++
		e.seq = p.tr.seq
	}
	if p.queueLen() == 0 {
		p.tr.active = append(p.tr.active, p)
	}
	switch {
	case e.w != nil:
		p.resumes.push(e)
	case urgent:
		p.urgent.push(e)
	default:
		p.normal.push(e)
	}
}

// head returns p's queue that goes first, and its class: 2 for resumes,
// 1 for Priority tasks, 0 for the others. p's queues are not all empty.
func (p *Pool) head() (*queue, int) {
	switch {
	case p.resumes.Len() > 0:
		return &p.resumes, 2
	case p.urgent.Len() > 0:
		return &p.urgent, 1
	}
	return &p.normal, 0
}

func (p *Pool) pop() (entry, bool) {
	var e entry
	pending := p.popTo(&e)
	return e, pending
}

// popTo pops p's next entry into *e. It writes in place rather than
// returning an entry: the hot path then copies no 48-byte struct through
// the stack (which also cost store-forwarding stalls, measured at GOMAXPROCS=1).
// It reports whether the entry is a Go task waiting for its name (see pend).
func (p *Pool) popTo(e *entry) (pending bool) {
	q, _ := p.head()
	pending = q.pop(e)
	if p.queueLen() == 0 {
		p.tr.deactivate(p)
	}
	return pending
}

func (tr *tree) deactivate(p *Pool) {
	for i, q := range tr.active {
		if q == p {
			last := len(tr.active) - 1
			tr.active[i] = tr.active[last]
			tr.active[last] = nil
			tr.active = tr.active[:last]
			return
		}
	}
}

// pick chooses the pool whose head entry should start next: among pools
// with a free slot all the way up, resumes first, then Priority tasks,
// then the lowest submission number. This keeps FIFO order across
// sub-pools while never letting a full sub-pool block a sibling.
func (tr *tree) pick() *Pool {
	var best *Pool
	bestClass := -1
	var bestSeq uint64
	for _, p := range tr.active {
		if !p.canRun() {
			continue
		}
		q, class := p.head()
		seq := q.frontSeq()
		if class > bestClass || (class == bestClass && seq < bestSeq) {
			best, bestClass, bestSeq = p, class, seq
		}
	}
	return best
}

// next takes the next task that may start now and claims its slots. On the
// way it grants slots to suspended tasks waiting to resume and discards
// entries whose task was cancelled while queued. It writes the task into
// *e (the zero entry when there is none), in place: see popTo. Called with
// tr.mu held.
func (tr *tree) next(e *entry) (*Pool, bool) {
	for {
		p := tr.pick()
		if p == nil {
			*e = entry{}
			return nil, false
		}
		if p.popTo(e) {
			if !p.unpend(e) { // claims the slot when it returns true
				continue // back to waiting, in its name's line; or skipped
			}
		} else {
			if e.w != nil {
				p.claim()
				e.w.grant()
				continue
			}
			if e.t != nil && !e.t.startable() {
				p.dead-- // counted when it was cancelled (by startable itself, if only now)
				continue
			}
			if e.n != nil && e.n.superseded && e.t == nil {
				p.queued--
				p.signalSpace()
				p.drop(*e, ErrSuperseded)
				continue
			}
			if e.t == nil && p.ctx.Err() != nil {
				// The pool's context ended and its AfterFunc has not yet
				// skipped the queue: a task whose context is done never starts.
				p.queued--
				p.signalSpace()
				p.skip(*e, context.Cause(p.ctx))
				continue
			}
			p.queued--
			p.signalSpace()
			p.claim()
		}
		if e.t != nil {
			e.t.start()
		}
		if e.lane != nil {
			e.lane.running++
		}
		p.emit(e, Running, nil)
		return p, true
	}
}

// pump starts every task that may start now, handing each to an idle worker
// or to a new one. Called with tr.mu held after anything that can free a
// slot or add startable work: a submit, a resize, a suspend.
//
// pump passes the baton instead of fanning out. When a worker is on its way
// back (it finished a task and waits for tr.mu, counted in tr.returning, or
// holds it and accounts for the task, counted in tr.back), pump starts
// nothing: that
// worker takes the next startable task as soon as it holds the lock, and
// then calls pump itself. When a worker was spawned and has not started
// yet, pump starts nothing more either: that worker calls pump as soon as
// it runs, before its first task, and so spawns the next one if work is
// still waiting. Without this a submitter that outruns the scheduler spawns
// a worker per task (it cannot see that the ones it spawned have not run
// yet), and a thousand workers then fight over one lock. No work is lost
// and none waits on another task's progress: returning and starting workers
// always reach pump, whatever their tasks do.
func (tr *tree) pump() {
	for {
		if tr.back > 0 || tr.starting > 0 || tr.returning.Load() > 0 {
			return
		}
		var e entry
		p, ok := tr.next(&e)
		if !ok {
			return
		}
		if n := len(tr.idle); n > 0 {
			w := tr.idle[n-1]
			tr.idle[n-1] = nil
			tr.idle = tr.idle[:n-1]
			w.handoff(&e, p)
			continue
		}
		tr.workers++
		tr.starting++
		go tr.newWorker(&e, p).run()
		return // the new worker passes the baton when it starts
	}
}

// retireIdle tells every idle worker to exit when the whole tree has no
// unfinished task, and returns a channel closed once they all have. Wait and
// Close use it so that an idle pool holds no goroutine when they return.
func (tr *tree) retireIdle() <-chan struct{} {
	// Up to maxIdleLanes idle lanes stay for the next batch, as between
	// batches (see forgetLane); more go now, and the rest with the queues'
	// kept chunks, below.
	if tr.idleLanes > maxIdleLanes || tr.idleTimeout == 0 || tr.root.closed {
		tr.sweepLanes()
	}
	if tr.root.sub.n == 0 {
		for _, w := range tr.idle {
			tr.exiting++
			w.handoff(&entry{}, nil)
		}
		clear(tr.idle)
		tr.idle = tr.idle[:0]
	}
	// Queues keep their chunks across a drain, so that the next batch
	// reuses them: Pool.Go then allocates nothing per task, whatever the
	// batch's size, and a batch of a million tasks does not allocate, zero
	// and collect 24 MB each time (which made ns/task grow with N). What is
	// kept goes once the tree has stayed idle for its idle timeout (reap),
	// or at once without a timeout or on Close: a burst pins its memory
	// for one IdleTimeout at most.
	if tr.idleTimeout == 0 || tr.root.closed {
		tr.root.trimQueues(0)
		tr.lines.reset()
	} else {
		// Trimming to no bound keeps every chunk and restarts the queues'
		// count of pops made at a quarter full: a drain is no sign that a
		// queue is larger than its batches need (see deque.shrink).
		tr.root.trimQueues(math.MaxInt)
		tr.restartReaper()
	}
	if tr.exiting == 0 {
		return closedChan
	}
	if tr.exited == nil {
		tr.exited = make(chan struct{})
	}
	return tr.exited
}

// armReaper makes sure the reaper will run while workers are idle.
func (tr *tree) armReaper() {
	if tr.reaping {
		return
	}
	tr.reaping = true
	if tr.reaper == nil {
		tr.reaper = time.AfterFunc(tr.idleTimeout, tr.reap)
	} else {
		tr.reaper.Reset(tr.idleTimeout)
	}
}

// restartReaper makes the reaper's next tick a full idle timeout from now,
// so that what a Wait keeps for the next batch stays that long.
func (tr *tree) restartReaper() {
	tr.reaping = false
	tr.armReaper()
}

// reap retires the workers that were idle at the previous tick and are
// still idle now, and marks the others. A worker therefore exits after
// between one and two IdleTimeouts without work, and parking costs no timer.
func (tr *tree) reap() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.reaping = false
	kept := tr.idle[:0]
	for _, w := range tr.idle {
		if w.stale {
			tr.exiting++ // workerExited(true) when it wakes
			w.handoff(&entry{}, nil)
			continue
		}
		w.stale = true
		kept = append(kept, w)
	}
	clear(tr.idle[len(kept):])
	tr.idle = kept
	if len(tr.idle) > 0 {
		tr.armReaper()
	}
	// What the queues and names kept for the next batch goes once the tree
	// has no unfinished task at a tick; not while it works, when sweeping
	// the lanes would walk every name in use under tr.mu, once a tick.
	if tr.root.sub.n == 0 {
		tr.root.trimQueues(0)
		tr.sweepLanes()
		tr.lines.reset()
	}
}

// trimQueues gives back the chunks that p's and its sub-pools' queues keep
// for reuse beyond max slots each (see deque.TrimTo). Called with tr.mu
// held, by Wait and Close and once per reaper tick: a queue in use refills
// its kept chunks within a tick.
func (p *Pool) trimQueues(max int) {
	p.resumes.trimTo(max)
	p.urgent.trimTo(max)
	p.normal.trimTo(max)
	for _, c := range p.children {
		c.trimQueues(max)
	}
}

// workerExited accounts for a worker goroutine that is about to return
// and keeps its struct for reuse. Called with tr.mu held, as the worker's
// last touch of w.
func (tr *tree) workerExited(w *worker, retired bool) {
	tr.workers--
	delete(tr.byGoid, w.goid.Load())
	w.e, w.p, w.ctx, w.ctxPool = entry{}, nil, nil, nil
	if len(tr.free) < maxFree {
		tr.free = append(tr.free, w)
	}
	if !retired {
		return
	}
	tr.exiting--
	if tr.exiting == 0 && tr.exited != nil {
		close(tr.exited)
		tr.exited = nil
	}
}

// waiting is what a queue bound counts (see QueueSize): the tasks of p
// that cannot start now. That is the tasks blocked on their keys, and
// the queued tasks beyond the slots free for p all the way up: a queued
// task with a free slot is only waiting for a worker goroutine to take
// it, and must not make a submit fail or block. Called with tr.mu held.
func (p *Pool) waiting() int {
	free := -1 // no limit anywhere
	for q := p; q != nil; q = q.parent {
		if q.limit > 0 {
			if f := max(q.limit-q.running, 0); free < 0 || f < free {
				free = f
			}
		}
	}
	blocked := 0 // no limit anywhere: every queued task has a slot
	if free >= 0 {
		blocked = max(p.queued-free, 0)
	}
	return blocked + p.keyed
}

// dropped counts a queue entry whose task was cancelled while queued, and
// compacts the queues once such entries outnumber the live ones, so that
// a bounded queue bounds memory too: without it, a stalled pool's queue
// would keep every cancelled entry until it reached the front. Amortised
// constant time per cancellation, as for a name's line (lane.withdrawn).
// Called with tr.mu held.
func (p *Pool) dropped() {
	p.dead++
	// The live entries are the queued tasks and the pending ones (see
	// pend), which p.queued does not count.
	if p.dead <= compactAbove || p.dead <= p.urgent.Len()+p.normal.Len()-p.dead {
		return
	}
	for _, q := range []*queue{&p.urgent, &p.normal} {
		for range q.Len() {
			var e entry
			switch {
			case q.pop(&e):
				q.pushPending(&e)
			case e.t == nil || e.t.state == Waiting:
				q.push(&e)
			}
		}
	}
	p.dead = 0
	if p.queueLen() == 0 {
		p.tr.deactivate(p)
	}
}
