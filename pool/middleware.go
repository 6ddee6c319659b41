package pool

import (
	"context"
	"time"
)

// TaskInfo is who a task is, as middleware sees it. Its fields are those of
// the task's events (see [Event]), so that what middleware reports (a span,
// a log line, a metric) and what the event hook reports can be matched.
type TaskInfo struct {
	Task  uint64 // the task's number: unique in its tree of pools (Event.Task)
	ID    string // the ID its submitter gave it (see [Label]); "" when none
	Group string // its group or plan (see [Label]); "" when none
	Name  string // its name (see [Name]); "" when it has none
	Pool  string // its pool's label (see [PoolLabel])

	// ID and Group of a task submitted with Go are kept only where
	// something reads them: with middleware or an event hook on the tree,
	// or while runtime/trace is on. Otherwise a plain Go task keeps no
	// record, so CurrentTask reports them empty.

	// Queued is when the task was submitted: the time until it started was
	// spent Waiting for a slot, or Blocked on its name or resources. It is
	// known for a task submitted with Submit, and for one submitted with Go
	// and Resources, or a Label where it is kept (see above); it is zero for
	// a plain Go task, which keeps Pool.Go free of any record per task.
	Queued time.Time
	// Blocked is how long the task has spent suspended since it started
	// (waiting for its subtasks, or between a retry's attempts), holding no
	// slot. It is zero at the start; [CurrentTask] reports it so far.
	Blocked time.Duration
}

// Middleware runs around a task's function, on the task's goroutine, with
// the task's own context and identity. It calls next to run the task (or
// the next middleware) and returns the task's error as the pool is to see
// it: it may pass ctx on with values added (a tracing span, a logger), call
// next more than once (see [Retry]), or not at all.
//
// A panic in next, or in the middleware, ends the task Failed with a
// [*PanicError], as a panic of the task itself does; middleware that
// recovers panics must return an error for them.
type Middleware func(ctx context.Context, info TaskInfo, next func(context.Context) error) error

// WithMiddleware wraps every task of the tree of pools in mw, for [New]
// only (sub-pools share their root's middleware; Sub fails with
// [ErrInvalid] when given it). The first middleware given is the
// outermost: WithMiddleware(a, b) runs a, which runs b, which runs the
// task. Several WithMiddleware options add up in the order given.
//
// Middleware sees the task's context after the pool has set it up (the
// task's own context for Submit, the pool's for Go, cut short by its
// name's policy where one applies) and before the task does. Events are
// unchanged: a task is Running from before its outermost middleware starts
// until after it returns. Without this option a task costs nothing more; a
// nil middleware panics.
func WithMiddleware(mw ...Middleware) Option {
	for _, m := range mw {
		if m == nil {
			panic("pool: nil middleware")
		}
	}
	return func(c *config) {
		c.middleware = append(c.middleware[:len(c.middleware):len(c.middleware)], mw...)
	}
}

// Chain composes middleware into one, the first given outermost, as
// WithMiddleware applies them. It returns nil for none; a nil middleware
// panics. Code that runs tasks outside a pool (package parallel wraps its
// groups' tasks with it) uses it to apply middleware the same way.
func Chain(mw ...Middleware) Middleware {
	for _, m := range mw {
		if m == nil {
			panic("pool: nil middleware")
		}
	}
	switch len(mw) {
	case 0:
		return nil
	case 1:
		return mw[0]
	}
	outer, inner := mw[0], Chain(mw[1:]...)
	return func(ctx context.Context, info TaskInfo, next func(context.Context) error) error {
		return outer(ctx, info, func(ctx context.Context) error { return inner(ctx, info, next) })
	}
}

// CurrentTask returns the identity of the task that ctx belongs to: ctx
// must be the context the pool passed to a running task (or one derived
// from it), and the call made while that task runs. It reports false for
// any other context, and for a Submit task's context once that task has
// ended. A Go task's context is one its worker reuses for the next Go
// tasks of the same pool (that keeps Go free of allocation), so one kept
// after its task ended may report such a later task on the same worker.
func CurrentTask(ctx context.Context) (TaskInfo, bool) {
	checkContext(ctx)
	c, _ := ctx.Value(ownerKey{}).(*taskContext)
	if c == nil {
		return TaskInfo{}, false
	}
	w := c.w
	w.tr.mu.Lock()
	defer w.tr.mu.Unlock()
	if w.p == nil || !c.current(w) {
		return TaskInfo{}, false // its task ended (the worker may run another now)
	}
	info := w.info()
	info.Blocked = w.blocked.of(w.e.seq)
	return info, true
}

// info describes the worker's current task. Called by the worker itself,
// or with tr.mu held.
func (w *worker) info() TaskInfo {
	e := &w.e
	info := TaskInfo{Task: e.seq, Pool: w.p.label}
	if t := e.t; t != nil {
		info.Queued = t.submitted
	} else if e.n != nil {
		info.Queued = e.n.queued
	}
	if n := e.n; n != nil {
		info.ID, info.Group, info.Name = n.id, n.group, n.name
	}
	if e.lane != nil {
		info.Name = e.lane.key
	}
	return info
}

// blockedTime adds up the time one task spends suspended.
type blockedTime struct {
	task  uint64 // the task it counts for
	since time.Time
	total time.Duration
}

// switched notes that task gave its slot back (Blocked) or took it back.
func (b *blockedTime) switched(task uint64, st State) {
	if b.task != task {
		*b = blockedTime{task: task}
	}
	if st == Blocked {
		b.since = time.Now()
	} else if !b.since.IsZero() {
		b.total += time.Since(b.since)
		b.since = time.Time{}
	}
}

// of returns task's time suspended so far.
func (b *blockedTime) of(task uint64) time.Duration {
	if b.task != task {
		return 0
	}
	if !b.since.IsZero() {
		return b.total + time.Since(b.since)
	}
	return b.total
}
