package paralleltest

import (
	"cmp"
	"slices"
	"strings"

	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
)

// peak returns the most of tasks that ran at once and the first set of
// them that did, in the order of tasks. Running spans are compared by the
// positions of their events, so a peak shows even where the clock stood
// still.
func peak(tasks []timeline.Track) (int, []timeline.Track) {
	type edge struct{ seq, delta, task int }
	var edges []edge
	for i, t := range tasks {
		for _, s := range t.Spans {
			if s.State == pool.Running {
				edges = append(edges, edge{s.StartSeq, +1, i}, edge{s.EndSeq, -1, i})
			}
		}
	}
	// Every event is one task's, so two edges share a position only when
	// spans still open at the last event all end one past it.
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Or(cmp.Compare(a.seq, b.seq), cmp.Compare(a.delta, b.delta)) })
	running := make([]bool, len(tasks))
	n, best, at := 0, 0, []timeline.Track(nil)
	for _, e := range edges {
		running[e.task] = e.delta > 0
		n += e.delta
		if n > best {
			best, at = n, at[:0]
			for i, t := range tasks {
				if running[i] {
					at = append(at, t)
				}
			}
		}
	}
	return best, at
}

// stateAt says what t was doing when the event at position seq happened.
func stateAt(t timeline.Track, seq int) string {
	for _, s := range t.Spans {
		if s.StartSeq <= seq && seq < s.EndSeq {
			return strings.ToLower(s.State.String())
		}
	}
	if t.Ended() && seq >= t.EndSeq {
		return "ended"
	}
	return "not yet submitted"
}
