package pool

import (
	"context"
	"errors"
	"slices"

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
func Name(key string) TaskOption {
	return func(c *taskConfig) {
		if key != "" {
			c.keys = append(c.keys, namePrefix+key)
		}
	}
}

// Resources declares resources the task uses exclusively (the tables it
// writes, say): two tasks that share any resource never overlap. A task
// takes all of its resources, and its name, at once, or waits holding none
// of them and no worker slot; waiting is FIFO, deadlock-free whatever order
// the resources are given in, and not starved by tasks needing only some of
// them (see package lock). Empty and duplicate keys are ignored.
func Resources(keys ...string) TaskOption {
	return func(c *taskConfig) {
		for _, k := range keys {
			if k != "" {
				c.keys = append(c.keys, resourcePrefix+k)
			}
		}
	}
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

// named is what a task with a name or resources carries: its lock keys,
// and, once it has them, its lease.
type named struct {
	pool     *Pool
	keys     []string
	prio     bool
	lease    lock.Lease  // set when admitted; the worker releases it after the task
	withdraw func() bool // guarded by tr.mu; nil until AcquireFunc has returned
	stop     func() bool // Submit tasks: stops the watch on the task's context; guarded by tr.mu
}

// block parks e until its keys are free. It is called with tr.mu held and
// returns with it released: the lock table may grant at once, and its
// callback takes tr.mu.
//
// Lock order: tr.mu is never held while calling into the lock table in a
// way that can grant (AcquireFunc, a withdrawal, a Release), because a grant
// calls admit, which takes tr.mu. Code that holds tr.mu and must release a
// lease does it from a new goroutine (see skip); code that must withdraw
// does it after unlocking.
func (p *Pool) block(e entry, cfg taskConfig) {
	tr := p.tr
	n := &named{pool: p, keys: cfg.keys, prio: cfg.priority}
	e.n = n
	p.blocked++
	if e.t != nil {
		e.t.state = Blocked
	}
	if p.waiting == nil {
		p.waiting = make(map[*named]entry)
	}
	p.waiting[n] = e
	if e.t != nil {
		e.t.named = n
	}
	tr.mu.Unlock()

	withdraw, err := tr.names.AcquireFunc(n.keys, func(l lock.Lease) { p.admit(n, l) })
	if err != nil {
		panic("pool: " + err.Error()) // keys are checked non-empty above
	}
	tr.mu.Lock()
	if _, still := p.waiting[n]; still {
		n.withdraw = withdraw
		if e.t != nil {
			n.stop = context.AfterFunc(e.t.ctx, func() { p.withdrawBlocked(n, context.Cause(e.t.ctx)) })
		}
	}
	tr.mu.Unlock()
}

// admit queues a task whose keys were just granted, or skips it if its
// context ended while it waited. Called by the lock table, without tr.mu.
func (p *Pool) admit(n *named, l lock.Lease) {
	tr := p.tr
	tr.mu.Lock()
	e, ok := p.waiting[n]
	if !ok { // withdrawn by an abort that lost the race with this grant
		tr.mu.Unlock()
		_ = l.Release()
		return
	}
	delete(p.waiting, n)
	p.blocked--
	if n.stop != nil {
		n.stop()
	}
	var cause error
	switch {
	case e.t != nil && e.t.ctx.Err() != nil:
		cause = context.Cause(e.t.ctx)
	case p.done != nil:
		cause = p.done
	case e.t == nil && p.ctx.Err() != nil:
		cause = context.Cause(p.ctx)
	}
	if cause != nil {
		p.skip(e, cause)
		tr.mu.Unlock()
		_ = l.Release()
		return
	}
	n.lease = l
	if e.t != nil {
		e.t.state = Waiting
		e.t.queued = true
	}
	p.queued++
	p.push(e, n.prio)
	tr.pump()
	tr.mu.Unlock()
}

// withdrawBlocked gives up waiting for the keys of a task that never got
// them, and skips it with cause. Called without tr.mu.
func (p *Pool) withdrawBlocked(n *named, cause error) bool {
	tr := p.tr
	tr.mu.Lock()
	_, ok := p.waiting[n]
	withdraw := n.withdraw
	tr.mu.Unlock()
	if !ok || withdraw == nil || !withdraw() {
		return false // admitted, or about to be: admit checks the context too
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	e, ok := p.waiting[n]
	if !ok {
		return false
	}
	delete(p.waiting, n)
	p.blocked--
	if n.stop != nil {
		n.stop()
	}
	p.skip(e, cause)
	return true
}

// takeBlocked returns the tasks of p waiting for keys, for an abort to
// withdraw once it has released tr.mu. Called with tr.mu held.
func (p *Pool) takeBlocked() []*named {
	var out []*named
	for n := range p.waiting {
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
	if e.n != nil && e.n.lease != nil {
		_ = e.n.lease.Release()
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
	if t.state != Blocked || w.p == nil || w.e.n == nil || w.e.n.lease == nil {
		return false
	}
	e, ok := t.pool.waiting[t.named]
	if !ok {
		return false
	}
	for _, k := range e.n.keys {
		if tr.names.Limit(k) == 1 && slices.Contains(w.e.n.keys, k) {
			return true
		}
	}
	return false
}
