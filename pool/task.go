package pool

import (
	"context"
	"time"
)

// Task is the handle of a task submitted with [Pool.Submit]. Its methods are
// safe for concurrent use.
type Task struct {
	pool   *Pool
	ctx    context.Context
	cancel context.CancelCauseFunc
	stops  [2]func() bool
	done   chan struct{}

	// Guarded by pool.tr.mu.
	state     State
	err       error
	queued    bool
	submitted time.Time
	started   time.Time
	ended     time.Time
}

func newTask(p *Pool, ctx context.Context) *Task {
	t := &Task{pool: p, done: make(chan struct{}), submitted: time.Now()}
	t.ctx, t.cancel = context.WithCancelCause(ctx)
	// A forced shutdown cancels the pool's context; pass that on to the task.
	t.stops[0] = context.AfterFunc(p.ctx, func() { t.cancel(context.Cause(p.ctx)) })
	// A task whose context ends while it is queued is skipped at once, so
	// that its handle does not wait for a slot to learn it will never run.
	t.stops[1] = context.AfterFunc(t.ctx, t.dropIfQueued)
	return t
}

func (t *Task) dropIfQueued() {
	p := t.pool
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	if t.queued && t.state == Waiting {
		// The entry stays in the queue until it reaches the front; next
		// discards it there (see startable).
		p.queued--
		p.signalSpace()
		p.skip(entry{t: t}, context.Cause(t.ctx))
	}
}

// startable is checked by next when t's entry reaches the front of the queue.
func (t *Task) startable() bool {
	if t.state != Waiting {
		return false // skipped while queued; already accounted for
	}
	if t.ctx.Err() != nil {
		// Done, but dropIfQueued has not run yet: skip now.
		t.pool.queued--
		t.pool.signalSpace()
		t.pool.skip(entry{t: t}, context.Cause(t.ctx))
		return false
	}
	return true
}

func (t *Task) start() {
	t.state = Running
	t.started = time.Now()
}

// end records t's final state. Called with tr.mu held.
func (t *Task) end(st State, err error) {
	t.state, t.err, t.ended = st, err, time.Now()
	t.release()
	close(t.done)
}

// discard releases a task that was never submitted.
func (t *Task) discard() { t.release() }

func (t *Task) release() {
	for _, stop := range t.stops {
		stop()
	}
	t.cancel(nil)
}

// Done returns a channel closed when the task reaches its final state.
func (t *Task) Done() <-chan struct{} { return t.done }

// Wait waits until the task ends or ctx is done and returns the task's
// error (nil when it succeeded, the cause when it was skipped) or ctx's.
//
// Called from inside a task of any braid pool with that task's context,
// Wait gives the caller's worker slot back while it waits (see [Suspend]),
// so a task may submit to its own pool and wait without deadlock, even at
// a limit of 1.
func (t *Task) Wait(ctx context.Context) error {
	Suspend(ctx, func() {
		select {
		case <-t.done:
		case <-ctx.Done():
		}
	})
	select {
	case <-t.done:
		return t.err // written before done was closed
	default:
		return ctx.Err()
	}
}

// State returns the task's current state.
func (t *Task) State() State {
	t.pool.tr.mu.Lock()
	defer t.pool.tr.mu.Unlock()
	return t.state
}

// Err returns the task's error once it has ended, and nil before.
func (t *Task) Err() error {
	select {
	case <-t.done:
		return t.err
	default:
		return nil
	}
}

// Cancel cancels the task's context: a queued task is skipped, a running
// one sees its context done.
func (t *Task) Cancel() { t.cancel(context.Canceled) }

// Durations returns how long the task waited for a slot and how long it ran.
// Until it starts, waited grows with the clock and ran is zero; a task that
// never started reports its whole life as waited.
func (t *Task) Durations() (waited, ran time.Duration) {
	t.pool.tr.mu.Lock()
	defer t.pool.tr.mu.Unlock()
	switch {
	case !t.started.IsZero() && !t.ended.IsZero():
		return t.started.Sub(t.submitted), t.ended.Sub(t.started)
	case !t.started.IsZero():
		return t.started.Sub(t.submitted), time.Since(t.started)
	case !t.ended.IsZero():
		return t.ended.Sub(t.submitted), 0
	default:
		return time.Since(t.submitted), 0
	}
}
