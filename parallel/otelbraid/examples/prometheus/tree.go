package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// treeExporter keeps the spans it is given and prints them as a tree,
// children in the order they started. It is a span exporter as any other:
// a service would use OTLP's.
type treeExporter struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
}

func (e *treeExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	e.spans = append(e.spans, spans...)
	e.mu.Unlock()
	return nil
}

func (e *treeExporter) Shutdown(context.Context) error { return nil }

func (e *treeExporter) print(out *strings.Builder) {
	e.mu.Lock()
	spans := slices.Clone(e.spans)
	e.mu.Unlock()
	slices.SortStableFunc(spans, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	children := make(map[trace.SpanID][]sdktrace.ReadOnlySpan)
	known := make(map[trace.SpanID]bool)
	for _, s := range spans {
		known[s.SpanContext().SpanID()] = true
	}
	var roots []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if parent := s.Parent().SpanID(); known[parent] {
			children[parent] = append(children[parent], s)
		} else {
			roots = append(roots, s)
		}
	}
	var walk func(s sdktrace.ReadOnlySpan, depth int)
	walk = func(s sdktrace.ReadOnlySpan, depth int) {
		var state string
		for _, kv := range s.Attributes() {
			if kv.Key == "braid.task.state" {
				state = " [" + kv.Value.AsString() + "]"
			}
		}
		fmt.Fprintf(out, "  %s%s%s\n", strings.Repeat("  ", depth), s.Name(), state)
		for _, c := range children[s.SpanContext().SpanID()] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
}
