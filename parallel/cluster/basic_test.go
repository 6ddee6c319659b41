package cluster_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/cluster"
	"github.com/braid-go/braid/strategy"
)

// TestSubmitAndWait: a lone task runs on the worker node and its typed
// result reaches the submitter, a node without workers.
func TestSubmitAndWait(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	openNode(t, dsn, cluster.Replica("w1"), cluster.MaxWorkers(2))
	sub := openNode(t, dsn, cluster.Replica("sub"))
	ctx := ctx30(t)
	id, err := cluster.Submit(ctx, sub, kWork.Call(work{Seq: 7, Ms: 1}))
	require.NoError(t, err)
	r, err := cluster.Wait[mark](ctx, sub, id)
	require.NoError(t, err)
	require.Equal(t, cluster.State(3), r.State, "Succeeded")
	require.Equal(t, 7, r.Output.Seq)
	require.Equal(t, "w1", r.Replica)
	require.Equal(t, 1, r.Attempt)
	require.NoError(t, r.Err)

	id, err = cluster.Submit(ctx, sub, kWho.Call(struct{}{}))
	require.NoError(t, err)
	who, err := cluster.Wait[cluster.Info](ctx, sub, id)
	require.NoError(t, err)
	require.Equal(t, cluster.Info{Task: id, Attempt: 1, Replica: "w1"}, who.Output)
	_, ok := cluster.Running(ctx)
	require.False(t, ok)
}

// TestGroupWaitAll: a wait_all group's results arrive by task ID, with
// the failing task's error, and the group's verdict is that error.
func TestGroupWaitAll(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	openNode(t, dsn, cluster.Replica("w1"), cluster.MaxWorkers(4))
	n := openNode(t, dsn, cluster.Replica("w2"), cluster.MaxWorkers(4))
	g, err := cluster.NewGroup[mark](n, cluster.WithStrategy(strategy.WaitAll()))
	require.NoError(t, err)
	for i := range 20 {
		require.NoError(t, g.Add(string(rune('a'+i)), kWork.Call(work{Seq: i, Ms: 5, Fail: i == 3})))
	}
	res, err := g.Run(ctx30(t))
	require.Error(t, err)
	require.Contains(t, err.Error(), errTaskFailed.Error())
	require.Equal(t, 19, res.Count(cluster.State(3)))
	d, ok := res.Get("d")
	require.True(t, ok)
	require.Equal(t, cluster.State(4), d.State, "Failed")
	require.Equal(t, 3, d.Output.Seq)
	require.Len(t, res.Outputs(), 19)
}
