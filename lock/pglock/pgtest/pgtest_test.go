package pgtest_test

import (
	"context"
	"net"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/braid-go/braid/lock/pglock/pgtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(pgtest.Main(m)) }

// TestServer: the server answers on its DSN, and a cluster this run
// started listens on no TCP port.
func TestServer(t *testing.T) {
	dsn := pgtest.DSN(t)
	c, err := pgx.Connect(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close(context.Background())) })
	var version int
	require.NoError(t, c.QueryRow(t.Context(), `SELECT current_setting('server_version_num')::int`).Scan(&version))
	require.Greater(t, version, 100000)
	if pgtest.Local() {
		var addrs string
		require.NoError(t, c.QueryRow(t.Context(), `SHOW listen_addresses`).Scan(&addrs))
		require.Empty(t, addrs, "a Unix socket only")
	}
}

// TestOwnCluster: a cluster of the test's own answers on its Unix socket
// and on TCP, and comes back after a crash.
func TestOwnCluster(t *testing.T) {
	c := pgtest.NewCluster(t, true)
	query := func(dsn string) {
		t.Helper()
		conn, err := pgx.Connect(t.Context(), dsn)
		require.NoError(t, err)
		defer func() { _ = conn.Close(context.Background()) }() // closing is not what the test checks
		var one int
		require.NoError(t, conn.QueryRow(t.Context(), `SELECT 1`).Scan(&one))
	}
	host, port, err := net.SplitHostPort(c.TCPAddr())
	require.NoError(t, err)
	tcp := "host=" + host + " port=" + port + " user=postgres dbname=postgres sslmode=disable"
	query(c.DSN())
	query(tcp)
	c.Stop(t, "immediate")
	c.Start(t)
	query(c.DSN())
}
