package cluster_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/cluster"
	"github.com/braid-go/braid/parallel/paralleltest"
	"github.com/braid-go/braid/parallel/timeline"
)

// TestEventsAndTimeline: each worker node's events, recorded by a
// timeline Recorder, say which replica ran which task of which group;
// the test kit's assertions work on them, and the nodes' Stats add up to
// the group.
func TestEventsAndTimeline(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	var recs [2]timeline.Recorder
	a := openNode(t, dsn, cluster.Replica("w1"), cluster.MaxWorkers(3), cluster.OnEvent(recs[0].Hook))
	b := openNode(t, dsn, cluster.Replica("w2"), cluster.MaxWorkers(3), cluster.OnEvent(recs[1].Hook))
	g, err := cluster.NewGroup[mark](a, cluster.GroupID("observed"))
	require.NoError(t, err)
	for i := range 20 {
		require.NoError(t, g.Add(fmt.Sprint("t", i), kWork.Call(work{Seq: i, Ms: 10})))
	}
	res, err := g.Run(ctx30(t))
	require.NoError(t, err)

	ran := map[string]string{} // task ID -> replica, from the events
	for i := range recs {
		rec := &recs[i]
		replica := fmt.Sprint("w", i+1)
		paralleltest.AssertMaxConcurrentInPool(t, rec, replica, 3)
		for _, task := range rec.Tracks() {
			require.Equal(t, "observed", task.Group)
			require.Equal(t, replica, task.Pool)
			ran[task.ID] = replica
		}
	}
	require.Len(t, ran, 20)
	for _, r := range res.All() {
		require.Equal(t, r.Replica, ran[r.ID], "events and results agree on where %s ran", r.ID)
	}
	sa, sb := a.Stats(), b.Stats()
	require.Equal(t, uint64(20), sa.Pool.Succeeded+sb.Pool.Succeeded)
	require.Zero(t, sa.Fenced+sb.Fenced)

	cs, err := a.ClusterStats(ctx30(t))
	require.NoError(t, err)
	require.Zero(t, cs.Waiting+cs.Blocked+cs.Running)
	require.Len(t, cs.Replicas, 2)
	require.Equal(t, "w1", cs.Replicas[0].ID)
	require.False(t, cs.Replicas[1].Beat.Before(cs.Replicas[1].Since))
}
