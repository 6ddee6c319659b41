package timeline_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	t0      = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	errBoom = errors.New("boom")
)

// ev is a synthetic event of task n (ID id, pool etl) entering st at ms
// milliseconds after t0.
func ev(n uint64, id string, st pool.State, ms int) pool.Event {
	return pool.Event{Task: n, ID: id, Group: "nightly", Pool: "etl", State: st, Time: t0.Add(time.Duration(ms) * time.Millisecond)}
}

// sample is a run of limit 2: a and b start at once, c waits for a slot
// and fails, d waits for c's slot and then for its subtask (Blocked), and
// e waits for the name "load" that d holds. report runs on a pool of its
// own.
func sample() []pool.Event {
	failed := ev(3, "c", pool.Failed, 30)
	failed.Err = errBoom
	blocked := ev(5, "e", pool.Blocked, 1)
	blocked.Name, blocked.Holder = "load", 4
	events := []pool.Event{
		ev(1, "a", pool.Waiting, 0), ev(1, "a", pool.Running, 0),
		ev(2, "b", pool.Waiting, 0), ev(2, "b", pool.Running, 0),
		ev(3, "c", pool.Waiting, 0),
		ev(4, "d", pool.Waiting, 0),
		blocked,
		ev(1, "a", pool.Succeeded, 15), ev(3, "c", pool.Running, 15),
		ev(2, "b", pool.Succeeded, 30), failed, ev(4, "d", pool.Running, 30),
		ev(4, "d", pool.Blocked, 34), ev(4, "d", pool.Running, 36),
		ev(4, "d", pool.Succeeded, 40),
		ev(5, "e", pool.Waiting, 40), ev(5, "e", pool.Running, 40), ev(5, "e", pool.Succeeded, 48),
	}
	for i := range events {
		if events[i].ID == "d" || events[i].ID == "e" {
			events[i].Name = "load"
		}
	}
	report := pool.Event{Task: 1, ID: "report", Pool: "reports", State: pool.Waiting, Time: t0.Add(20 * time.Millisecond)}
	running, done := report, report
	running.State, running.Time = pool.Running, t0.Add(21*time.Millisecond)
	done.State, done.Time = pool.Succeeded, t0.Add(45*time.Millisecond)
	return append(events, report, running, done)
}

// record feeds events to a new recorder.
func record(events []pool.Event) *timeline.Recorder {
	var rec timeline.Recorder
	for _, e := range events {
		rec.Hook(e)
	}
	return &rec
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "%s differs; rerun with -update if the change is intended", path)
}
