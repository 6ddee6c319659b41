package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "127.0.0.1:0", false))
	text := out.String()
	t.Log(text)
	require.Contains(t, text, "plan error: <nil>")
	// Siblings print in the order they started: users and orders start
	// together, in either order.
	for _, want := range []string{
		"\n  nightly job\n    nightly\n      block 1\n        extract [Succeeded]\n      block 2\n",
		"\n        users [Succeeded]\n",
		"\n        orders [Succeeded]\n",
		"\n      block 3\n        report [Succeeded]\n",
	} {
		require.Contains(t, text, want)
	}
	for _, want := range []string{
		`braid_task_ended_total{`,
		`braid_task_duration_seconds_count{`,
		`braid_task_wait_duration_seconds_count{`,
		`braid_pool_running`,
		`braid_task_state="Succeeded"`,
		`braid_pool="workers"`,
	} {
		require.Contains(t, text, want)
	}
}
