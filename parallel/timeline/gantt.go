package timeline

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/braid-go/braid/pool"
)

// DefaultGanttWidth is the width of a Gantt chart's bars when
// [Recorder.WriteGantt] is given none.
const DefaultGanttWidth = 60

// ganttMarks are the characters of a bar, by state.
var ganttMarks = map[pool.State]byte{pool.Running: '#', pool.Waiting: '-', pool.Blocked: '~'}

// WriteGantt writes the run as a text Gantt chart: one row per task, in
// the order they were submitted, with its label, a bar and how it ended.
// In the bar, '#' is running, '-' waiting for a worker and '~' blocked (on
// a name, a lock, or its own subtasks: holding no worker slot). The bars
// are width columns wide (DefaultGanttWidth when width < 1) and scaled to
// the run's length; a run that took no time, as under testing/synctest's
// fake clock, is scaled by the order of its events instead, as the chart's
// last line then says. Every span gets at least one column, so no running
// task disappears; where spans share a column, the later one shows.
//
// The text depends only on the events: the same events give the same
// chart.
func (r *Recorder) WriteGantt(w io.Writer, width int) error {
	events := r.Events()
	return writeGantt(w, events, tasksOf(events), width)
}

func writeGantt(w io.Writer, events []pool.Event, tasks []Track, width int) error {
	if width < 1 {
		width = DefaultGanttWidth
	}
	var buf bytes.Buffer // written to w in one piece: one write, one error to check
	if len(events) == 0 {
		buf.WriteString("no events\n")
		return flush(w, &buf)
	}
	ax := newAxis(events)
	labelWidth := 0
	for _, t := range tasks {
		labelWidth = max(labelWidth, len(t.Label()))
	}
	pad := strings.Repeat(" ", labelWidth+2)
	left, right, legend := "0s", roundLength(ax.length).String(), "# running  - waiting  ~ blocked"
	if retried(tasks) {
		legend += "  2-9 retry attempt"
	}
	if ax.byOrder() {
		left, right = "first event", "last event"
		legend += "  (scaled by event order: no time passed)"
	}
	gap := max(1, width-len(left)-len(right))
	fmt.Fprintf(&buf, "%s%s%s%s\n", pad, left, strings.Repeat(" ", gap), right)
	for _, t := range tasks {
		fmt.Fprintf(&buf, "%-*s |%s| %s\n", labelWidth, t.Label(), bar(ax, t, width), outcome(t))
	}
	fmt.Fprintf(&buf, "%s%s\n", pad, legend)
	return flush(w, &buf)
}

// bar draws t's spans on width columns.
func bar(ax axis, t Track, width int) []byte {
	row := []byte(strings.Repeat(" ", width))
	for _, s := range t.Spans {
		from := int(ax.fraction(s.Start, s.StartSeq) * float64(width))
		to := int(ax.fraction(s.End, s.EndSeq) * float64(width))
		from = min(from, width-1)
		to = min(max(to, from+1), width)
		for c := from; c < to; c++ {
			row[c] = ganttMarks[s.State]
		}
		if s.Attempt > 0 {
			row[from] = attemptMark(s.Attempt)
		}
	}
	return row
}

// attemptMark is the column that starts a retry's attempt n: its digit,
// or '+' past 9.
func attemptMark(n int) byte {
	if n > 9 {
		return '+'
	}
	return byte('0' + n)
}

// retried reports whether any task was retried (see pool.Retry).
func retried(tasks []Track) bool {
	for _, t := range tasks {
		for _, s := range t.Spans {
			if s.Attempt > 0 {
				return true
			}
		}
	}
	return false
}

// outcome says how t ended, on one line.
func outcome(t Track) string {
	switch {
	case !t.Ended():
		return t.State.String() + " (not ended)"
	case t.Err != nil:
		return t.State.String() + ": " + strings.ReplaceAll(t.Err.Error(), "\n", "; ")
	}
	return t.State.String()
}

// roundLength rounds a run's length for the chart's axis to three
// significant figures or so: 255.948973ms reads as 256ms, 1.23456s as 1.23s.
func roundLength(d time.Duration) time.Duration {
	for unit := time.Duration(1); unit < time.Hour; unit *= 10 {
		if d < 1000*unit {
			return d.Round(unit)
		}
	}
	return d.Round(time.Second)
}

// flush writes what buf holds to w.
func flush(w io.Writer, buf *bytes.Buffer) error {
	_, err := w.Write(buf.Bytes())
	return err
}
