package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun checks the whole output: every run waits until the limits are
// reached, so each peak is exactly what the limits allow.
func TestRun(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(&out))
	require.Equal(t, `runs triggered: sync-crm x3 (parallel runs allowed, 2 at once), billing x2, report x2, cleanup x1

peaks                              limit 3 (default)  no limit (0)
runs at once                                       3             5
sync-crm runs at once (allowed 2)                  2             2
billing runs at once (allowed 1)                   1             1
report runs at once (allowed 1)                    1             1
cleanup runs at once (allowed 1)                   1             1
deploys of one task at once                        1             1
deployments overwritten                            0             0

a limit of -1 is refused: pool: invalid argument: MaxWorkers(-1): the limit must be >= 0
`, out.String())
}
