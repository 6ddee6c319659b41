package pool_test

import (
	"fmt"
	"slices"

	"github.com/braid-go/braid/pool"
)

// checkEvents replays the events of one tree of pools, in the order its
// hook received them (the order the changes happened), and returns how
// many tasks had events (to compare with the pools' Stats().Submitted:
// every submitted task has events, and task numbers are not contiguous,
// since a suspended task's resume takes one) and the first broken
// invariant:
//
//   - a task's first event is Waiting, Blocked or a final state (skipped
//     at once), it has exactly one final event, and nothing follows it;
//   - a task with a name or resources holds them from its Waiting event
//     (it is queued for a slot only once it has them all) to its final
//     event: no name has more holders than its limit (nameLimit, 1 when
//     absent) and no resource has two, at any point of the replay. So a
//     final event recorded after the name went to the next task, or a
//     Running event of a task that does not hold what it declared, breaks
//     it.
func checkEvents(evs []pool.Event, nameLimit map[string]int) (int, error) {
	final := map[uint64]int{}          // by task: index of its final event
	first := map[uint64]pool.State{}   // by task: its first state
	holding := map[uint64]pool.Event{} // by task: its Waiting event, while it holds its keys
	byName := map[string][]uint64{}
	byRes := map[string][]uint64{}
	for i, e := range evs {
		if e.Task == 0 {
			return 0, fmt.Errorf("event %d: task number 0 (%v)", i, e.State)
		}
		if j, ok := final[e.Task]; ok {
			return 0, fmt.Errorf("event %d: task %d entered %v after its final state (event %d, %v)", i, e.Task, e.State, j, evs[j].State)
		}
		if _, ok := first[e.Task]; !ok {
			first[e.Task] = e.State
			if e.State != pool.Waiting && e.State != pool.Blocked && !e.Final() {
				return 0, fmt.Errorf("event %d: task %d began with %v", i, e.Task, e.State)
			}
		}
		keyed := e.Name != "" || len(e.Resources) > 0
		switch {
		case e.State == pool.Waiting && keyed:
			if _, ok := holding[e.Task]; ok {
				return 0, fmt.Errorf("event %d: task %d queued twice", i, e.Task)
			}
			holding[e.Task] = e
			if e.Name != "" {
				byName[e.Name] = append(byName[e.Name], e.Task)
				lim := nameLimit[e.Name]
				if lim == 0 {
					lim = 1
				}
				if len(byName[e.Name]) > lim {
					return 0, fmt.Errorf("event %d: name %q held by tasks %v at once, limit %d", i, e.Name, byName[e.Name], lim)
				}
			}
			for _, r := range e.Resources {
				byRes[r] = append(byRes[r], e.Task)
				if len(byRes[r]) > 1 {
					return 0, fmt.Errorf("event %d: resource %q held by tasks %v at once", i, r, byRes[r])
				}
			}
		case e.State == pool.Running && keyed:
			if _, ok := holding[e.Task]; !ok {
				return 0, fmt.Errorf("event %d: task %d (name %q, resources %v) runs without holding them", i, e.Task, e.Name, e.Resources)
			}
		case e.Final():
			final[e.Task] = i
			if h, ok := holding[e.Task]; ok {
				delete(holding, e.Task)
				if h.Name != "" {
					byName[h.Name] = slices.DeleteFunc(byName[h.Name], func(n uint64) bool { return n == e.Task })
				}
				for _, r := range h.Resources {
					byRes[r] = slices.DeleteFunc(byRes[r], func(n uint64) bool { return n == e.Task })
				}
			}
		}
	}
	for n, st := range first {
		if _, ok := final[n]; !ok {
			return 0, fmt.Errorf("task %d never reached a final state (first %v)", n, st)
		}
	}
	return len(first), nil
}

// all returns a copy of the events collected so far.
func (c *events) snapshot() []pool.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.all)
}
