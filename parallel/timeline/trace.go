package timeline

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/braid-go/braid/pool"
)

// WriteTrace writes the run as a Chrome trace-event JSON file, which
// Perfetto (ui.perfetto.dev) and chrome://tracing open.
//
// Each pool is a process (pid, in the order the pools first appear, named
// by their labels). Its running spans lie on tracks named "slot 1", "slot
// 2"..., assigned greedily so that spans on one track never overlap: a
// pool shows as many slot tracks as it ran tasks at once. Its waiting and
// blocked spans lie on tracks of their own, "waiting 1", "waiting 2"...,
// the same way. Every span is a complete event (ph "X"): running spans are
// named by the task's label, the others by the label and "(waiting)" or
// "(blocked)"; their category is the state, and their args give the task's
// number, ID, group, name, how it ended and, for a blocked span, the
// number of the task holding its name.
//
// ts and dur are in microseconds since the first event. For a run that
// took no time (under testing/synctest's fake clock), each event counts as
// one microsecond instead, and otherData's "clock" says "event order"
// rather than "time". Like WriteGantt, WriteTrace writes the same bytes for
// the same events.
func (r *Recorder) WriteTrace(w io.Writer) error {
	events := r.Events()
	return writeTrace(w, events, tasksOf(events))
}

// traceEvent is one entry of the traceEvents array.
type traceEvent struct {
	Name string   `json:"name"`
	Cat  string   `json:"cat,omitempty"`
	Ph   string   `json:"ph"`
	Ts   float64  `json:"ts"`
	Dur  *float64 `json:"dur,omitempty"`
	Pid  int      `json:"pid"`
	Tid  int      `json:"tid"`
	Args any      `json:"args,omitempty"`
}

// spanArgs are the args of a span's event.
type spanArgs struct {
	Task   uint64 `json:"task"`
	ID     string `json:"id,omitempty"`
	Group  string `json:"group,omitempty"`
	Name   string `json:"name,omitempty"`
	Ended  string `json:"ended"`
	Err    string `json:"err,omitempty"`
	Holder uint64 `json:"holder,omitempty"`
}

// process is one pool of the trace and its two sets of tracks.
type process struct {
	pid     int
	label   string
	running lanes
	waiting lanes
}

// lanes assigns spans to tracks greedily: each span goes to the first
// track whose last span ended by the time it starts. Spans arrive in the
// order they start, so this uses no more tracks than spans overlap at
// once.
type lanes []int // per track, the EndSeq of its last span

func (l *lanes) place(s Span) int {
	for i, end := range *l {
		if end <= s.StartSeq {
			(*l)[i] = s.EndSeq
			return i
		}
	}
	*l = append(*l, s.EndSeq)
	return len(*l) - 1
}

func writeTrace(w io.Writer, events []pool.Event, tasks []Track) error {
	ax := newAxis(events)
	procs, spans := layout(ax, tasks)
	var buf bytes.Buffer // written to w in one piece: one write, one error to check
	clock := "time"
	if ax.byOrder() {
		clock = "event order"
	}
	// Strings only: Marshal cannot fail.
	other, _ := json.Marshal(map[string]string{"clock": clock, "start": ax.t0.UTC().Format(time.RFC3339Nano)})
	buf.WriteString(`{"displayTimeUnit":"ms","otherData":` + string(other) + `,"traceEvents":[`)
	enc := func(i int, e traceEvent) {
		if i > 0 {
			buf.WriteByte(',')
		}
		b, _ := json.Marshal(e) // plain strings and numbers: cannot fail
		buf.WriteString("\n")
		buf.Write(b)
	}
	meta := metadata(procs)
	for i, e := range meta {
		enc(i, e)
	}
	for i, e := range spans {
		enc(len(meta)+i, e)
	}
	buf.WriteString("\n]}\n")
	return flush(w, &buf)
}

// layout assigns every span of tasks to a process and a track, and returns
// the processes and the spans' events, in the order the spans start.
func layout(ax axis, tasks []Track) ([]*process, []traceEvent) {
	type slice struct {
		t    *Track
		s    Span
		proc *process
		lane int
	}
	byLabel := make(map[string]*process)
	var procs []*process
	var all []slice
	for i := range tasks {
		t := &tasks[i]
		proc := byLabel[t.Pool]
		if proc == nil {
			proc = &process{pid: len(procs) + 1, label: t.Pool}
			byLabel[t.Pool] = proc
			procs = append(procs, proc)
		}
		for _, s := range t.Spans {
			all = append(all, slice{t: t, s: s, proc: proc})
		}
	}
	slices.SortStableFunc(all, func(a, b slice) int { return cmp.Compare(a.s.StartSeq, b.s.StartSeq) })
	for i := range all {
		sl := &all[i]
		if sl.s.State == pool.Running {
			sl.lane = sl.proc.running.place(sl.s)
		} else {
			sl.lane = sl.proc.waiting.place(sl.s)
		}
	}
	out := make([]traceEvent, len(all))
	for i, sl := range all {
		tid := 1 + sl.lane // slots first, then the waiting tracks
		if sl.s.State != pool.Running {
			tid += len(sl.proc.running)
		}
		out[i] = spanEvent(ax, sl.t, sl.s, sl.proc.pid, tid)
	}
	return procs, out
}

// spanEvent is the complete event of span s of task t.
func spanEvent(ax axis, t *Track, s Span, pid, tid int) traceEvent {
	ts := ax.micros(s.Start, s.StartSeq)
	dur := ax.micros(s.End, s.EndSeq) - ts
	name := t.Label()
	if s.State != pool.Running {
		name += " (" + strings.ToLower(s.State.String()) + ")"
	}
	if s.Attempt > 0 {
		name += " (attempt " + strconv.Itoa(s.Attempt) + ")"
	}
	args := spanArgs{Task: t.Number, ID: t.ID, Group: t.Group, Name: t.Name, Ended: t.State.String(), Holder: s.Holder}
	if !t.Ended() {
		args.Ended = "not ended"
	}
	if t.Err != nil {
		args.Err = t.Err.Error()
	}
	return traceEvent{Name: name, Cat: strings.ToLower(s.State.String()), Ph: "X", Ts: ts, Dur: &dur, Pid: pid, Tid: tid, Args: args}
}

// metadata names the processes and tracks and orders them: pools as they
// first appear, slots before waiting tracks.
func metadata(procs []*process) []traceEvent {
	var out []traceEvent
	meta := func(name string, pid, tid int, args any) {
		out = append(out, traceEvent{Name: name, Ph: "M", Pid: pid, Tid: tid, Args: args})
	}
	for _, p := range procs {
		label := p.label
		if label == "" {
			label = "pool"
		}
		meta("process_name", p.pid, 0, map[string]string{"name": label})
		meta("process_sort_index", p.pid, 0, map[string]int{"sort_index": p.pid})
		for i := range p.running {
			meta("thread_name", p.pid, 1+i, map[string]string{"name": "slot " + strconv.Itoa(1+i)})
			meta("thread_sort_index", p.pid, 1+i, map[string]int{"sort_index": 1 + i})
		}
		for i := range p.waiting {
			tid := 1 + len(p.running) + i
			meta("thread_name", p.pid, tid, map[string]string{"name": "waiting " + strconv.Itoa(1+i)})
			meta("thread_sort_index", p.pid, tid, map[string]int{"sort_index": tid})
		}
	}
	return out
}
