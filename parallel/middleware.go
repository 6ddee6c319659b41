package parallel

import (
	"context"
	"sync/atomic"

	"github.com/braid-go/braid/pool"
)

// WithMiddleware wraps every task of the group (or every step task of the
// plan) in mw, the first given outermost (see [pool.Middleware]). It runs
// on the task's goroutine with the task's context and identity: Group is
// the group's or plan's label (see [Label]) and ID the task's ID (a step's
// path); Task, Name and Pool are the pool's.
//
// The group's middleware runs inside its bookkeeping: the strategy, the
// results and the callbacks see only what the outermost middleware returns.
// A [pool.Retry] given here therefore retries a task before the strategy
// hears of its failure. With [OnPool], a middleware of that pool (see
// pool.WithMiddleware) runs outside the group's, around the bookkeeping:
// keep retries on the group.
//
// Without this option a task costs nothing more. A nil middleware panics.
func WithMiddleware(mw ...pool.Middleware) Option {
	for _, m := range mw {
		if m == nil {
			panic("parallel: nil middleware")
		}
	}
	return option(func(c *config) {
		c.middleware = append(c.middleware[:len(c.middleware):len(c.middleware)], mw...)
	})
}

// RunInfo describes, to a [RunMiddleware], a run of a group or a plan, or
// one block of a plan.
type RunInfo struct {
	Group string // the group's or plan's label (see Label)
	Plan  bool   // a plan's run or block, not a group's
	// Block is 0 for a whole run; for a block of a plan (a lone sequential
	// step is a block of one), its number in the run, from 1, in the order
	// blocks started. Blocks of an inlined plan are numbered with the rest.
	Block int
	// IDs are the IDs of the tasks it runs: every task of a group, every
	// step task of a plan, the step tasks of a block.
	IDs []string
}

// RunMiddleware runs around a whole run of a group or a plan, and around
// each block of a plan, as [pool.Middleware] runs around a task: next runs
// the run (or the block) with the context given to it, and returns the
// run's error (a block's is nil). A plan may be run again by calling next
// again; a group runs once, and a second call returns [ErrStarted]. The
// tasks a run starts get contexts
// derived from the one passed to next, so values added there (a tracing
// span) are seen by the blocks and by the tasks' middleware. A middleware
// that returns without calling next declines the run (or block): its tasks
// end Skipped with the middleware's error, or [ErrNotRun] if it returned
// nil, and so does the run. Their events say so too (on the run's own pool,
// or on the shared pool of [OnPool]), as for the tasks of a decided run.
type RunMiddleware func(ctx context.Context, info RunInfo, next func(context.Context) error) error

// WithRunMiddleware wraps every run of the group or plan, and every block
// of the plan, in mw, the first given outermost. A nil middleware panics.
func WithRunMiddleware(mw ...RunMiddleware) Option {
	for _, m := range mw {
		if m == nil {
			panic("parallel: nil run middleware")
		}
	}
	return option(func(c *config) {
		c.runMiddleware = append(c.runMiddleware[:len(c.runMiddleware):len(c.runMiddleware)], mw...)
	})
}

// chainRun composes run middleware as pool.Chain composes task middleware.
func chainRun(mw []RunMiddleware) RunMiddleware {
	switch len(mw) {
	case 0:
		return nil
	case 1:
		return mw[0]
	}
	outer, inner := mw[0], chainRun(mw[1:])
	return func(ctx context.Context, info RunInfo, next func(context.Context) error) error {
		return outer(ctx, info, func(ctx context.Context) error { return inner(ctx, info, next) })
	}
}

// withMiddleware returns fn wrapped in mw as task i of group, whose ledger
// is l, or fn itself when there is no middleware. The ledger knows when
// the task was queued, which the pool tells only of some tasks. A retried
// task keeps the output of its last attempt.
func withMiddleware[T any](mw pool.Middleware, group string, l *ledger, i int, fn func(context.Context) (T, error)) func(context.Context) (T, error) {
	if mw == nil {
		return fn
	}
	return func(ctx context.Context) (T, error) {
		info, _ := pool.CurrentTask(ctx)
		info.Group, info.ID, info.Queued = group, l.id(i), l.queuedAt(i)
		var out T
		err := mw(ctx, info, func(ctx context.Context) error {
			v, err := fn(ctx)
			out = v
			return err
		})
		return out, err
	}
}

// aroundRun runs run inside the run middleware mw, if any. When mw does
// not call next, the run never started: its results are unstarted's, with
// mw's error, or ErrNotRun if mw returned none (a run whose tasks were all
// skipped did not succeed).
func aroundRun[T any](ctx context.Context, mw RunMiddleware, info RunInfo, run func(context.Context) (*Results[T], error), unstarted func(error) *Results[T]) (*Results[T], error) {
	if mw == nil {
		return run(ctx)
	}
	var res *Results[T]
	err := mw(ctx, info, func(ctx context.Context) error {
		r, err := run(ctx)
		if r != nil {
			res = r // a plan run again by its middleware reports its last run
		}
		return err
	})
	if res == nil {
		if err == nil {
			err = ErrNotRun
		}
		res = unstarted(err)
	}
	return res, err
}

// declined gives the tasks of a run its run middleware declined (see
// aroundRun) their events, as the tasks of a decided run have: each is
// submitted, with a context already ended with cause, to a pool of the
// run's (its own, with the run's event hook, or a sub-pool of OnPool's),
// which ends it Skipped with cause at once. A run with no hook and no
// shared pool has nobody to tell. opts(i) are task i's options.
func declined(ctx context.Context, cfg *config, ids []string, opts func(i int) []pool.TaskOption, cause error) {
	if cfg.hook == nil && cfg.pool == nil {
		return
	}
	p, err := runPool(ctx, cfg, 0)
	if err != nil {
		return // a closed shared pool takes nothing; the results still say why
	}
	ended, cancel := context.WithCancelCause(ctx)
	cancel(cause)
	for i, id := range ids {
		o := opts(i)
		_, _ = p.Submit(ended, neverRuns, append(o[:len(o):len(o)], pool.Label(cfg.label, id))...)
	}
	_ = p.Close() // nothing ran: a panic of the hook is all it could report
}

// inlineKey marks the context of the task that runs an inlined plan's
// blocks: its blocks' tasks are submitted with that context (which derives
// from the run's) so that they descend from the inline step's task.
type inlineKey struct{}

// planMiddleware is what a plan run needs of its middleware.
type planMiddleware struct {
	task   pool.Middleware
	run    RunMiddleware
	blocks atomic.Int32 // blocks started, for RunInfo.Block
}

// aroundBlock runs a block of r (see planRun.block) inside the run
// middleware, with the context its tasks are to be submitted with: the
// run's for a block of the plan itself, the inline task's for a block of
// an inlined plan.
func (r *planRun) aroundBlock(ctx context.Context, u unit, block func(submit context.Context)) {
	if r.mw.run == nil {
		block(r.ctx)
		return
	}
	base := r.ctx
	if ctx.Value(inlineKey{}) == r {
		base = ctx
	}
	info := RunInfo{Group: r.name, Plan: true, Block: int(r.mw.blocks.Add(1)), IDs: r.s.ids[u.lo:u.hi]}
	ran := false
	err := r.mw.run(base, info, func(ctx context.Context) error { // a block's outcome is its tasks', in the ledger
		ran = true
		block(ctx)
		return nil
	})
	if !ran { // declined: its steps never start, and say why
		if err == nil {
			err = ErrNotRun
		}
		r.skipUnit(u, err) // with their events, as any step that never starts
	}
}
