package pool_test

import (
	"bytes"
	"context"
	"runtime/trace"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// With runtime/trace on, every task is a trace task and region labelled
// with its ID (or number), its type naming its group: the strings reach
// the trace. With tracing off, the task's context carries no trace task.
func TestTasksAreTraceTasksWhileTracing(t *testing.T) {
	if trace.IsEnabled() {
		t.Skip("tracing is already on (go test -trace): this test starts its own")
	}
	p := newPool(t, pool.PoolLabel("etl-pool"))
	var buf bytes.Buffer
	require.NoError(t, trace.Start(&buf))
	mustGo(t, p, func(ctx context.Context) error {
		trace.Log(ctx, "inside", "task-log-line") // attached to the braid task
		return nil
	}, pool.Label("nightly-group", "extract-step"), pool.Name("orders-name"))
	mustGo(t, p, succeed)
	require.NoError(t, p.Wait())
	trace.Stop()
	for _, want := range []string{"braid nightly-group", "extract-step", "orders-name", "etl-pool", "task-log-line", "#2"} {
		require.True(t, bytes.Contains(buf.Bytes(), []byte(want)), "the trace lacks %q", want)
	}
}
