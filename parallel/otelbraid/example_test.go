package otelbraid_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/parallel/otelbraid"
)

// A plan's trace: the plan, its blocks and its steps, each span a child
// of the one before. Spans are printed as they ended.
func Example() {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	work := func(context.Context) error { return nil }
	plan := parallel.NewPlan(parallel.Label("nightly"), parallel.MaxWorkers(1),
		parallel.WithRunMiddleware(otelbraid.RunMiddleware(otelbraid.WithTracerProvider(tp))),
		parallel.WithMiddleware(otelbraid.Middleware(otelbraid.WithTracerProvider(tp))),
	).Add(
		parallel.Do("extract", work),
		parallel.Do("users", work, parallel.ThreadYes),
		parallel.Do("orders", work, parallel.ThreadJoin),
	)
	if _, err := plan.Run(context.Background()); err != nil {
		fmt.Println(err)
	}

	names := make(map[trace.SpanID]string)
	for _, s := range spans.GetSpans() {
		names[s.SpanContext.SpanID()] = s.Name
	}
	for _, s := range spans.GetSpans() {
		parent := names[s.Parent.SpanID()]
		if parent == "" {
			parent = "(root)"
		}
		fmt.Printf("%-8s in %s\n", s.Name, parent)
	}
	// Output:
	// extract  in block 1
	// block 1  in nightly
	// users    in block 2
	// orders   in block 2
	// block 2  in nightly
	// nightly  in (root)
}
