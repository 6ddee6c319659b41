package cluster_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/cluster"
	"github.com/braid-go/braid/pool"
)

// TestNameOverflowDropNewest: a task arriving while its name runs is
// skipped with ErrDropped; without the policy it waits its turn; with
// the name free, it runs.
func TestNameOverflowDropNewest(t *testing.T) {
	t.Parallel()
	n, _ := twoWorkers(t)
	ctx := ctx30(t)
	holder := hold(t, n, "busy")
	dropped, err := cluster.Submit(ctx, n, kWork.Call(work{Ms: 1}, cluster.Name("busy"), cluster.NameOverflow(pool.DropNewest)))
	require.NoError(t, err)
	waits, err := cluster.Submit(ctx, n, kWork.Call(work{Ms: 1}, cluster.Name("busy")))
	require.NoError(t, err)
	r, err := cluster.Wait[mark](ctx, n, dropped)
	require.NoError(t, err)
	require.Equal(t, skipped, r.State)
	require.ErrorIs(t, r.Err, cluster.ErrDropped)

	require.NoError(t, cluster.CancelGroup(ctx, n, holder))
	w, err := cluster.Wait[mark](ctx, n, waits)
	require.NoError(t, err)
	require.Equal(t, succeeded, w.State)
	free, err := cluster.Submit(ctx, n, kWork.Call(work{Ms: 1}, cluster.Name("busy"), cluster.NameOverflow(pool.DropNewest)))
	require.NoError(t, err)
	f, err := cluster.Wait[mark](ctx, n, free)
	require.NoError(t, err)
	require.Equal(t, succeeded, f.State, "the name was free")
}

// TestNameOverflowCancelRunning: a newer task cancels the running one of
// its name on whatever replica runs it (cause ErrSuperseded), and runs
// once it has ended; one let in but not started yet is skipped.
func TestNameOverflowCancelRunning(t *testing.T) {
	t.Parallel()
	n, dsn := twoWorkers(t)
	other := openNode(t, dsn) // submits only
	ctx := ctx30(t)
	old, err := cluster.Submit(ctx, n, kWork.Call(work{Ms: 60_000}, cluster.Name("c")))
	require.NoError(t, err)
	eventually(t, func() bool {
		s, err := n.ClusterStats(ctx)
		require.NoError(t, err)
		return s.Running == 1
	}, "the first task runs")
	newer, err := cluster.Submit(ctx, other, kWork.Call(work{Ms: 1}, cluster.Name("c"), cluster.NameOverflow(pool.CancelRunning)))
	require.NoError(t, err)
	o, err := cluster.Wait[mark](ctx, other, old)
	require.NoError(t, err)
	require.Equal(t, canceled, o.State)
	require.ErrorIs(t, o.Err, cluster.ErrSuperseded)
	require.NotZero(t, o.Output.Canceled)
	r, err := cluster.Wait[mark](ctx, other, newer)
	require.NoError(t, err)
	require.Equal(t, succeeded, r.State)
	require.LessOrEqual(t, o.Output.End, r.Output.Start, "the newer task runs after the older ended")

	// In one group: the first task of the name is let in, the second
	// supersedes it before it starts.
	g, err := cluster.NewGroup[mark](n)
	require.NoError(t, err)
	require.NoError(t, g.Add("first", kWork.Call(work{Ms: 1}, cluster.Name("d"))))
	require.NoError(t, g.Add("second", kWork.Call(work{Ms: 1}, cluster.Name("d"), cluster.NameOverflow(pool.CancelRunning))))
	res, err := g.Run(ctx)
	require.ErrorIs(t, err, cluster.ErrSuperseded, "wait_all's verdict: a task did not succeed")
	first, _ := res.Get("first")
	second, _ := res.Get("second")
	require.Equal(t, skipped, first.State)
	require.ErrorIs(t, first.Err, cluster.ErrSuperseded)
	require.Equal(t, succeeded, second.State)
}

// TestNameOverflowKeepLatest: a newer task replaces the tasks waiting for
// its name, lone or in a group (which then ends), and runs after the
// running one, which runs on.
func TestNameOverflowKeepLatest(t *testing.T) {
	t.Parallel()
	n, _ := twoWorkers(t)
	ctx := ctx30(t)
	holder := hold(t, n, "k")
	g, err := cluster.NewGroup[mark](n, cluster.GroupID("waiter"))
	require.NoError(t, err)
	require.NoError(t, g.Add("w", kWork.Call(work{Ms: 1}, cluster.Name("k"))))
	_, err = g.Start(ctx)
	require.NoError(t, err)
	lone, err := cluster.Submit(ctx, n, kWork.Call(work{Ms: 1}, cluster.Name("k")))
	require.NoError(t, err)
	latest, err := cluster.Submit(ctx, n, kWork.Call(work{Ms: 1}, cluster.Name("k"), cluster.NameOverflow(pool.KeepLatest)))
	require.NoError(t, err)

	res, err := cluster.WaitGroup[mark](ctx, n, "waiter")
	require.ErrorIs(t, err, cluster.ErrReplaced, "wait_all's verdict: its task did not succeed")
	w, _ := res.Get("w")
	require.Equal(t, skipped, w.State)
	require.ErrorIs(t, w.Err, cluster.ErrReplaced)
	l, err := cluster.Wait[mark](ctx, n, lone)
	require.NoError(t, err)
	require.Equal(t, skipped, l.State)
	require.ErrorIs(t, l.Err, cluster.ErrReplaced)

	s, err := n.ClusterStats(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, s.Running, "the holder runs on")
	require.Equal(t, 1, s.Blocked, "the latest waits")
	require.NoError(t, cluster.CancelGroup(ctx, n, holder))
	r, err := cluster.Wait[mark](ctx, n, latest)
	require.NoError(t, err)
	require.Equal(t, succeeded, r.State)
}

// TestNameOverflowInvalid: a policy needs a Name, and a known value.
func TestNameOverflowInvalid(t *testing.T) {
	t.Parallel()
	n := openNode(t, newDB(t))
	ctx := context.Background()
	_, err := cluster.Submit(ctx, n, kWork.Call(work{}, cluster.NameOverflow(pool.KeepLatest)))
	require.ErrorIs(t, err, cluster.ErrInvalid)
	_, err = cluster.Submit(ctx, n, kWork.Call(work{}, cluster.Name("x"), cluster.NameOverflow(pool.Overflow(9))))
	require.ErrorIs(t, err, cluster.ErrInvalid)
}
