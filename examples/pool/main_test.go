package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun checks what the example promises: eleven orders shipped, the bad
// one reported with its panic, both limits held, no worker left behind.
func TestRun(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(&out))
	text := out.String()
	require.Contains(t, text, "order  7: failed: runtime error: index out of range")
	require.Contains(t, text, "orders: 11 shipped, 1 failed")
	require.Contains(t, text, "workers alive after Wait: 0")
	m := regexp.MustCompile(`peak concurrent steps: (\d+) \(limit 3\); peak shipping calls: (\d+) \(limit 1\)`).FindStringSubmatch(text)
	require.NotNil(t, m, text)
	steps, _ := strconv.Atoi(m[1])
	calls, _ := strconv.Atoi(m[2])
	require.LessOrEqual(t, steps, 3)
	require.Equal(t, 1, calls)
}
