package pool

import (
	"context"
	"testing"
)

// TestSlotRoundTrip: every shape of entry comes out of a queue slot as it
// went in, the compact ones and the combinations kept out of line.
func TestSlotRoundTrip(t *testing.T) {
	fn := func(context.Context) error { return nil }
	task := &Task{}
	l := &lane{}
	w := &worker{}
	n := &named{task: task, lane: l}
	bare := &named{} // a Go task with resources: no task, no lane
	odd := &named{task: task}
	for i, e := range []entry{
		{fn: fn, seq: 1},
		{fn: fn, lane: l, seq: 2},
		{w: w, seq: 3},
		{fn: fn, t: task, n: n, lane: l, seq: 4},
		{fn: fn, n: bare, seq: 5},
		{fn: fn, t: task, n: odd, lane: l, seq: 6}, // lane not the named's: out of line
		{fn: fn, t: task, seq: 7},                  // a task without its named: out of line
		{fn: fn, w: w, lane: l, seq: 8},
	} {
		s := pack(&e)
		got := s.entry(e.seq)
		if got.t != e.t || got.w != e.w || got.n != e.n || got.lane != e.lane || got.seq != e.seq || (got.fn == nil) != (e.fn == nil) {
			t.Errorf("entry %d: packed %+v, unpacked %+v", i, e, got)
		}
	}
	if testing.AllocsPerRun(100, func() { e := entry{fn: fn, lane: l, seq: 1}; s := pack(&e); _ = s.entry(1) }) != 0 {
		t.Error("packing a Go task allocates")
	}
}

// TestPendingSlotRoundTrip: a Go task waiting in a queue for its name comes
// out marked as such, with its lane, and a task holding its name does not.
func TestPendingSlotRoundTrip(t *testing.T) {
	fn := func(context.Context) error { return nil }
	l := &lane{}
	var q queue
	q.pushPending(&entry{fn: fn, lane: l, seq: 7})
	q.push(&entry{fn: fn, lane: l, seq: 8})
	var e entry
	if !q.pop(&e) || e.lane != l || e.seq != 7 || e.fn == nil {
		t.Errorf("pending entry came out as %+v", e)
	}
	if q.pop(&e) || e.lane != l || e.seq != 8 {
		t.Errorf("holding entry came out as %+v, or marked pending", e)
	}
}

// TestQueueKeepsNumbers: a queue gives back each entry's number, in runs
// of consecutive numbers and out of order alike, and its front's number
// for pick, whichever run the front is in.
func TestQueueKeepsNumbers(t *testing.T) {
	fn := func(context.Context) error { return nil }
	l := &lane{}
	var q queue
	seqs := []uint64{1 << 40, 1<<40 + 1, 1<<40 + 2, 1<<40 + 5, 1<<40 - 3, 1<<40 - 2, 1<<40 + 1<<31, 1<<40 - 1<<31 - 1, 1<<40 + 7, 3, 4, 5}
	for _, seq := range seqs {
		q.push(&entry{fn: fn, lane: l, seq: seq})
	}
	for i := 0; i < len(seqs); i++ {
		want := seqs[i]
		if i == 4 {
			q.push(&entry{fn: fn, lane: l, seq: 6}) // follows the last run on: extends it
			seqs = append(seqs, 6)
		}
		if got := q.frontSeq(); got != want {
			t.Fatalf("front: got %d, want %d", got, want)
		}
		var e entry
		q.pop(&e)
		if e.seq != want || e.lane != l || e.fn == nil {
			t.Fatalf("popped %+v, want number %d", e, want)
		}
	}
	q.push(&entry{fn: fn, seq: 9}) // empty again: a new base
	var e entry
	q.pop(&e)
	if e.seq != 9 {
		t.Fatalf("after emptying: got %d, want 9", e.seq)
	}
}
