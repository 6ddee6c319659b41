package timeline_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

func TestGanttGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, record(sample()).WriteGantt(&buf, 48))
	golden(t, "gantt.golden", buf.Bytes())
}

// TestGanttByEventOrder: a run that took no time, as in a synctest bubble,
// is scaled by the order of its events.
func TestGanttByEventOrder(t *testing.T) {
	t.Parallel()
	events := sample()
	for i := range events {
		events[i].Time = t0
	}
	var buf bytes.Buffer
	require.NoError(t, record(events).WriteGantt(&buf, 40))
	golden(t, "gantt_order.golden", buf.Bytes())
}

func TestGanttEdges(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, record(nil).WriteGantt(&buf, 10))
	require.Equal(t, "no events\n", buf.String())

	buf.Reset()
	require.NoError(t, record(sample()).WriteGantt(&buf, 0))
	lines := strings.Split(buf.String(), "\n")
	require.Len(t, lines[1], len("report |")+60+len("| Succeeded"), "width < 1 means DefaultGanttWidth")

	buf.Reset()
	open := []pool.Event{ev(1, "a", pool.Waiting, 0), ev(1, "a", pool.Running, 1), ev(2, "b", pool.Waiting, 4)}
	require.NoError(t, record(open).WriteGantt(&buf, 4))
	require.Contains(t, buf.String(), "a |-###| Running (not ended)")
	require.Contains(t, buf.String(), "b |   -| Waiting (not ended)", "a span of no length still shows")
}
