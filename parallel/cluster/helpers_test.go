package cluster_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock/pglock/pgtest"
	"github.com/braid-go/braid/parallel/cluster"
)

var dbSeq atomic.Int64

// newDB creates a database of its own for the test, migrated, and
// returns its connection string.
func newDB(t testing.TB) string {
	t.Helper()
	base := pgtest.DSN(t)
	name := "t_" + strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"))
	name = fmt.Sprintf("%s_%d", name[:min(len(name), 50)], dbSeq.Add(1))
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer func() { _ = admin.Close(ctx) }() // the check is done
	_, err = admin.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	require.NoError(t, err)
	_, err = admin.Exec(ctx, `CREATE DATABASE `+name)
	require.NoError(t, err)
	// Dropped at the end (after the pools and nodes the test opened, which
	// close first): left behind, the databases of earlier tests and
	// benchmark rounds kept PostgreSQL's autovacuum busy on the same two
	// cores while later ones ran.
	t.Cleanup(func() {
		admin, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer func() { _ = admin.Close(context.Background()) }() // the drop is checked
		if _, err := admin.Exec(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	dsn := regexp.MustCompile(`dbname=\S+`).ReplaceAllString(base, "dbname="+name)
	db := openPool(t, dsn)
	require.NoError(t, cluster.Migrate(ctx, db))
	return dsn
}

// openPool opens a connection pool closed at the test's end.
func openPool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.MaxConns = 20
	db, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(db.Close)
	return db
}

// openNode opens a node of this process, closed at the test's end.
func openNode(t testing.TB, dsn string, opts ...cluster.Option) *cluster.Node {
	t.Helper()
	n, err := cluster.Open(context.Background(), openPool(t, dsn), kinds, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, n.Close()) })
	return n
}

// eventually polls cond every 10 ms until it holds, failing after 30 s.
func eventually(t testing.TB, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 30s: "+format, args...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ctx30 is a context for a test step that must not hang.
func ctx30(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// percentile returns the p-th percentile of sorted ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(float64(len(ds)-1) * p)
	return ds[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// hold submits, in a group of its own, a task of name that runs until
// the group is cancelled, and waits until it runs on some replica.
func hold(t *testing.T, n *cluster.Node, name string) string {
	t.Helper()
	ctx := ctx30(t)
	g, err := cluster.NewGroup[mark](n)
	require.NoError(t, err)
	require.NoError(t, g.Add("hold", kWork.Call(work{Ms: 60_000}, cluster.Name(name))))
	id, err := g.Start(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cluster.CancelGroup(context.Background(), n, id) }) // before the nodes close, on failure too
	eventually(t, func() bool {
		s, err := n.ClusterStats(ctx)
		require.NoError(t, err)
		return s.Running == 1
	}, "the holder of %q runs", name)
	return id
}
