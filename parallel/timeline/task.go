package timeline

import (
	"cmp"
	"strconv"
	"time"

	"github.com/braid-go/braid/pool"
)

// Track is one task of a recorded run: who it was and how it spent its
// time.
type Track struct {
	Number uint64 // its number in its tree of pools (pool.Event.Task)
	ID     string // the ID its submitter gave it: a group's task ID, a plan step's path
	Group  string // its group or plan
	Name   string // its name (see pool.Name); "" when it has none
	// Resources are the resources it declared (see pool.Resources).
	Resources []string
	Pool      string // its pool's label

	// State is the last state it entered: a final one once it ended.
	State pool.State
	// Err is its final state's error.
	Err error
	// Spans are its stretches of Waiting, Blocked and Running, in order;
	// each ends where the next begins, and the last where the task ended.
	Spans []Span
	// End is when it ended, and EndSeq the position of its final event in
	// [Recorder.Events]; zero and -1 while it has not ended.
	End    time.Time
	EndSeq int
}

// Span is a stretch of a task's life in one state.
type Span struct {
	State      pool.State // Waiting, Blocked or Running
	Start, End time.Time
	// StartSeq and EndSeq are the positions in [Recorder.Events] of the
	// events that opened and closed the span. They order spans exactly even
	// where times are equal, as in a testing/synctest bubble, where the
	// clock stands still while tasks run: two spans overlap when each
	// starts before the other ends. A span still open when the events were
	// read ends at the last event, with EndSeq one past it.
	StartSeq, EndSeq int
	// Holder is, for a task Blocked on its name, the number of a task that
	// held the name.
	Holder uint64
	// Attempt is, for a Running span that a retry started (see pool.Retry),
	// the attempt's number (2 for the first retry); 0 otherwise. Err is,
	// for the Blocked span of a retry's wait, the failed attempt's error.
	Attempt int
	Err     error
}

// Ended reports whether the task reached a final state.
func (t Track) Ended() bool { return t.State.Final() }

// Started reports whether the task ever ran.
func (t Track) Started() bool {
	_, ok := t.FirstRun()
	return ok
}

// FirstRun returns the task's first Running span.
func (t Track) FirstRun() (Span, bool) {
	for _, s := range t.Spans {
		if s.State == pool.Running {
			return s, true
		}
	}
	return Span{}, false
}

// Label is how the task is shown: its ID, or "#" and its number when it
// has none.
func (t Track) Label() string {
	if t.ID != "" {
		return t.ID
	}
	return "#" + strconv.FormatUint(t.Number, 10)
}

// apply adds the event at position seq of the run.
func (t *Track) apply(e pool.Event, seq int) {
	if n := len(t.Spans); n > 0 && t.Spans[n-1].EndSeq < 0 {
		t.Spans[n-1].End, t.Spans[n-1].EndSeq = e.Time, seq
	}
	t.ID = cmp.Or(e.ID, t.ID)
	t.Group = cmp.Or(e.Group, t.Group)
	t.Name = cmp.Or(e.Name, t.Name)
	if e.Resources != nil {
		t.Resources = e.Resources
	}
	t.State = e.State
	if e.Final() {
		t.Err, t.End, t.EndSeq = e.Err, e.Time, seq
		return
	}
	t.Spans = append(t.Spans, Span{State: e.State, Start: e.Time, StartSeq: seq, EndSeq: -1, Holder: e.Holder, Attempt: e.Attempt, Err: e.Err})
}

// closeOpen ends a span still open after the last event (at time last,
// position n-1) one past that event.
func (t *Track) closeOpen(last time.Time, n int) {
	if k := len(t.Spans); k > 0 && t.Spans[k-1].EndSeq < 0 {
		t.Spans[k-1].End, t.Spans[k-1].EndSeq = last, n
	}
}
