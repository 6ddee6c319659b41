package pglock_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock/pglock/pgtest"
)

// inSchema returns the test server's DSN with search_path set to a schema
// of its own, created for the test, so that the test's Lockers use a
// fencing sequence that no other test shares.
func inSchema(t testing.TB, adm *admin, schema string) string {
	t.Helper()
	_, err := adm.c.Exec(t.Context(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE; CREATE SCHEMA `+schema)
	require.NoError(t, err)
	return pgtest.DSN(t) + " search_path=" + schema
}

// TestCancelAfterGrantLeavesNothingHeld: an Acquire cancelled after the
// server granted the advisory lock, while its statement still runs (the
// fencing token's nextval waits behind an ALTER SEQUENCE), gives
// the lock back: no pooled connection keeps it for nobody.
func TestCancelAfterGrantLeavesNothingHeld(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	dsn := inSchema(t, adm, "cancel_grant")
	l := openDSN(t, dsn)

	staller := newAdmin(t)
	tx, err := staller.c.Begin(t.Context())
	require.NoError(t, err)
	defer tx.Rollback(context.Background()) //nolint:errcheck
	_, err = tx.Exec(t.Context(), `ALTER SEQUENCE cancel_grant.braid_fence INCREMENT BY 1`)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	got := acquireAsync(ctx, l, "grant-then-cancel")
	eventually(t, func() bool {
		return adm.nameLocks("grant-then-cancel", true) == 1 && adm.relationWaiters("braid_fence") == 1
	},
		"the lock is granted and the token's nextval waits")
	cancel()
	r := within(t, got, 10*time.Second, "cancelled Acquire")
	require.ErrorIs(t, r.err, context.Canceled)
	require.NoError(t, tx.Rollback(t.Context()))

	eventually(t, func() bool { return adm.nameLocks("grant-then-cancel", true) == 0 }, "nobody holds the name")
	again, err := open(t).TryAcquire("grant-then-cancel")
	require.NoError(t, err)
	require.NoError(t, again.Release())
	// The Locker whose Acquire was cancelled works on.
	lease, err := l.Acquire(t.Context(), "grant-then-cancel")
	require.NoError(t, err)
	require.NoError(t, lease.Release())
}
