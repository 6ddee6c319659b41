package timeline_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
)

func TestTasksFromEvents(t *testing.T) {
	t.Parallel()
	tasks := record(sample()).Tracks()
	require.Len(t, tasks, 6)
	labels := make([]string, len(tasks))
	for i, task := range tasks {
		labels[i] = task.Label()
	}
	require.Equal(t, []string{"a", "b", "c", "d", "e", "report"}, labels, "in the order of first events")

	d := tasks[3]
	require.Equal(t, "nightly", d.Group)
	require.Equal(t, "load", d.Name)
	require.Equal(t, "etl", d.Pool)
	require.Equal(t, pool.Succeeded, d.State)
	require.True(t, d.Ended())
	require.Equal(t, t0.Add(40*time.Millisecond), d.End)
	var states []pool.State
	for i, s := range d.Spans {
		states = append(states, s.State)
		require.Less(t, s.StartSeq, s.EndSeq)
		require.False(t, s.End.Before(s.Start))
		if i > 0 {
			require.Equal(t, d.Spans[i-1].EndSeq, s.StartSeq, "each span ends where the next begins")
		}
	}
	require.Equal(t, []pool.State{pool.Waiting, pool.Running, pool.Blocked, pool.Running}, states)
	require.Equal(t, d.Spans[3].EndSeq, d.EndSeq)
	first, ok := d.FirstRun()
	require.True(t, ok)
	require.Equal(t, t0.Add(30*time.Millisecond), first.Start)

	c := tasks[2]
	require.Equal(t, pool.Failed, c.State)
	require.ErrorIs(t, c.Err, errBoom)
	require.Equal(t, uint64(4), tasks[4].Spans[0].Holder, "e was blocked behind d")
}

func TestOpenSpansEndAtTheLastEvent(t *testing.T) {
	t.Parallel()
	rec := record([]pool.Event{ev(1, "a", pool.Waiting, 0), ev(1, "a", pool.Running, 5), ev(2, "", pool.Waiting, 7)})
	tasks := rec.Tracks()
	require.Len(t, tasks, 2)
	a := tasks[0]
	require.False(t, a.Ended())
	require.Equal(t, -1, a.EndSeq)
	require.True(t, a.End.IsZero())
	require.Equal(t, pool.Running, a.State)
	require.Equal(t, 3, a.Spans[1].EndSeq, "one past the last event")
	require.Equal(t, t0.Add(7*time.Millisecond), a.Spans[1].End)
	require.Equal(t, "#2", tasks[1].Label(), "a task with no ID shows its number")
	require.False(t, tasks[1].Started())
}

// TestOrderIsTimeThenArrival: events that arrive late (from another tree's
// delivery) take their place by time; equal times keep arrival order.
func TestOrderIsTimeThenArrival(t *testing.T) {
	t.Parallel()
	late := ev(9, "late", pool.Waiting, 1)
	late.Pool = "other"
	rec := record([]pool.Event{ev(1, "x", pool.Waiting, 0), ev(2, "y", pool.Waiting, 2), ev(1, "x", pool.Running, 2), late})
	var ids []string
	for _, e := range rec.Events() {
		ids = append(ids, e.ID+"/"+e.State.String())
	}
	require.Equal(t, []string{"x/Waiting", "late/Waiting", "y/Waiting", "x/Running"}, ids)
	rec.Reset()
	require.Empty(t, rec.Events())
}

// TestNumbersAcrossTrees: a number reused by another pool label, or after
// its task ended, is another task.
func TestNumbersAcrossTrees(t *testing.T) {
	t.Parallel()
	other := ev(1, "b", pool.Waiting, 1)
	other.Pool = "other"
	rec := record([]pool.Event{
		ev(1, "a", pool.Waiting, 0), other, ev(1, "a", pool.Skipped, 2),
		ev(1, "c", pool.Waiting, 3), ev(1, "c", pool.Running, 3), ev(1, "c", pool.Succeeded, 4),
	})
	tasks := rec.Tracks()
	require.Len(t, tasks, 3)
	require.Equal(t, pool.Skipped, tasks[0].State)
	require.Equal(t, "b", tasks[1].ID)
	require.Equal(t, "c", tasks[2].ID)
	require.Len(t, timeline.Find(tasks, "c"), 1)
	require.Empty(t, timeline.Find(tasks, "nope"))
}

// TestRecordsARealRun: inside a synctest bubble, where no time passes, the
// spans still say who waited, who was blocked on the name and who ran, in
// order.
func TestRecordsARealRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec timeline.Recorder
		p, err := pool.New(pool.MaxWorkers(1), pool.OnEvent(rec.Hook), pool.PoolLabel("etl"))
		require.NoError(t, err)
		release := make(chan struct{})
		for _, id := range []string{"first", "second"} {
			require.NoError(t, p.Go(func(ctx context.Context) error {
				<-release
				return nil
			}, pool.Name("load"), pool.Label("nightly", id)))
		}
		synctest.Wait()
		close(release)
		require.NoError(t, p.Wait())

		tasks := rec.Tracks()
		require.Len(t, tasks, 2)
		first, second := tasks[0], tasks[1]
		require.Equal(t, pool.Succeeded, first.State)
		require.Equal(t, pool.Succeeded, second.State)
		require.Equal(t, pool.Blocked, second.Spans[0].State, "second waited for the name")
		require.Equal(t, first.Number, second.Spans[0].Holder)
		run, ok := second.FirstRun()
		require.True(t, ok)
		require.Greater(t, run.StartSeq, first.EndSeq, "second ran after first ended")
		require.Equal(t, first.End, run.Start, "no time passed in the bubble")
	})
}
