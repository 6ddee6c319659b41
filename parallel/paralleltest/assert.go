package paralleltest

import (
	"slices"
	"testing"

	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
)

// AssertMaxConcurrent checks that at most max tasks of the recorded run
// were Running at once. A task Blocked (waiting for a name, a lock or its
// own subtasks) holds no worker slot and does not count.
func AssertMaxConcurrent(t testing.TB, rec *timeline.Recorder, max int) bool {
	t.Helper()
	r, tasks, ok := read(t, rec, every)
	return ok && r.maxConcurrent(t, tasks, max, "tasks")
}

// AssertMaxConcurrentInPool checks that at most max tasks of the pool
// labelled label (see pool.PoolLabel; a group's pool has the group's name)
// were Running at once. Only the pool's own tasks count, not those of its
// sub-pools, which have labels of their own.
func AssertMaxConcurrentInPool(t testing.TB, rec *timeline.Recorder, label string, max int) bool {
	t.Helper()
	r, tasks, ok := read(t, rec, inPool(label))
	return ok && r.maxConcurrent(t, tasks, max, "tasks of pool "+quote(label))
}

// AssertMaxConcurrentByName checks that at most max tasks of the name
// (see pool.Name) were Running at once.
func AssertMaxConcurrentByName(t testing.TB, rec *timeline.Recorder, name string, max int) bool {
	t.Helper()
	r, tasks, ok := read(t, rec, named(name))
	return ok && r.maxConcurrent(t, tasks, max, "tasks of name "+quote(name))
}

func (r recorded) maxConcurrent(t testing.TB, tasks []timeline.Track, max int, what string) bool {
	t.Helper()
	if n, at := peak(tasks); n > max {
		return r.fail(t, "at most %d %s should run at once, but %d did: %s", max, what, n, labels(at))
	}
	return true
}

// AssertNoOverlap checks that no two tasks of the name ran at the same
// time. Tasks are matched by the name they were given; a task that
// should have had the name but was not given it is invisible here: to
// catch that, assert on the tasks' IDs with [AssertExclusive].
func AssertNoOverlap(t testing.TB, rec *timeline.Recorder, name string) bool {
	t.Helper()
	r, tasks, ok := read(t, rec, named(name))
	if !ok {
		return false
	}
	if n, at := peak(tasks); n > 1 {
		return r.fail(t, "tasks of name %q should never overlap, but %s ran at the same time", name, labels(at))
	}
	return true
}

// AssertExclusive checks that no two of the tasks with the given IDs ran
// at the same time. To check the tasks that declared a resource, use
// [AssertResourceExclusive].
func AssertExclusive(t testing.TB, rec *timeline.Recorder, ids ...string) bool {
	t.Helper()
	r, tasks, ok := read(t, rec, withIDs(ids))
	if !ok {
		return false
	}
	if n, at := peak(tasks); n > 1 {
		return r.fail(t, "%s should never run at the same time, but %s did", list(ids), labels(at))
	}
	return true
}

// AssertResourceExclusive checks that no two tasks that declared the
// resource (see pool.Resources; events carry it) ran at the same time.
// Like AssertNoOverlap, it sees only the tasks that declared it.
func AssertResourceExclusive(t testing.TB, rec *timeline.Recorder, resource string) bool {
	t.Helper()
	r, tasks, ok := read(t, rec, matching("task with resource "+quote(resource), func(t timeline.Track) bool {
		return slices.Contains(t.Resources, resource)
	}))
	if !ok {
		return false
	}
	if n, at := peak(tasks); n > 1 {
		return r.fail(t, "tasks using resource %q should never overlap, but %s ran at the same time", resource, labels(at))
	}
	return true
}

// AssertRanTogether checks that the tasks with the given IDs were all
// Running at one moment.
func AssertRanTogether(t testing.TB, rec *timeline.Recorder, ids ...string) bool {
	t.Helper()
	r, tasks, ok := read(t, rec, withIDs(ids))
	if !ok {
		return false
	}
	for _, task := range tasks {
		if !task.Started() {
			return r.fail(t, "%s should have run at the same time, but %s never ran: it %s", list(ids), task.Label(), ended(task))
		}
	}
	if n, at := peak(tasks); n < len(tasks) {
		return r.fail(t, "%s should have run at the same time, but at most %d of them did at once (%s)", list(ids), n, labels(at))
	}
	return true
}

// AssertStartedAfter checks that task a first ran after task b ended.
func AssertStartedAfter(t testing.TB, rec *timeline.Recorder, a, b string) bool {
	t.Helper()
	r, tasks, ok := read(t, rec, withIDs([]string{a, b}))
	if !ok {
		return false
	}
	ta, tb := tasks[0], tasks[1]
	run, started := ta.FirstRun()
	switch {
	case !started:
		return r.fail(t, "%s should have started after %s ended, but %s never ran: it %s", a, b, a, ended(ta))
	case !tb.Ended() || run.StartSeq < tb.EndSeq:
		return r.fail(t, "%s should have started after %s ended, but it started while %s was %s", a, b, b, stateAt(tb, run.StartSeq))
	}
	return true
}

// AssertNothingStartedAfter checks that no task started running after the
// task with ID id ended: fail_fast's promise, for instance, when id is the
// task that failed. Tasks that were already running may go on (and resume
// after waiting for their subtasks).
func AssertNothingStartedAfter(t testing.TB, rec *timeline.Recorder, id string) bool {
	t.Helper()
	r, tasks, ok := read(t, rec, withIDs([]string{id}))
	if !ok {
		return false
	}
	last := tasks[0]
	if !last.Ended() {
		return r.fail(t, "no task should have started after %s ended, but %s %s", id, id, ended(last))
	}
	var late []timeline.Track
	for _, task := range r.tasks {
		if run, ok := task.FirstRun(); ok && run.StartSeq > last.EndSeq {
			late = append(late, task)
		}
	}
	if len(late) > 0 {
		return r.fail(t, "no task should have started after %s %s, but %s did", id, ended(last), labels(late))
	}
	return true
}

// AssertFinal checks that the task with ID id ended in state want.
func AssertFinal(t testing.TB, rec *timeline.Recorder, id string, want pool.State) bool {
	t.Helper()
	r, tasks, ok := read(t, rec, withIDs([]string{id}))
	if !ok {
		return false
	}
	if task := tasks[0]; task.State != want || !task.Ended() {
		return r.fail(t, "%s should have ended %v, but it %s", id, want, ended(task))
	}
	return true
}
