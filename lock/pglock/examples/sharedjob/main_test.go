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

// TestTwoReplicas: the runs of both replicas go one at a time.
func TestTwoReplicas(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-dsn", pgtest.DSN(t), "-runs", "3", "-work", "10ms"}, &out, &errOut)
	require.Zero(t, code, errOut.String())
	t.Log("\n" + out.String())
	require.Contains(t, out.String(), "runs: 6, overlapping: 0\n")
	for _, r := range []string{"replica a run 1", "replica a run 3", "replica b run 1", "replica b run 3"} {
		require.Contains(t, out.String(), r)
	}
	require.Equal(t, 8, strings.Count(out.String(), "\n"))
}
