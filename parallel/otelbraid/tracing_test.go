package otelbraid_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/parallel/otelbraid"
	"github.com/braid-go/braid/pool"
)

// tracing is a tracer provider whose spans stay in memory.
type tracing struct {
	exp *tracetest.InMemoryExporter
	tp  *sdktrace.TracerProvider
}

func newTracing(t *testing.T) *tracing {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &tracing{exp: exp, tp: tp}
}

// byName returns the ended spans by name; each name must be unique.
func (tr *tracing) byName(t *testing.T) map[string]tracetest.SpanStub {
	t.Helper()
	out := make(map[string]tracetest.SpanStub)
	for _, s := range tr.exp.GetSpans() {
		require.NotContains(t, out, s.Name, "span names are unique in these tests")
		out[s.Name] = s
	}
	return out
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	out := make(map[attribute.Key]attribute.Value)
	for _, kv := range s.Attributes {
		out[kv.Key] = kv.Value
	}
	return out
}

// requireChild checks that child's parent is parent, in the same trace.
func requireChild(t *testing.T, spans map[string]tracetest.SpanStub, parent, child string) {
	t.Helper()
	require.Contains(t, spans, parent)
	require.Contains(t, spans, child)
	require.Equal(t, spans[parent].SpanContext.SpanID(), spans[child].Parent.SpanID(), "%s is a child of %s", child, parent)
	require.Equal(t, spans[parent].SpanContext.TraceID(), spans[child].SpanContext.TraceID())
}

// A plan run with both middleware gives one trace: the submitter's span,
// the plan, its blocks, its tasks, and the spans the tasks make.
func TestPlanTraceNestsBlocksAndTasks(t *testing.T) {
	t.Parallel()
	tr := newTracing(t)
	tracer := tr.tp.Tracer("test")
	step := func(ctx context.Context) error {
		_, span := tracer.Start(ctx, "query "+trace.SpanFromContext(ctx).(interface{ Name() string }).Name())
		span.End()
		return nil
	}
	audit := parallel.NewPlan().Add(parallel.Do("scan", step))
	plan := parallel.NewPlan(parallel.Label("nightly"), parallel.MaxWorkers(2),
		parallel.WithRunMiddleware(otelbraid.RunMiddleware(otelbraid.WithTracerProvider(tr.tp))),
		parallel.WithMiddleware(otelbraid.Middleware(otelbraid.WithTracerProvider(tr.tp))),
	).Add(
		parallel.Do("extract", step),
		parallel.Do("users", step, parallel.ThreadYes),
		parallel.Do("orders", step, parallel.ThreadJoin),
		parallel.Inline("audit", audit),
	)
	ctx, request := tracer.Start(context.Background(), "request")
	_, err := plan.Run(ctx)
	request.End()
	require.NoError(t, err)

	spans := tr.byName(t)
	requireChild(t, spans, "request", "nightly")
	requireChild(t, spans, "nightly", "block 1")
	requireChild(t, spans, "block 1", "extract")
	requireChild(t, spans, "extract", "query extract")
	requireChild(t, spans, "nightly", "block 2")
	requireChild(t, spans, "block 2", "users")
	requireChild(t, spans, "block 2", "orders")
	requireChild(t, spans, "users", "query users")
	requireChild(t, spans, "nightly", "block 3")
	requireChild(t, spans, "block 3", "block 4") // the inlined plan's block, under the inline step's
	requireChild(t, spans, "block 4", "audit/scan")
	requireChild(t, spans, "audit/scan", "query audit/scan")

	run := attrs(spans["nightly"])
	require.Equal(t, "plan", run[otelbraid.RunKindKey].AsString())
	require.Equal(t, []string{"extract", "users", "orders", "audit/scan"}, run[otelbraid.RunTaskIDsKey].AsStringSlice())
	block := attrs(spans["block 2"])
	require.Equal(t, "block", block[otelbraid.RunKindKey].AsString())
	require.Equal(t, int64(2), block[otelbraid.BlockKey].AsInt64())
	require.Equal(t, []string{"users", "orders"}, block[otelbraid.RunTaskIDsKey].AsStringSlice())

	users := attrs(spans["users"])
	require.Equal(t, "users", users[otelbraid.TaskIDKey].AsString())
	require.Equal(t, "nightly", users[otelbraid.GroupKey].AsString())
	require.Equal(t, "nightly", users[otelbraid.PoolKey].AsString())
	require.Equal(t, "Succeeded", users[otelbraid.StateKey].AsString())
	require.NotZero(t, users[otelbraid.TaskNumberKey].AsInt64())
	require.Contains(t, users, otelbraid.WaitKey)
	require.Contains(t, users, otelbraid.BlockedKey)
	require.Equal(t, codes.Unset, spans["users"].Status.Code)
}

func TestTaskSpanRecordsFailureAndPanic(t *testing.T) {
	t.Parallel()
	tr := newTracing(t)
	p, err := pool.New(pool.WithMiddleware(otelbraid.Middleware(otelbraid.WithTracerProvider(tr.tp))))
	require.NoError(t, err)
	defer func() { _ = p.Close() }() // the test has checked what it needs; Close only lets the workers go
	boom := errors.New("disk full")
	require.NoError(t, p.Go(func(context.Context) error { return boom }, pool.Label("", "load")))
	require.NoError(t, p.Go(func(context.Context) error { panic("bad row") }, pool.Label("", "parse")))
	err = p.Wait()
	require.ErrorIs(t, err, boom)
	var pe *pool.PanicError
	require.ErrorAs(t, err, &pe, "the panic still reaches the pool")

	spans := tr.byName(t)
	require.Equal(t, "Failed", attrs(spans["load"])[otelbraid.StateKey].AsString())
	require.Equal(t, codes.Error, spans["load"].Status.Code)
	require.Equal(t, "disk full", spans["load"].Status.Description)
	require.Len(t, spans["load"].Events, 1, "the error, recorded")
	require.Equal(t, "Failed", attrs(spans["parse"])[otelbraid.StateKey].AsString())
	require.Equal(t, codes.Error, spans["parse"].Status.Code)
}

// A task submitted with Submit is a child of the span current where it
// was submitted; a cancelled one says so.
func TestSubmittedTaskIsAChildOfTheSubmitter(t *testing.T) {
	t.Parallel()
	tr := newTracing(t)
	p, err := pool.New(pool.WithMiddleware(otelbraid.Middleware(otelbraid.WithTracerProvider(tr.tp))), pool.PoolLabel("api"))
	require.NoError(t, err)
	defer func() { _ = p.Close() }() // the test has checked what it needs; Close only lets the workers go
	ctx, handler := tr.tp.Tracer("test").Start(context.Background(), "handler")
	ctx, cancel := context.WithCancel(ctx)
	task, err := p.Submit(ctx, func(ctx context.Context) error {
		cancel()
		return ctx.Err()
	}, pool.Label("", "resize"))
	require.NoError(t, err)
	require.ErrorIs(t, task.Wait(context.Background()), context.Canceled)
	handler.End()

	spans := tr.byName(t)
	requireChild(t, spans, "handler", "resize")
	a := attrs(spans["resize"])
	require.Equal(t, "Canceled", a[otelbraid.StateKey].AsString())
	require.Equal(t, "api", a[otelbraid.PoolKey].AsString())
}

// A group's run is a span, with an error status when the group fails.
func TestGroupRunSpan(t *testing.T) {
	t.Parallel()
	tr := newTracing(t)
	g := parallel.NewGroup[int](
		parallel.WithRunMiddleware(otelbraid.RunMiddleware(otelbraid.WithTracerProvider(tr.tp))),
		parallel.WithMiddleware(otelbraid.Middleware(otelbraid.WithTracerProvider(tr.tp))),
	)
	g.Add("a", func(context.Context) (int, error) { return 0, errors.New("no") })
	_, err := g.Run(context.Background())
	require.Error(t, err)
	spans := tr.byName(t)
	requireChild(t, spans, "braid.group", "a")
	require.Equal(t, codes.Error, spans["braid.group"].Status.Code)
	require.Equal(t, "group", attrs(spans["braid.group"])[otelbraid.RunKindKey].AsString())
}

// TestMiddlewareRecordsPanic: a task's panic is recorded on its span, as an
// error is, and still reaches the pool with its value and the stack of the
// frames that panicked. It used to set the status only.
func TestMiddlewareRecordsPanic(t *testing.T) {
	tr := newTracing(t)
	p, err := pool.New(pool.WithMiddleware(otelbraid.Middleware(otelbraid.WithTracerProvider(tr.tp))))
	require.NoError(t, err)
	task, err := p.Submit(context.Background(), panicsWithOops, pool.Label("", "boom"))
	require.NoError(t, err)
	terr := task.Wait(context.Background())
	require.NoError(t, p.Close())
	var perr *pool.PanicError
	require.ErrorAs(t, terr, &perr)
	require.Equal(t, "oops", perr.Value)
	require.Contains(t, string(perr.Stack), "panicsWithOops")

	span := tr.byName(t)["boom"]
	require.Equal(t, codes.Error, span.Status.Code)
	require.Equal(t, "Failed", attrs(span)[otelbraid.StateKey].AsString())
	require.Len(t, span.Events, 1)
	ev := map[attribute.Key]string{}
	for _, kv := range span.Events[0].Attributes {
		ev[kv.Key] = kv.Value.AsString()
	}
	require.Contains(t, ev["exception.message"], "oops")
	require.Contains(t, ev["exception.stacktrace"], "panicsWithOops")
}

func panicsWithOops(context.Context) error { panic("oops") }
