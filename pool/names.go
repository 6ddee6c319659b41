package pool

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"github.com/braid-go/braid/lock"
)

// Names live in lanes of the pool's own (see lane.go), under the tree's
// lock, by the caller's key as it is: Name allocates nothing. Resources
// live in the tree's lock table (package lock), under a prefix of their
// own.
const resourcePrefix = "r\x00"

// Name serialises the task with every other task of the same name in the
// pool's tree: they run one at a time (or up to the name's limit, see
// [NameLimit]), in submission order, while tasks of other names run beside
// them. A task waiting for its name is Blocked: it holds no worker slot and
// never delays tasks of other names. Submission order holds within a name:
// a task that waited for its name in the name's line then queues for a
// worker slot behind the tasks already queued, which may be of other names
// submitted after it. (A [Pool.Go] task with no other option, in a tree
// without a hook, may wait in its pool's queue instead, where it keeps its
// place; see the package's Concurrency section.)
// The caller picks the key: a job's name
// serialises all its runs, a unique instance ID lets them run side by side.
// An empty name means no serialisation. A task has one name: given twice,
// the last wins (declare several exclusive things with [Resources]).
func Name(key string) TaskOption {
	if key == "" {
		return TaskOption{}
	}
	return TaskOption{name: key, hash: laneHash(key)}
}

// Resources declares resources the task uses exclusively (the tables it
// writes, say): two tasks that share any resource never overlap. A task
// takes all of its resources at once, or waits holding none of them and no
// worker slot; waiting is FIFO, deadlock-free whatever order the resources
// are given in, and not starved by tasks needing only some of them (see
// package lock). A task with a name takes its name first, then its
// resources. Empty and duplicate keys are ignored.
func Resources(keys ...string) TaskOption {
	var prefixed []string
	for _, k := range keys {
		if k != "" {
			prefixed = append(prefixed, resourcePrefix+k)
		}
	}
	return TaskOption{res: prefixed}
}

// Reentrant lets a task use the name and resources held by the task that
// submits it: submitted with Submit from inside a running task, with that
// task's context, to a pool of the same tree, it does not wait for the keys
// its submitter holds. It runs as part of the holder's work, so the holder
// should wait for it (Task.Wait) before it returns and the keys are given
// back. Keys the submitter does not hold are waited for as usual. A task
// sharing its submitter's keys so passes them on to its own Reentrant
// children, at any depth. Without this option, a holder waiting for such a
// task gets [ErrDeadlock].
func Reentrant() TaskOption { return TaskOption{reentrant: true} }

// named is what a task carries when its name alone is not enough: a
// Submit task (whose context may withdraw it from a line), a task with
// resources or a backend, a Go task of a CancelRunning name. A Go task with
// just a name needs none: its entry holds its lane. Fields are guarded by
// tr.mu unless noted.
type named struct {
	pool   *Pool
	task   *Task  // nil for a Go task
	name   string // the name, or ""
	hash   uint64 // the name's (see laneTable), for finding its lane under tr.mu without hashing there
	res    []string
	shown  []string // res as given, for events (only in a tree with a hook)
	group  string   // labels for events (see Label)
	id     string
	queued time.Time // when a Go task was submitted, with middleware (see TaskInfo.Queued)
	prio   bool
	lane   *lane        // the lane of its name while it holds the name
	lease  lock.Lease   // its resources, once held; released by the worker after the task
	remote []lock.Lease // the backend's lease of its name (see NameLocker)
	shares *sharing     // a Reentrant task's: what it shares of its submitter's keys; nil if nothing

	req        atomic.Pointer[lock.Request] // an outstanding resource request; set once AcquireNotify returns
	stop       func() bool                  // Submit tasks: stops the watch on the task's context
	e          entry                        // the task, while it is listed
	prev, next *named                       // the pool's list of tasks waiting for resources
	onList     bool
	inLane     bool                    // waiting in its name's line
	blocked    bool                    // counted in its pool's blocked while waiting for resources or the backend
	superseded bool                    // a newer task of its CancelRunning name arrived
	cancel     context.CancelCauseFunc // cancels a running Go task alone (see runContext)
}

// needsNamed reports whether a task needs a named (see named). The
// settings map is read-only once the tree exists: no lock needed.
func (tr *tree) needsNamed(t *Task, cfg *taskConfig) bool {
	if t != nil || cfg.res != nil || (cfg.id != "" || cfg.group != "") && tr.labelled() {
		return true
	}
	if cfg.name == "" {
		return false
	}
	if tr.backend != nil {
		return true
	}
	if tr.settings == nil {
		return false // most trees: no name has settings, and no lookup is needed
	}
	s := tr.settings[cfg.name]
	return s != nil && s.policy == CancelRunning
}

// submitNamed starts e's way, submitted with cfg, through its name (l is
// its lane if the name is in use), its resources and the backend to the
// queue. Called with tr.mu held; keeps it.
func (p *Pool) submitNamed(e *entry, cfg *taskConfig, l *lane) {
	tr := p.tr
	if e.t != nil {
		e.t.named = e.n // so that skipping it from the queue releases what it holds
	}
	name, prio := cfg.name, cfg.priority
	if name == "" {
		p.admitResources(e, prio)
		return
	}
	if l == nil {
		l = tr.lane(name, cfg.nameHash())
	} else {
		tr.revive(l)
	}
	if !l.free() && l.policy != Enqueue {
		if !p.overflow(e, l) {
			return
		}
		// The policy may have ended a holder that had not started yet, and
		// with it freed the name, or even idled (and swept) the lane.
		l = tr.lane(name, cfg.nameHash()) // not l.hash: l may have been swept
	}
	if l.free() {
		l.take(e)
		p.admitResources(e, prio)
		return
	}
	if l.pends(p, e, prio) {
		p.pend(e, l)
		return
	}
	l.enter(p, e, prio)
}

// admitResources takes e's resources, if it has any, then goes on to the
// backend or the queue. A task whose resources are not all free joins their
// lines in the lock table at once, under tr.mu, so that tasks wait in the
// order they were submitted; the table grants it later through Granted,
// from the goroutine that releases what it waits for. Called with tr.mu
// held; keeps it.
func (p *Pool) admitResources(e *entry, prio bool) {
	n := e.n
	if n == nil || len(n.res) == 0 {
		p.admitted(e, prio)
		return
	}
	l, q, err := p.tr.names.Enqueue(n.res, n) // never calls Granted itself: safe under tr.mu
	if err != nil {
		panic("pool: " + err.Error()) // keys are non-empty by construction
	}
	if l != nil {
		n.lease = l
		p.admitted(e, prio)
		return
	}
	p.markBlocked(e)
	p.listBlocked(e)
	n.req.Store(&q)
	if t := e.t; t != nil {
		n.stop = context.AfterFunc(t.ctx, func() { p.withdrawBlocked(n, context.Cause(t.ctx)) })
	}
}

// admitted queues a task that holds its name and resources, or first takes
// its name from the backend if the tree has one. Called with tr.mu held.
func (p *Pool) admitted(e *entry, prio bool) {
	if n := e.n; n != nil && p.tr.backend != nil && e.lane != nil && n.remote == nil {
		p.markBlocked(e)
		go p.takeRemote(*e)
		return
	}
	if e.n != nil {
		p.unmarkBlocked(e.n)
	}
	p.queue(e, prio)
}

// Granted admits a task whose resources were just granted, or skips it if
// it must not start any more. The lock table calls it, without tr.mu.
func (n *named) Granted(l lock.Lease) {
	p := n.pool
	tr := p.tr
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if !n.onList { // withdrawn by an abort that lost the race with this grant
		tr.goRelease(nil, []lock.Lease{l})
		return
	}
	e := n.e
	p.unlistBlocked(n)
	n.lease = l
	if cause := p.startCause(&e); cause != nil {
		p.endBlocked(e, n, cause) // releases the lease and the name
		return
	}
	p.admitted(&e, n.prio)
}

// startCause returns why a task that waited must not start now: its
// context or its pool's ended, or the pool was shut down. Called with tr.mu
// held.
func (p *Pool) startCause(e *entry) error {
	switch {
	case e.t != nil && e.t.cancelled() != nil:
		return e.t.cancelled()
	case p.done != nil:
		return p.done
	case e.t == nil && p.ctx.Err() != nil:
		return context.Cause(p.ctx)
	}
	return nil
}

// withdrawFromLine ends a Submit task waiting in its name's line, once
// its context ended. Its entry stays in the line, marked withdrawn. Called
// without tr.mu.
func (p *Pool) withdrawFromLine(n *named, cause error) {
	tr := p.tr
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if !n.inLane {
		return // it got its name first: admit checks the context too
	}
	l := tr.lanes.get(n.name, n.hash)
	e := entry{t: n.task, n: n, seq: n.task.seq}
	l.leave(&waiter{s: pack(&e), p: p})
	l.withdrawn()
	p.skip(e, cause)
}

// withdrawBlocked gives up waiting for the resources of a task, and ends
// it with cause. It reports false if the task got them first. Called
// without tr.mu.
func (p *Pool) withdrawBlocked(n *named, cause error) bool {
	q := n.req.Load()
	if q == nil || !q.Withdraw() {
		return false // admitted, or about to be: Granted checks the context too
	}
	tr := p.tr
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if !n.onList {
		return false
	}
	e := n.e
	p.unlistBlocked(n)
	p.endBlocked(e, n, cause)
	return true
}

// endBlocked ends a task that never started, whose named record is n:
// dropped if its CancelRunning name superseded it (see supersede) and that
// is why it ends, skipped otherwise. Called with tr.mu held.
func (p *Pool) endBlocked(e entry, n *named, cause error) {
	if n != nil && n.superseded && cause == ErrSuperseded {
		p.drop(e, cause)
	} else {
		p.skip(e, cause)
	}
}

// end ends a task that never started: dropped if its name's policy
// replaced it, skipped otherwise. Called with tr.mu held.
func (p *Pool) end(e entry, cause error) {
	if cause == ErrReplaced {
		p.drop(e, cause)
	} else {
		p.skip(e, cause)
	}
}

// markBlocked counts a task as Blocked. Called with tr.mu held.
func (p *Pool) markBlocked(e *entry) {
	n := e.n
	if !n.blocked {
		n.blocked = true
		p.blocked++
		p.keyed++
		if e.t != nil {
			e.t.state = Blocked
		}
		p.emit(e, Blocked, nil)
	}
}

func (p *Pool) unmarkBlocked(n *named) {
	if n.blocked {
		n.blocked = false
		p.blocked--
		p.keyed--
		p.signalSpace()
	}
}

func (p *Pool) listBlocked(e *entry) {
	n := e.n
	n.e = *e
	n.onList, n.prev, n.next = true, nil, p.blockedList
	if p.blockedList != nil {
		p.blockedList.prev = n
	}
	p.blockedList = n
}

func (p *Pool) unlistBlocked(n *named) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		p.blockedList = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	}
	if n.stop != nil {
		n.stop()
		n.stop = nil
	}
	n.onList, n.prev, n.next, n.e = false, nil, nil, entry{}
}

// takeBlocked returns the tasks of p waiting for resources, for an abort
// to withdraw once it has released tr.mu. Called with tr.mu held.
func (p *Pool) takeBlocked() []*named {
	var out []*named
	for n := p.blockedList; n != nil; n = n.next {
		out = append(out, n)
	}
	return out
}

// withdrawAll withdraws blocked tasks after an abort and reports how many
// it skipped. The others were granted meanwhile; admit skips them, since
// their pool's context is done.
func withdrawAll(blocked []*named, cause error) int {
	skipped := 0
	for _, n := range blocked {
		if n.pool.withdrawBlocked(n, cause) {
			skipped++
		}
	}
	return skipped
}

func releaseAll(l lock.Lease, remote []lock.Lease) {
	for _, r := range remote {
		_ = r.Release() // a lost lease has cancelled its task already
	}
	if l != nil {
		_ = l.Release() // in process: cannot fail
	}
}

// releaseHold gives back what a task that ends took: its name at once, its
// leases from a new goroutine unless the worker released them already (a
// release may grant to a waiter, whose Granted takes tr.mu, held here).
// Called with tr.mu held.
func (p *Pool) releaseHold(e *entry, ran bool) {
	n, l := e.n, e.lane
	if n != nil {
		p.unmarkBlocked(n)
		if l == nil {
			l = n.lane // an entry rebuilt from its task (see dropQueued)
		}
	}
	if l != nil {
		p.tr.releaseName(l, n)
	}
	if n != nil && !ran && (n.lease != nil || n.remote != nil) {
		p.tr.goRelease(n.lease, n.remote)
	}
}

// ErrDeadlock is returned by Task.Wait when the wait would close a cycle
// of waits that can never end: the awaited task needs, directly or through
// other tasks it waits for, something only the waiter can give back (its
// name, its resources, or its own end). It is returned at once, instead of
// a wait that never ends.
var ErrDeadlock = errors.New("pool: deadlock: waiting for a task that can only start or end after the waiter does")

// sharing is what a Reentrant task shares of its submitter's keys: the
// name and resources it asked for that the submitter holds, or shares in
// turn with its own submitter. A task sharing a key lets its own Reentrant
// children share it too, at any depth.
type sharing struct {
	name string
	res  []string
}

// notHeld drops from cfg what the task owning ctx holds or shares (see
// Reentrant), and returns what it dropped (nil: nothing). What a task
// holds does not change while it runs, so it is read without tr.mu.
func (tr *tree) notHeld(ctx context.Context, cfg *taskConfig) *sharing {
	w := workerOf(ctx) // nil for Go, which has no submitting task to inherit from
	if w == nil || w.tr != tr {
		return nil
	}
	held := w.e.n // nil for a Go task with nothing but a name
	var s sharing
	if l := w.e.lane; l != nil && cfg.name == l.key || held != nil && held.shares != nil && cfg.name == held.shares.name && cfg.name != "" {
		cfg.name, s.name = "", cfg.name
	}
	if held != nil {
		holds := func(k string) bool {
			return held.lease != nil && slices.Contains(held.res, k) || held.shares != nil && slices.Contains(held.shares.res, k)
		}
		for _, k := range cfg.res {
			if holds(k) {
				s.res = append(s.res, k)
			}
		}
		if s.res != nil {
			cfg.res = slices.DeleteFunc(slices.Clone(cfg.res), holds)
		}
	}
	if s.name == "" && s.res == nil {
		return nil
	}
	return &s
}

// NameLimit lets up to n tasks of the name key run at once (default 1), for
// work that may run in parallel with itself only where allowed. It applies
// to a whole tree of pools, so it is for [New] only. n < 1 is an
// [ErrInvalid] error.
func NameLimit(key string, n int) Option {
	return func(c *config) {
		if n < 1 {
			c.fail(invalid("NameLimit(%q, %d): a name admits at least 1 task", key, n))
		}
		c.laneConfig(key, "NameLimit").limit = n
	}
}
