package timeline

import (
	"slices"
	"sync"

	"github.com/braid-go/braid/pool"
)

// Recorder collects the events of a run. Pass its Hook to pool.OnEvent or
// parallel.OnEvent; read the run back with [Recorder.Tracks], or render it
// with [Recorder.WriteGantt] and [Recorder.WriteTrace].
//
// The zero Recorder is ready to use. It is safe for concurrent use: reading
// it while a run is still going gives a snapshot, in which the tasks not yet
// ended have their last span open up to the last event.
type Recorder struct {
	mu     sync.Mutex
	events []pool.Event
}

// Hook records e. Its signature is an event hook's (see pool.OnEvent).
func (r *Recorder) Hook(e pool.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Reset forgets every event recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// Events returns a copy of the recorded events, in the order they
// happened: sorted by time, and in the order they arrived where times are
// equal. Within one tree of pools that is the order of the changes
// themselves, since a tree records its events in order under its lock;
// inside a testing/synctest bubble, where the clock stands still while
// tasks run, arrival order is what orders them.
func (r *Recorder) Events() []pool.Event {
	r.mu.Lock()
	events := slices.Clone(r.events)
	r.mu.Unlock()
	slices.SortStableFunc(events, func(a, b pool.Event) int { return a.Time.Compare(b.Time) })
	return events
}

// Tracks returns one Track per recorded task, in the order of their first
// events, with the spans of time each spent waiting, blocked and running.
func (r *Recorder) Tracks() []Track { return tasksOf(r.Events()) }

// tasksOf folds events, as Events orders them, into tasks.
//
// A task is identified by its pool's label and its number: numbers are
// unique in a tree of pools, and pool labels tell trees apart when one
// recorder hears several. A number seen again after its task ended starts
// a new task.
func tasksOf(events []pool.Event) []Track {
	type key struct {
		pool string
		n    uint64
	}
	index := make(map[key]int)
	var tasks []Track
	for i, e := range events {
		k := key{e.Pool, e.Task}
		j, ok := index[k]
		if !ok || tasks[j].Ended() {
			j = len(tasks)
			index[k] = j
			tasks = append(tasks, Track{Number: e.Task, Pool: e.Pool, EndSeq: -1})
		}
		tasks[j].apply(e, i)
	}
	if n := len(events); n > 0 {
		last := events[n-1].Time
		for j := range tasks {
			tasks[j].closeOpen(last, n)
		}
	}
	return tasks
}

// Find returns the tasks whose ID is id, in the order of their first
// events: one, usually, but a recorder that heard several runs may hold a
// task of each.
func Find(tasks []Track, id string) []Track {
	var out []Track
	for _, t := range tasks {
		if t.ID == id {
			out = append(out, t)
		}
	}
	return out
}
