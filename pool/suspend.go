package pool

import "context"

// workerKey marks a context as belonging to a task running on a worker.
type workerKey struct{}

// ownerKey finds the taskContext itself, to tell which task it was made
// for (see CurrentTask).
type ownerKey struct{}

// taskContext is the context a task runs with: its own or its pool's,
// plus a marker naming the worker that runs it.
type taskContext struct {
	context.Context
	w *worker
	t *Task // the Submit task it was made for; nil for Go tasks
	p *Pool // the pool of the Go tasks it is made for; nil for a Submit task
}

func (c *taskContext) Value(key any) any {
	switch key {
	case workerKey{}:
		return c.w
	case ownerKey{}:
		return c
	}
	return c.Context.Value(key)
}

// current reports whether c could be the context of the task w runs now:
// it was made for that Submit task, or for Go tasks of w's pool while w
// runs a Go task. Called with tr.mu held.
func (c *taskContext) current(w *worker) bool {
	if c.t != nil {
		return w.e.t == c.t
	}
	return w.e.t == nil && w.p == c.p
}

// owns reports whether ctx is the context of a task running in tr, used
// from that task's goroutine.
func (tr *tree) owns(ctx context.Context) bool {
	w := workerOf(ctx)
	return w != nil && w.tr == tr
}

// Suspend calls wait with the worker slots of the task that owns ctx given
// back to its pools, and takes them back before it returns.
//
// This is how braid keeps its promise that a task waiting for something
// (its own subtasks, a name, a lock) holds no slot: a parent task at limit 1
// that submits a child to its own pool and waits for it would otherwise
// deadlock, because the child needs the slot the parent holds. errgroup,
// conc, ants and pond all deadlock there.
//
// While suspended the task is counted as Blocked, not Running. Taking the
// slots back waits for one to be free in the pool and every ancestor, ahead
// of every queued task, so the limit holds at every instant and a resumed
// task is not starved by new work.
//
// ctx must be the context the pool passed to the task (or one derived from
// it), used from the task's own goroutine while the task runs. Anywhere
// else (a goroutine the task started, or after the task returned) the
// context gives nothing back: Suspend simply calls wait, as it does with a
// context that carries no mark, so an escaped context can never act on
// another task or let a running task lose its slot. Nested calls inside
// wait give back nothing more.
func Suspend(ctx context.Context, wait func()) {
	checkContext(ctx)
	if wait == nil {
		panic("pool: Suspend with a nil function")
	}
	w := workerOf(ctx)
	if w == nil || !w.suspend() {
		wait()
		return
	}
	defer w.reclaim()
	wait()
}

// suspend gives back the running task's slots. It reports false when there
// is nothing to give back: no task running, or already suspended.
func (w *worker) suspend() bool {
	tr := w.tr
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if w.p == nil || w.suspended {
		return false
	}
	w.suspended = true
	if w.resume == nil {
		w.resume = make(chan struct{}, 1)
	}
	w.p.release()
	w.p.blocked++
	if l := w.e.lane; l != nil {
		l.running-- // still holding its name, but not running (see NameStats)
	}
	if t := w.e.t; t != nil {
		t.state = Blocked
	}
	w.switched(Blocked)
	tr.pump()
	return true
}

// reclaim queues a resume entry at the front of the task's pool and waits
// until next grants it a slot.
func (w *worker) reclaim() {
	tr := w.tr
	tr.mu.Lock()
	w.p.push(&entry{w: w}, true)
	tr.pump()
	tr.mu.Unlock()
	<-w.resume
}
