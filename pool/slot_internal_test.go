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
		got := s.entry()
		if got.t != e.t || got.w != e.w || got.n != e.n || got.lane != e.lane || got.seq != e.seq || (got.fn == nil) != (e.fn == nil) {
			t.Errorf("entry %d: packed %+v, unpacked %+v", i, e, got)
		}
	}
	if testing.AllocsPerRun(100, func() { e := entry{fn: fn, lane: l, seq: 1}; s := pack(&e); _ = s.entry() }) != 0 {
		t.Error("packing a Go task allocates")
	}
}
