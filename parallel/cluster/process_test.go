package cluster_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/cluster"
	"github.com/braid-go/braid/strategy"
)

// startReplicas starts n replica processes with workers each, r1 to rn.
func startReplicas(t *testing.T, dsn string, n, workers int) map[string]*proc {
	ps := make(map[string]*proc, n)
	for i := range n {
		id := fmt.Sprintf("r%d", i+1)
		ps[id] = startReplica(t, replicaArgs{DSN: dsn, ID: id, Workers: workers})
	}
	return ps
}

// peak returns the most intervals [Start, End) of ms open at once.
func peak(ms []mark) int {
	type edge struct {
		at int64
		d  int
	}
	var es []edge
	for _, m := range ms {
		es = append(es, edge{m.Start, 1}, edge{m.End, -1})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].at < es[j].at || es[i].at == es[j].at && es[i].d < es[j].d })
	cur, top := 0, 0
	for _, e := range es {
		cur += e.d
		top = max(top, cur)
	}
	return top
}

// TestReplicaLimit: 3 replica processes with a limit of 4 each run 200
// tasks: never more than 4 run at once on one replica, every replica
// takes part, and all 200 end once, Succeeded, on their first attempt.
func TestReplicaLimit(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	startReplicas(t, dsn, 3, 4)
	n := openNode(t, dsn, cluster.Replica("submitter"))
	g, err := cluster.NewGroup[mark](n)
	require.NoError(t, err)
	for i := range 200 {
		require.NoError(t, g.Add(fmt.Sprint(i), kWork.Call(work{Seq: i, Ms: 10})))
	}
	res, err := g.Run(ctx30(t))
	require.NoError(t, err)
	require.Equal(t, 200, res.Count(cluster.State(3)))
	byReplica := map[string][]mark{}
	for _, r := range res.All() {
		require.Equal(t, 1, r.Attempt)
		byReplica[r.Replica] = append(byReplica[r.Replica], r.Output)
	}
	require.Len(t, byReplica, 3, "every replica took work")
	for id, ms := range byReplica {
		p := peak(ms)
		require.LessOrEqual(t, p, 4, "replica %s ran %d at once", id, p)
		t.Logf("replica %s: %d tasks, at most %d at once", id, len(ms), p)
	}
}

// TestFailFastAcrossReplicas: a fail_fast group of 200 tasks on 3
// replicas, whose task 10 fails: no task starts after the failure is
// recorded, the running ones are cancelled within a bound, the rest are
// skipped, and the decision names task 10.
func TestFailFastAcrossReplicas(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	startReplicas(t, dsn, 3, 4)
	n := openNode(t, dsn, cluster.Replica("submitter"))
	g, err := cluster.NewGroup[mark](n, cluster.WithStrategy(strategy.FailFast()))
	require.NoError(t, err)
	for i := range 200 {
		w := work{Seq: i, Ms: 2000}
		if i == 10 {
			w = work{Seq: i, Ms: 100, Fail: true}
		}
		require.NoError(t, g.Add(fmt.Sprint(i), kWork.Call(w)))
	}
	res, err := g.Run(ctx30(t))
	require.ErrorContains(t, err, errTaskFailed.Error())
	require.Equal(t, "10", res.DecidedBy)
	decided := res.DecidedAt
	var lags []time.Duration
	for _, r := range res.All() {
		if !r.Started.IsZero() {
			require.True(t, r.Started.Before(decided), "task %s started %v after the decision", r.ID, r.Started.Sub(decided))
		}
		switch r.State {
		case cluster.State(5): // Canceled
			require.ErrorIs(t, r.Err, cluster.ErrStopped)
			require.NotZero(t, r.Output.Canceled)
			lags = append(lags, time.Unix(0, r.Output.Canceled).Sub(decided))
		case cluster.State(6): // Skipped
			require.True(t, r.Started.IsZero())
			require.ErrorIs(t, r.Err, cluster.ErrStopped)
		case cluster.State(4):
			require.Equal(t, "10", r.ID)
		default:
			t.Fatalf("task %s: %v", r.ID, r.State)
		}
	}
	require.NotEmpty(t, lags, "tasks were running when the group stopped")
	slices.Sort(lags)
	t.Logf("cancel reached %d running tasks: p50 %s, max %s after the decision", len(lags), ms(percentile(lags, 0.5)), ms(lags[len(lags)-1]))
	require.Less(t, lags[len(lags)-1], time.Second)
}

// TestNameFIFOAcrossReplicas: 3 replica processes each submit 50 tasks
// of one name; the 150 runs never overlap, and run in the order they
// were submitted (the order of their IDs, given under the name's lock).
func TestNameFIFOAcrossReplicas(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	var ps []*proc
	for i := range 3 {
		ps = append(ps, startReplica(t, replicaArgs{DSN: dsn, ID: fmt.Sprintf("r%d", i+1), Workers: 4, Submit: 50, Name: "fifo"}))
	}
	for _, p := range ps {
		p.expect(t, "submitted")
	}
	db := openPool(t, dsn)
	ctx := ctx30(t)
	eventually(t, func() bool {
		var open int
		require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM braid_tasks WHERE state < 3`).Scan(&open))
		return open == 0
	}, "all named tasks end")
	n := openNode(t, dsn, cluster.Replica("reader"))
	var runs []cluster.Result[mark]
	for id := range int64(150) {
		r, err := cluster.Wait[mark](ctx, n, cluster.TaskID(id+1))
		require.NoError(t, err)
		require.Equal(t, cluster.State(3), r.State)
		runs = append(runs, r)
	}
	replicas := map[string]bool{}
	for i := 1; i < len(runs); i++ {
		prev, cur := runs[i-1].Output, runs[i].Output
		require.LessOrEqual(t, prev.End, cur.Start, "task %d began before task %d ended", runs[i].Task, runs[i-1].Task)
		replicas[runs[i].Replica] = true
	}
	t.Logf("150 runs of one name, in order, on replicas %v", replicas)
}
