package pool

import (
	"context"

	"github.com/braid-go/braid/lock"
)

// NameLocker makes the tree take every task name from l as well, a
// [lock.Locker] shared with other processes (a database's advisory locks,
// say), so that a name serialises its runs across every replica of a
// service. Resources stay in process.
//
// The in-process line stays in front: a task first waits for its name
// here, FIFO and holding no worker slot, and only then asks l for it, from
// a goroutine of its own, still holding no slot. So this process asks l
// for a name at most as many times at once as the name's limit allows, and
// the number of backend leases held at once is bounded by the names held
// at once. When a backend lease is lost while its task runs (its Lost
// channel closes), the task's context is cancelled with [lock.ErrLost]. If
// l refuses a name, the task ends Skipped with l's error.
//
// For [New] only. A nil l is an [ErrInvalid] error.
func NameLocker(l lock.Locker) Option {
	return func(c *config) {
		if l == nil {
			c.fail(invalid("NameLocker(nil)"))
		}
		c.backend = l
	}
}

// takeRemote takes the names of a task that holds them in process from the
// tree's backend, then queues the task, or skips it if the backend refused
// or the task's context (or its pool's) ended first. It runs on a
// goroutine of its own: the wait may be long, and holds no worker slot.
func (p *Pool) takeRemote(e entry) {
	n := e.n
	ctx, cancel := remoteContext(p, e.t)
	leases, err := acquireName(ctx, p.tr.backend, e.lane.key)
	cancel()
	tr := p.tr
	tr.mu.Lock()
	n.remote = leases
	if err == nil {
		err = p.startCause(&e)
	}
	if err != nil {
		p.skip(e, err) // releases what it holds
	} else {
		p.admitted(&e, n.prio) // queues it
	}
	tr.mu.Unlock()
}

// remoteContext bounds a backend acquisition by the task's context and by
// its pool's, whichever ends first.
func remoteContext(p *Pool, t *Task) (context.Context, context.CancelFunc) {
	if t == nil {
		return context.WithCancel(p.ctx)
	}
	ctx, cancel := context.WithCancelCause(t.ctx)
	stop := context.AfterFunc(p.ctx, func() { cancel(context.Cause(p.ctx)) })
	return ctx, func() { stop(); cancel(nil) }
}

// acquireName takes the name from l.
func acquireName(ctx context.Context, l lock.Locker, name string) ([]lock.Lease, error) {
	lease, err := l.Acquire(ctx, name)
	if err != nil {
		return nil, err
	}
	return []lock.Lease{lease}, nil
}

// ownContext reports whether the task needs a context of its own to run
// with (see runContext).
func (n *named) ownContext() bool { return n.remote != nil || n.goCancellable() }

func (n *named) goCancellable() bool {
	return n.task == nil && n.lane != nil && n.lane.policy == CancelRunning
}

// runContext gives a named task a context of its own when something may
// have to cancel it alone: the loss of a backend lease, or (for a Go task,
// which shares its pool's context) a newer task of its CancelRunning name.
// The returned stop must be called when the task returns.
func (n *named) runContext(ctx context.Context) (context.Context, func()) {
	goTask := n.goCancellable()
	ctx, cancel := context.WithCancelCause(ctx)
	if goTask {
		tr := n.pool.tr
		tr.mu.Lock()
		n.cancel = cancel
		superseded := n.superseded
		tr.mu.Unlock()
		if superseded {
			cancel(ErrSuperseded)
		}
	}
	for _, l := range n.remote {
		if lost := l.Lost(); lost != nil {
			go func() {
				select {
				case <-lost:
					cancel(lock.ErrLost)
				case <-ctx.Done():
				}
			}()
		}
	}
	return ctx, func() { cancel(nil) }
}
