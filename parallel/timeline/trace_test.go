package timeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/parallel/timeline"
)

func TestTraceGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, record(sample()).WriteTrace(&buf))
	golden(t, "trace.golden.json", buf.Bytes())
}

// trace is the part of a trace-event file the tests read.
type trace struct {
	DisplayTimeUnit string            `json:"displayTimeUnit"`
	OtherData       map[string]string `json:"otherData"`
	TraceEvents     []struct {
		Name string          `json:"name"`
		Cat  string          `json:"cat"`
		Ph   string          `json:"ph"`
		Ts   float64         `json:"ts"`
		Dur  *float64        `json:"dur"`
		Pid  int             `json:"pid"`
		Tid  int             `json:"tid"`
		Args json.RawMessage `json:"args"`
	} `json:"traceEvents"`
}

// TestTraceOpens: the trace of a real group parses as JSON; every task
// appears with a running slice whose start is not after its end; slices on
// one track never overlap; every track and process is named.
func TestTraceOpens(t *testing.T) {
	t.Parallel()
	var rec timeline.Recorder
	g := parallel.NewGroup[int](parallel.Label("quotes"), parallel.MaxWorkers(3), parallel.OnEvent(rec.Hook))
	const n = 12
	for i := range n {
		g.Add(fmt.Sprintf("t%02d", i), func(context.Context) (int, error) { return i, nil })
	}
	_, err := g.Run(t.Context())
	require.NoError(t, err)

	var buf bytes.Buffer
	require.NoError(t, rec.WriteTrace(&buf))
	var tr trace
	require.NoError(t, json.Unmarshal(buf.Bytes(), &tr), buf.String())
	require.Equal(t, "ms", tr.DisplayTimeUnit)
	require.Contains(t, []string{"time", "event order"}, tr.OtherData["clock"])

	ran := map[string]bool{}
	named := map[[2]int]bool{}
	type track struct{ pid, tid int }
	ends := map[track]float64{}
	for _, e := range tr.TraceEvents {
		switch e.Ph {
		case "M":
			if e.Name == "thread_name" || e.Name == "process_name" {
				named[[2]int{e.Pid, e.Tid}] = true
			}
		case "X":
			require.NotNil(t, e.Dur, e.Name)
			require.GreaterOrEqual(t, *e.Dur, 0.0, "%s starts no later than it ends", e.Name)
			k := track{e.Pid, e.Tid}
			require.GreaterOrEqual(t, e.Ts, ends[k], "%s overlaps the slice before it on its track", e.Name)
			ends[k] = e.Ts + *e.Dur
			require.True(t, named[[2]int{e.Pid, 0}], "process named before its slices")
			require.True(t, named[[2]int{e.Pid, e.Tid}], "track named before its slices")
			var args struct {
				ID    string `json:"id"`
				Ended string `json:"ended"`
			}
			require.NoError(t, json.Unmarshal(e.Args, &args))
			require.Equal(t, "Succeeded", args.Ended)
			if e.Cat == "running" {
				require.Equal(t, args.ID, e.Name)
				ran[e.Name] = true
			}
		default:
			t.Fatalf("unexpected phase %q", e.Ph)
		}
	}
	require.Len(t, ran, n, "every task has a running slice")
	slots := 0
	for k := range named {
		if k[1] != 0 && k[1] <= 3 {
			slots++
		}
	}
	require.LessOrEqual(t, slots, 3, "no more slot tracks than the limit")
}
