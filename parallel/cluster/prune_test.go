package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/cluster"
)

// count returns the rows of a table.
func count(t *testing.T, db *pgxpool.Pool, table string) int {
	t.Helper()
	var c int
	require.NoError(t, db.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&c))
	return c
}

// TestPrune: Prune deletes ended groups with their tasks, ended lone
// tasks and the lines left empty, but not what runs, nor a name's line
// that keeps a limit of its own, nor what ended after its horizon.
func TestPrune(t *testing.T) {
	t.Parallel()
	n, dsn := twoWorkers(t)
	db := openPool(t, dsn)
	ctx := ctx30(t)
	g, err := cluster.NewGroup[mark](n, cluster.GroupID("ended"))
	require.NoError(t, err)
	require.NoError(t, g.Add("a", kWork.Call(work{Ms: 1}, cluster.Name("one"))))
	require.NoError(t, g.Add("b", kWork.Call(work{Ms: 1}, cluster.Name("three"), cluster.NameLimit(3))))
	_, err = g.Run(ctx)
	require.NoError(t, err)
	lone, err := cluster.Submit(ctx, n, kWork.Call(work{Ms: 1}))
	require.NoError(t, err)
	_, err = cluster.Wait[mark](ctx, n, lone)
	require.NoError(t, err)
	holder := hold(t, n, "held")

	deleted, err := cluster.Prune(ctx, n, time.Hour)
	require.NoError(t, err)
	require.Zero(t, deleted, "nothing ended an hour ago")
	deleted, err = cluster.Prune(ctx, n, 0)
	require.NoError(t, err)
	require.Equal(t, 3, deleted, "the group's two tasks and the lone one")
	_, err = cluster.WaitGroup[mark](ctx, n, "ended")
	require.ErrorIs(t, err, cluster.ErrNotFound)
	_, err = cluster.Wait[mark](ctx, n, lone)
	require.ErrorIs(t, err, cluster.ErrNotFound)
	require.Equal(t, 1, count(t, db, "braid_tasks"), "the running holder stays")
	require.Equal(t, 1, count(t, db, "braid_groups"))
	var lines []string
	rows, err := db.Query(ctx, `SELECT key FROM braid_lines ORDER BY key`)
	require.NoError(t, err)
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		lines = append(lines, k)
	}
	require.Equal(t, []string{"name:held", "name:three"}, lines)

	// A name whose line was pruned works as before.
	again, err := cluster.Submit(ctx, n, kWork.Call(work{Ms: 1}, cluster.Name("one")))
	require.NoError(t, err)
	r, err := cluster.Wait[mark](ctx, n, again)
	require.NoError(t, err)
	require.Equal(t, succeeded, r.State)
	require.NoError(t, cluster.CancelGroup(ctx, n, holder))

	_, err = cluster.Prune(ctx, n, -time.Second)
	require.ErrorIs(t, err, cluster.ErrInvalid)
}

// TestRetention: a worker node with Retention prunes on its own.
func TestRetention(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	n := openNode(t, dsn, cluster.Replica("w1"), cluster.MaxWorkers(2), cluster.Retention(time.Second))
	db := openPool(t, dsn)
	ctx := ctx30(t)
	id, err := cluster.Submit(ctx, n, kWork.Call(work{Ms: 1}))
	require.NoError(t, err)
	_, err = cluster.Wait[mark](ctx, n, id)
	require.NoError(t, err)
	eventually(t, func() bool { return count(t, db, "braid_tasks") == 0 }, "the ended task pruned")

	_, err = cluster.Open(ctx, db, kinds, cluster.Retention(0))
	require.ErrorIs(t, err, cluster.ErrInvalid)
}
