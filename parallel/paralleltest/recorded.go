package paralleltest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/braid-go/braid/parallel/timeline"
)

// maxChartTasks is how many tasks a run may have for a failed assertion to
// show its Gantt chart.
const maxChartTasks = 40

// recorded is a snapshot of a recorder that assertions read.
type recorded struct {
	rec   *timeline.Recorder
	tasks []timeline.Track
}

// selector picks the tasks an assertion is about, or reports why it
// cannot.
type selector func(t testing.TB, r recorded) ([]timeline.Track, bool)

// read takes a snapshot of rec and picks the tasks an assertion is about.
// With nothing recorded, it reports that and returns false: every
// assertion would otherwise hold of an empty run.
func read(t testing.TB, rec *timeline.Recorder, pick selector) (recorded, []timeline.Track, bool) {
	t.Helper()
	if rec == nil {
		t.Errorf("paralleltest: the recorder is nil: give the assertion the *timeline.Recorder whose Hook recorded the run")
		return recorded{}, nil, false
	}
	r := recorded{rec, rec.Tracks()}
	if len(r.tasks) == 0 {
		t.Errorf("no events were recorded: give the recorder's Hook to the pool (pool.OnEvent) or the group or plan (parallel.OnEvent), and assert once the run has returned")
		return r, nil, false
	}
	tasks, ok := pick(t, r)
	return r, tasks, ok
}

func every(_ testing.TB, r recorded) ([]timeline.Track, bool) { return r.tasks, true }

func inPool(label string) selector {
	return matching("task of pool "+quote(label), func(t timeline.Track) bool { return t.Pool == label })
}

func named(name string) selector {
	if name == "" {
		// pool.Name("") serialises nothing: every task without a name
		// would match, and unnamed tasks overlap as they please.
		return func(t testing.TB, _ recorded) ([]timeline.Track, bool) {
			t.Helper()
			t.Errorf("paralleltest: the name is empty, and an empty name serialises nothing (see pool.Name): give the name the tasks were given")
			return nil, false
		}
	}
	return matching("task of name "+quote(name), func(t timeline.Track) bool { return t.Name == name })
}

// matching picks the tasks that match, and reports when none does: a typo
// in a name must not pass for a policy that holds.
func matching(what string, match func(timeline.Track) bool) selector {
	return func(t testing.TB, r recorded) ([]timeline.Track, bool) {
		t.Helper()
		var out []timeline.Track
		for _, task := range r.tasks {
			if match(task) {
				out = append(out, task)
			}
		}
		if len(out) == 0 {
			t.Errorf("no %s was recorded", what)
			return nil, false
		}
		return out, true
	}
}

// withIDs picks the tasks with the given IDs, in the order given.
func withIDs(ids []string) selector {
	return func(t testing.TB, r recorded) ([]timeline.Track, bool) {
		t.Helper()
		out := make([]timeline.Track, 0, len(ids))
		for i, id := range ids {
			if slices.Contains(ids[:i], id) {
				// A task compared with itself would overlap itself.
				t.Errorf("paralleltest: the ID %q is given twice", id)
				return nil, false
			}
			task, ok := r.task(t, id)
			if !ok {
				return nil, false
			}
			out = append(out, task)
		}
		return out, true
	}
}

// fail reports a failed assertion, followed by the run's chart when it is
// small enough to read.
func (r recorded) fail(t testing.TB, format string, args ...any) bool {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if len(r.tasks) <= maxChartTasks {
		var buf bytes.Buffer
		_ = r.rec.WriteGantt(&buf, 0)
		msg += "\nthe run:\n" + buf.String()
	}
	t.Errorf("%s", msg)
	return false
}

// task returns the one task with ID id, or reports why there is none.
func (r recorded) task(t testing.TB, id string) (timeline.Track, bool) {
	t.Helper()
	found := timeline.Find(r.tasks, id)
	switch len(found) {
	case 1:
		return found[0], true
	case 0:
		ids := make([]string, 0, len(r.tasks))
		for _, task := range r.tasks {
			ids = append(ids, quote(task.Label()))
		}
		t.Errorf("no task with ID %q was recorded (recorded: %s)", id, strings.Join(ids, ", "))
	default:
		t.Errorf("%d tasks have the ID %q: record one run at a time (timeline.Recorder.Reset)", len(found), id)
	}
	return timeline.Track{}, false
}

// labels lists tasks for a message: "a", "a and b", "a, b and c".
func labels(tasks []timeline.Track) string {
	names := make([]string, len(tasks))
	for i, t := range tasks {
		names[i] = t.Label()
	}
	return list(names)
}

func list(names []string) string {
	switch len(names) {
	case 0:
		return "none"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// ended says how t ended, for a message.
func ended(t timeline.Track) string {
	if !t.Ended() {
		return "has not ended: it is " + t.State.String()
	}
	if t.Err != nil {
		return "ended " + t.State.String() + ": " + t.Err.Error()
	}
	return "ended " + t.State.String()
}
