package pool

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryPolicy says how [Retry] runs a task again.
type RetryPolicy struct {
	// Attempts is how many times the task may run in all, the first
	// included: 3 means up to two retries. It must be at least 1.
	Attempts int

	// Backoff is the wait before the first retry; each later wait doubles,
	// up to MaxBackoff when that is set. Zero retries at once.
	Backoff, MaxBackoff time.Duration

	// Jitter spreads the waits so that tasks that failed together do not
	// retry together: each wait is drawn at random between (1-Jitter) times
	// its nominal length and that length. It must be in [0, 1]; 0 waits
	// exactly.
	Jitter float64

	// Retryable reports whether an attempt that failed with err may be
	// retried. Nil retries every error. Whatever it says, a task is not
	// retried once its context is done, nor after a panic (a panic ends
	// the task at once, as without Retry).
	Retryable func(err error) bool
}

// Retry returns middleware that runs a task again when it fails, as p
// says. The task's pool, and a group's strategy, see only the final
// outcome: the last attempt's error, or, when the task's context ends
// during a wait, an error wrapping the context's cause and the last
// attempt's error (so the task ends Canceled or TimedOut).
//
// Between attempts the task gives its worker slot back, as a task waiting
// for its subtasks does (see [Suspend]): it is Blocked while it waits and
// takes a slot back, ahead of queued work, before the next attempt. Each
// attempt is visible in the task's events: the Blocked event of a wait
// carries the failed attempt's error, and the Running event that follows
// carries the next attempt's number in Event.Attempt.
//
// For the tasks of a group or plan of package parallel, give Retry to the
// group (parallel.WithMiddleware), where it runs inside the group's
// bookkeeping: on the pool the group runs on, it would retry a task after
// the group's strategy had counted the failed attempt.
//
// An invalid policy (Attempts < 1, a negative Backoff or MaxBackoff,
// Jitter outside [0, 1]) panics: it is a programming error.
func Retry(p RetryPolicy) Middleware {
	switch {
	case p.Attempts < 1:
		panic(fmt.Sprintf("pool: Retry with %d attempts: want at least 1", p.Attempts))
	case p.Backoff < 0 || p.MaxBackoff < 0:
		panic("pool: Retry with a negative backoff")
	case !(p.Jitter >= 0 && p.Jitter <= 1):
		panic(fmt.Sprintf("pool: Retry with jitter %v: want a fraction in [0, 1]", p.Jitter))
	}
	return func(ctx context.Context, _ TaskInfo, next func(context.Context) error) error {
		for attempt := 1; ; attempt++ {
			err := next(ctx)
			if err == nil || attempt == p.Attempts || ctx.Err() != nil || !p.retryable(err) {
				return err
			}
			if !backoff(ctx, p.wait(attempt), attempt+1, err) {
				return fmt.Errorf("pool: retry cut short: %w (attempt %d failed: %w)", context.Cause(ctx), attempt, err)
			}
		}
	}
}

func (p *RetryPolicy) retryable(err error) bool {
	if isPanic(err) || errors.Is(err, ErrGoexit) {
		return false // recovered further in (by package parallel, say): still a panic
	}
	return p.Retryable == nil || p.Retryable(err)
}

// wait returns how long to wait after the given failed attempt.
func (p *RetryPolicy) wait(attempt int) time.Duration {
	d := p.Backoff
	for i := 1; i < attempt && d > 0; i++ {
		if p.MaxBackoff > 0 && d >= p.MaxBackoff || d >= time.Duration(1<<62) {
			break // capped, or about to overflow
		}
		d *= 2
	}
	if p.MaxBackoff > 0 {
		d = min(d, p.MaxBackoff)
	}
	if p.Jitter > 0 && d > 0 {
		d -= time.Duration(p.Jitter * rand.Float64() * float64(d))
	}
	return d
}

// retryMark is what a worker's events say of a retry in progress: the
// attempt that failed, then the one that starts.
type retryMark struct {
	err     error // the failed attempt's error, for the Blocked event
	attempt int   // the number of the attempt to start, for the Running event
}

// backoff waits d, with the task's slot given back, before attempt; it
// reports false when ctx ended first.
func backoff(ctx context.Context, d time.Duration, attempt int, err error) bool {
	w, _ := ctx.Value(workerKey{}).(*worker)
	if w != nil {
		w.tr.mu.Lock()
		w.retry = retryMark{err: err, attempt: attempt}
		w.tr.mu.Unlock()
	}
	ok := true
	Suspend(ctx, func() {
		if d <= 0 {
			ok = ctx.Err() == nil
			return
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			ok = false
		}
	})
	if w != nil {
		w.tr.mu.Lock()
		w.retry = retryMark{}
		w.tr.mu.Unlock()
	}
	return ok
}

// switched records the event of a task giving its slot back (Blocked) or
// taking it back (Running), with what a retry in progress adds to it, and
// with middleware, the time the task spends suspended (see
// TaskInfo.Blocked). Called with tr.mu held.
func (w *worker) switched(st State) {
	if w.tr.middleware != nil {
		w.blocked.switched(w.e.seq, st)
	}
	if w.p.tr.ev == nil {
		return
	}
	if st == Blocked {
		w.p.record(&w.e, st, w.retry.err, 0)
	} else {
		w.p.record(&w.e, st, nil, w.retry.attempt)
	}
}
