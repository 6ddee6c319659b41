package otelbraid

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
)

// Middleware returns task middleware that runs each task in a span of its
// own. The span starts from the task's context, so it is a child of the
// span that was current where the task was submitted (with Pool.Submit) or
// where its group or plan ran (with [RunMiddleware], a child of the block's
// span); the spans the task makes from its context are children of it.
// Tasks submitted with Pool.Go get the pool's context: give the pool one
// with pool.WithContext to parent them.
//
// The span is named after the task's ID ("braid.task" when it has none)
// and carries the task's number, ID, group, name and pool, how long it
// waited before it started and was suspended while it ran (seconds), and
// how it ended (braid.task.state). A task's error is recorded on the span
// and sets its status to Error; so does a panic (recorded as the
// *pool.PanicError the pool will make of it, with its stack), which goes
// on as before.
//
// Give it to pool.WithMiddleware for every task of a tree of pools, or to
// parallel.WithMiddleware for a group's or plan's tasks. Put it before
// pool.Retry for one span around all attempts, after it for one per
// attempt.
func Middleware(opts ...Option) pool.Middleware {
	c := newConfig(opts)
	tracer := c.tracers.Tracer(ScopeName)
	return func(ctx context.Context, info pool.TaskInfo, next func(context.Context) error) (err error) {
		name := info.ID
		if name == "" {
			name = defaultSpanTag
		}
		attrs := taskAttributes(info)
		if !info.Queued.IsZero() {
			attrs = append(attrs, WaitKey.Float64(time.Since(info.Queued).Seconds()))
		}
		ctx, span := tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
		returned := false
		defer func() {
			if returned {
				span.End()
				return
			}
			// A panic (or runtime.Goexit): the task failed. The panic is
			// recorded with its stack, taken here where it still shows the
			// frames that panicked, and goes on with its value to the pool,
			// which recovers it further out (its stack keeps those frames).
			span.SetAttributes(StateKey.String(pool.Failed.String()))
			span.SetStatus(codes.Error, "panic")
			v := recover()
			if v == nil { // Goexit: nothing was recovered, it goes on
				span.End()
				return
			}
			perr := pool.NewPanicError(v)
			span.RecordError(perr, trace.WithAttributes(attribute.String("exception.stacktrace", string(perr.Stack))))
			span.End()
			panic(v)
		}()
		err = next(ctx)
		returned = true
		if now, ok := pool.CurrentTask(ctx); ok {
			span.SetAttributes(BlockedKey.Float64(now.Blocked.Seconds()))
		}
		span.SetAttributes(StateKey.String(pool.Outcome(ctx, err).String()))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		return err
	}
}

// RunMiddleware returns run middleware (see parallel.WithRunMiddleware)
// that makes each run of a group or plan a span, child of the span current
// in the context given to Run, and each block of a plan a span, child of
// the plan's (or, for an inlined plan's blocks, of the inline step's task).
// With [Middleware] on the same group or plan, a trace shows the plan, its
// blocks and its tasks.
//
// A run's span is named after the group or plan ("braid.group" or
// "braid.plan" without a name) and a block's "block N"; both carry the
// group, the kind (group, plan or block), the block's number and the IDs
// of the tasks they run. A run's error sets its span's status to Error.
func RunMiddleware(opts ...Option) parallel.RunMiddleware {
	c := newConfig(opts)
	tracer := c.tracers.Tracer(ScopeName)
	return func(ctx context.Context, info parallel.RunInfo, next func(context.Context) error) error {
		kind := "group"
		if info.Plan {
			kind = "plan"
		}
		name := info.Group
		if name == "" {
			name = "braid." + kind
		}
		attrs := []attribute.KeyValue{RunTaskIDsKey.StringSlice(info.IDs)}
		if info.Group != "" {
			attrs = append(attrs, GroupKey.String(info.Group))
		}
		if info.Block > 0 {
			kind, name = "block", "block "+strconv.Itoa(info.Block)
			attrs = append(attrs, BlockKey.Int(info.Block))
		}
		attrs = append(attrs, RunKindKey.String(kind))
		ctx, span := tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
		defer span.End()
		err := next(ctx)
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		return err
	}
}
