package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/braid-go/braid/lock/pglock/pgtest"
)

// TestMain lets the test binary play a replica when the launcher starts
// it; otherwise it runs the tests against a throwaway PostgreSQL.
func TestMain(m *testing.M) {
	if os.Getenv(replicaEnv) != "" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(pgtest.Main(m))
}

// TestFailover: every step succeeds; orders on its second attempt, on a
// replica other than the one killed, which only ran steps that ended
// before the kill.
func TestFailover(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-dsn", pgtest.DSN(t)}, &out, &errOut)
	require.Zero(t, code, errOut.String())
	t.Log("\n" + out.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 12)
	killed := strings.TrimSuffix(strings.TrimPrefix(lines[0], "killed "), " while it ran orders")
	for _, l := range lines[1:11] {
		require.Contains(t, l, "Succeeded")
		if strings.HasPrefix(l, "orders") {
			require.Contains(t, l, "attempt 2")
			require.NotContains(t, l, killed)
		}
		if strings.Contains(l, killed) {
			require.Contains(t, l, "attempt 1")
		}
	}
	require.Contains(t, lines[11], "rerun: orders started again on ")
}
