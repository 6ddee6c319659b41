package pool

import "context"

// A task's context marks the worker that runs it (see taskContext), and
// the pool acts on that worker when the context is used: Suspend gives its
// slot back, Task.Wait checks what it holds, Reentrant inherits its names.
// A context can outlive its task, though, or be handed to another
// goroutine, while the worker goes on to run other tasks: acting on the
// worker then would act on the wrong task, or give back the slot of a task
// that keeps running. So the pool acts on a worker only when the caller is
// that worker's goroutine, and treats any other caller as if its context
// carried no mark. The worker's goroutine identity (see goid) is read
// once, when the goroutine starts; the caller's only on these slow paths,
// never per task.

// workerOf returns the worker whose task's context ctx is, if the caller
// is that worker's goroutine and the worker is running a task; else nil.
func workerOf(ctx context.Context) *worker {
	if ctx == nil {
		return nil
	}
	w, _ := ctx.Value(workerKey{}).(*worker)
	if w == nil || w.goid.Load() != goid() {
		return nil
	}
	return w
}

// inTask reports whether the calling goroutine is a worker of p's tree
// running a task of p or of one of its sub-pools: such a caller cannot
// wait for p's tasks to end, since it is one of them. Called with tr.mu
// held.
func (p *Pool) inTask() bool {
	w := p.tr.byGoid[goid()]
	if w == nil {
		return false
	}
	for q := w.p; q != nil; q = q.parent {
		if q == p {
			return true
		}
	}
	return false
}
