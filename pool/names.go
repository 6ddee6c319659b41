package pool

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"

	"github.com/braid-go/braid/lock"
)

// Names and resources share one lock table per tree of pools; their keys
// are kept apart by a prefix no caller's key can forge.
const (
	namePrefix     = "n\x00"
	resourcePrefix = "r\x00"
)

// Name serialises the task with every other task of the same name in the
// pool's tree: they run one at a time (or up to the name's limit, see
// [NameLimit]), in submission order, while tasks of other names run beside
// them. A task waiting for its name is Blocked: it holds no worker slot and
// never delays tasks of other names. The caller picks the key: a job's name
// serialises all its runs, a unique instance ID lets them run side by side.
// An empty name means no serialisation.
//
// Build the option once per name and reuse it: it carries the name's key,
// ready for the lock table.
func Name(key string) TaskOption {
	if key == "" {
		return func(*taskConfig) {}
	}
	keys := []string{namePrefix + key}
	return func(c *taskConfig) { c.addKeys(keys) }
}

// Resources declares resources the task uses exclusively (the tables it
// writes, say): two tasks that share any resource never overlap. A task
// takes all of its resources, and its name, at once, or waits holding none
// of them and no worker slot; waiting is FIFO, deadlock-free whatever order
// the resources are given in, and not starved by tasks needing only some of
// them (see package lock). Empty and duplicate keys are ignored.
func Resources(keys ...string) TaskOption {
	var prefixed []string
	for _, k := range keys {
		if k != "" {
			prefixed = append(prefixed, resourcePrefix+k)
		}
	}
	return func(c *taskConfig) { c.addKeys(prefixed) }
}

// addKeys adds lock keys to the task. The first set is shared with the
// option that made it, never written to; later ones are appended to a copy.
func (c *taskConfig) addKeys(keys []string) {
	if len(keys) == 0 {
		return
	}
	if c.keys == nil {
		c.keys = keys
		return
	}
	c.keys = append(c.keys[:len(c.keys):len(c.keys)], keys...)
}

// NameLimit lets up to n tasks of the name key run at once (default 1), for
// work that may run in parallel with itself only where allowed. It applies
// to a whole tree of pools, so it is for [New] only. n < 1 is an error.
func NameLimit(key string, n int) Option {
	return func(c *config) {
		switch {
		case key == "":
			c.fail(invalid("NameLimit: empty name"))
		case n < 1:
			c.fail(invalid("NameLimit(%q, %d): a name admits at least 1 task", key, n))
		}
		c.nameLimits = append(c.nameLimits, lock.NameLimit(namePrefix+key, n))
	}
}

// named is what a task with a name or resources carries: its lock keys
// and, once it has them, its leases. While the task waits for them it is on
// its pool's list of blocked tasks and is the lock table's Grantee.
type named struct {
	pool       *Pool
	task       *Task // nil for a Go task
	keys       []string
	prio       bool
	lane       *lane                        // the lane of its name, if the name has a policy or a bound
	lease      lock.Lease                   // set when admitted; the worker releases it after the task
	remote     []lock.Lease                 // the backend's leases of its names (see NameLocker)
	req        atomic.Pointer[lock.Request] // the pending request; set once AcquireNotify returns
	stop       func() bool                  // Submit tasks: stops the watch on the task's context; guarded by tr.mu
	e          entry                        // the task, while it waits; guarded by tr.mu
	prev, next *named                       // the pool's list of blocked tasks; guarded by tr.mu
	onList     bool                         // guarded by tr.mu
	superseded bool                         // a newer task of its CancelRunning name arrived; guarded by tr.mu
	cancel     context.CancelCauseFunc      // cancels a running Go task alone (see runContext); guarded by tr.mu
}

// wait applies the overflow policy of e's name, if it has one, and blocks
// e until its keys are free. Called with tr.mu held; returns with it
// released.
func (p *Pool) wait(e entry) {
	var replaced []*named
	if l := e.n.lane; l != nil {
		var wait bool
		if wait, replaced = p.overflow(e, l); !wait {
			p.tr.mu.Unlock()
			return
		}
	}
	p.block(e) // releases tr.mu
	replace(replaced)
}

// block parks e until its keys are free. It is called with tr.mu held and
// returns with it released: the lock table may grant at once, and its
// Grantee takes tr.mu.
//
// Lock order: tr.mu is never held while calling into the lock table in a
// way that can grant to a waiter (AcquireNotify, a withdrawal, a Release),
// because a grant calls Granted, which takes tr.mu. A non-blocking try may
// be made under tr.mu (see tryKeys): it grants only itself. Code that holds
// tr.mu and must release a lease does it from a new goroutine (see skip);
// code that must withdraw does it after unlocking.
func (p *Pool) block(e entry) {
	tr := p.tr
	n := e.n
	p.blocked++
	if e.t != nil {
		e.t.state = Blocked
		e.t.named = n
	}
	n.e = e
	p.listBlocked(n)
	if n.lane != nil {
		n.lane.waiting = append(n.lane.waiting, n)
	}
	tr.mu.Unlock()

	q, err := tr.names.AcquireNotify(n.keys, n)
	if err != nil {
		panic("pool: " + err.Error()) // keys are non-empty by construction
	}
	n.req.Store(&q)
	if e.t != nil {
		tr.mu.Lock()
		if n.onList {
			n.stop = context.AfterFunc(e.t.ctx, func() { p.withdrawBlocked(n, context.Cause(e.t.ctx)) })
		}
		tr.mu.Unlock()
	}
}

// tryKeys takes e's keys at once if they are free and nobody waits for
// them, which is most of the time, so that an uncontended name costs the
// task no trip through the blocked list. Called with tr.mu held.
func (p *Pool) tryKeys(n *named) bool {
	l, err := p.tr.names.TryAcquireAll(n.keys...)
	if err != nil {
		return false
	}
	n.lease = l
	if n.lane != nil {
		n.lane.hold(n)
	}
	return true
}

// Granted admits a task whose keys were just granted, or skips it if its
// context ended while it waited. The lock table calls it, without tr.mu.
func (n *named) Granted(l lock.Lease) {
	p := n.pool
	tr := p.tr
	tr.mu.Lock()
	if !n.onList { // withdrawn by an abort that lost the race with this grant
		tr.mu.Unlock()
		_ = l.Release()
		return
	}
	e := n.e
	p.unlistBlocked(n)
	if n.stop != nil {
		n.stop()
	}
	if n.lane != nil {
		n.lane.unwait(n)
	}
	if cause := p.startCause(e); cause != nil {
		p.blocked--
		p.skip(e, cause)
		tr.mu.Unlock()
		_ = l.Release()
		return
	}
	n.lease = l
	if n.lane != nil {
		n.lane.hold(n)
	}
	p.admitted(e) // releases tr.mu
}

// startCause returns why a task that waited must not start now: its
// context or its pool's ended, or the pool was shut down. Called with tr.mu
// held.
func (p *Pool) startCause(e entry) error {
	switch {
	case e.t != nil && e.t.ctx.Err() != nil:
		return context.Cause(e.t.ctx)
	case p.done != nil:
		return p.done
	case e.t == nil && p.ctx.Err() != nil:
		return context.Cause(p.ctx)
	}
	return nil
}

// admitted queues a blocked task that holds its keys, or first takes its
// names from the backend if the tree has one. Called with tr.mu held;
// returns with it released.
func (p *Pool) admitted(e entry) {
	tr := p.tr
	if tr.backend != nil && e.n.remote == nil {
		tr.mu.Unlock()
		go p.takeRemote(e)
		return
	}
	p.blocked--
	p.queue(e, e.n.prio)
	tr.mu.Unlock()
}

// withdrawBlocked gives up waiting for the keys of a task that never got
// them, and skips it with cause. Called without tr.mu.
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
	p.blocked--
	if n.stop != nil {
		n.stop()
	}
	if n.lane != nil {
		n.lane.unwait(n)
	}
	if cause == ErrReplaced {
		p.drop(e, cause)
	} else {
		p.skip(e, cause)
	}
	return true
}

func (p *Pool) listBlocked(n *named) {
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
	n.onList, n.prev, n.next, n.e = false, nil, nil, entry{}
}

// takeBlocked returns the tasks of p waiting for keys, for an abort to
// withdraw once it has released tr.mu. Called with tr.mu held.
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

// releaseLease gives back the keys of a task that ran. Called by the worker
// without tr.mu, before it accounts for the task: the next task of the name
// may be admitted at once.
func (e *entry) releaseLease() {
	if n := e.n; n != nil {
		releaseAll(n.lease, n.remote)
	}
}

func releaseAll(l lock.Lease, remote []lock.Lease) {
	for _, r := range remote {
		_ = r.Release() // a lost lease has cancelled its task already
	}
	if l != nil {
		_ = l.Release() // in process: cannot fail
	}
}

// releaseHold gives back what a task that never ran took: its place among
// its name's holders and its leases. Called with tr.mu held, so the leases
// are released from a new goroutine: a release may grant to a waiter, whose
// Granted takes tr.mu.
func (p *Pool) releaseHold(e entry) {
	n := e.n
	if n == nil {
		return
	}
	if n.lane != nil {
		n.lane.unhold(n)
	}
	if n.lease != nil || n.remote != nil {
		go releaseAll(n.lease, n.remote)
	}
}

// ErrDeadlock is returned by Task.Wait when the waiting task holds a name
// or resource (with a limit of 1) that the awaited task is blocked on: the
// awaited task could only start after the waiter returns. It is returned at
// once, instead of a wait that never ends.
var ErrDeadlock = errors.New("pool: deadlock: waiting for a task that needs a name or resource the waiter holds")

// deadlocks reports whether the task running on the worker that ctx marks
// holds a key that t is blocked on and that admits one holder.
func deadlocks(ctx context.Context, t *Task) bool {
	w, _ := ctx.Value(workerKey{}).(*worker)
	if w == nil || w.tr != t.pool.tr {
		return false
	}
	tr := w.tr
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if t.state != Blocked || t.named == nil || w.p == nil || w.e.n == nil || w.e.n.lease == nil {
		return false
	}
	for _, k := range t.named.keys {
		if tr.names.Limit(k) == 1 && slices.Contains(w.e.n.keys, k) {
			return true
		}
	}
	return false
}

// Reentrant lets a task use the names and resources held by the task that
// submits it: submitted with Submit from inside a running task, with that
// task's context, to a pool of the same tree, it does not wait for the keys
// its submitter holds. It runs as part of the holder's work, so the holder
// should wait for it (Task.Wait) before it returns and the keys are given
// back. Keys the submitter does not hold are waited for as usual. Without
// this option, a holder waiting for such a task gets [ErrDeadlock].
func Reentrant() TaskOption { return setReentrant }

func setReentrant(c *taskConfig) { c.reentrant = true }

// notHeld returns the keys that the task owning ctx does not hold. The
// task's keys do not change while it runs, so they are read without tr.mu.
func (tr *tree) notHeld(ctx context.Context, keys []string) []string {
	if ctx == nil {
		return keys // Go: no submitting task to inherit from
	}
	w, _ := ctx.Value(workerKey{}).(*worker)
	if w == nil || w.tr != tr || w.e.n == nil {
		return keys
	}
	held := w.e.n.keys
	var out []string
	for _, k := range keys {
		if !slices.Contains(held, k) {
			out = append(out, k)
		}
	}
	return out
}
