package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/braid-go/braid/parallel/paralleltest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun runs the example on synctest's fake clock and checks what it
// promises: the plan's blocks; seed 001's order (1 before the block of 2-4,
// which all run together and end before 5 and 6 start, which end before 7);
// Max Threads 3; rows of one table never write it together, and the row
// that waited for its table reports that time as blocked; every step
// succeeded;
// and a trace file that holds every step.
func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out, live strings.Builder
		trace := filepath.Join(t.TempDir(), "trace.json")
		rec, err := run(t.Context(), &out, &live, trace)
		require.NoError(t, err)
		text := out.String()
		require.True(t, strings.HasPrefix(text, blocks), text)
		require.Contains(t, text, "steps: 12 succeeded, 0 failed, 0 skipped\n")
		require.Equal(t, 12, strings.Count(text, "| Succeeded\n"), text)
		require.Contains(t, live.String(), "running 0  waiting 0  blocked 0  done 12\n")

		loads := []string{"users", "orders", "stock"}
		later := []string{"reports/pdf", "reports/csv", "rows[0]", "rows[1]", "rows[2]", "rows[3]", "rows[4]"}
		paralleltest.AssertRanTogether(t, rec, loads...)
		for _, l := range loads {
			paralleltest.AssertStartedAfter(t, rec, l, "extract")
			for _, s := range later {
				paralleltest.AssertStartedAfter(t, rec, s, l)
			}
		}
		for _, s := range later {
			paralleltest.AssertStartedAfter(t, rec, "notify", s)
		}
		paralleltest.AssertMaxConcurrent(t, rec, 3)
		paralleltest.AssertResourceExclusive(t, rec, "orders") // rows 0-1
		paralleltest.AssertResourceExclusive(t, rec, "stock")  // rows 2-3
		require.Contains(t, text, "row us-orders table orders blocked 60ms  ran 60ms\n", "it waited for eu-orders")

		data, err := os.ReadFile(trace)
		require.NoError(t, err)
		var file struct {
			TraceEvents []struct {
				Name string `json:"name"`
				Ph   string `json:"ph"`
			} `json:"traceEvents"`
		}
		require.NoError(t, json.Unmarshal(data, &file))
		running := map[string]bool{}
		for _, e := range file.TraceEvents {
			if e.Ph == "X" && !strings.Contains(e.Name, "(") {
				running[e.Name] = true
			}
		}
		require.Len(t, running, 12, "every step has its running slice: %v", running)
	})
}

func TestRunWithoutTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out strings.Builder
		_, err := run(t.Context(), &out, io.Discard, "")
		require.NoError(t, err)
		require.NotContains(t, out.String(), "trace written")
	})
}

const blocks = `The nightly plan, block by block:
1. extract
2. users | orders | stock
3. reports/pdf | reports/csv | rows (5 inputs, 2 at a time)
4. notify

The run:
`
