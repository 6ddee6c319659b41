package pglock_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock"
	"github.com/braid-go/braid/lock/pglock"
	"github.com/braid-go/braid/lock/pglock/pgtest"
)

// open returns a Locker on the test server, closed when t ends. Each
// Locker has its own in-process line and connections, so two of them
// contend in the database as two processes would.
func open(t testing.TB, opts ...pglock.Option) *pglock.Locker {
	t.Helper()
	return openAs(t, "", opts...)
}

// openAs is open with connections that show as app in pg_stat_activity.
func openAs(t testing.TB, app string, opts ...pglock.Option) *pglock.Locker {
	t.Helper()
	dsn := pgtest.DSN(t)
	if app != "" {
		dsn += " application_name=" + app
	}
	return openDSN(t, dsn, opts...)
}

// openDSN is open on the server at dsn.
func openDSN(t testing.TB, dsn string, opts ...pglock.Option) *pglock.Locker {
	t.Helper()
	l, err := pglock.Open(context.Background(), dsn, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	return l
}

// admin is a connection for looking at the server's lock table.
type admin struct {
	t testing.TB
	c *pgx.Conn
}

func newAdmin(t testing.TB) *admin {
	t.Helper()
	return newAdminOn(t, pgtest.DSN(t))
}

// newAdminOn is newAdmin on the server at dsn.
func newAdminOn(t testing.TB, dsn string) *admin {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return &admin{t: t, c: c}
}

// advisoryKey is a 64-bit advisory lock key as pg_locks shows it: high
// half in classid, low half in objid, objsubid 1.
const advisoryKey = `locktype = 'advisory' AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint)`

// count runs a count(*) query.
func (a *admin) count(sql string, args ...any) int {
	a.t.Helper()
	var n int
	require.NoError(a.t, a.c.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// nameLocks counts the advisory locks on name's key that are granted, or
// waited for.
func (a *admin) nameLocks(name string, granted bool) int {
	a.t.Helper()
	return a.count(`SELECT count(*) FROM pg_locks WHERE `+advisoryKey+` = $1 AND granted = $2`, pglock.NameKey("", name), granted)
}

// waitingFor reports whether a session has waited for name for at least
// d, in one statement, by the server's clock.
func (a *admin) waitingFor(name string, d time.Duration) bool {
	a.t.Helper()
	return a.count(`SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid)
		WHERE `+advisoryKey+` = $1 AND NOT granted AND clock_timestamp() - query_start >= $2`,
		pglock.NameKey("", name), d) > 0
}

// relationWaiters counts the sessions waiting for a lock on the relation
// called rel (any schema).
func (a *admin) relationWaiters(rel string) int {
	a.t.Helper()
	return a.count(`SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		WHERE l.locktype = 'relation' AND NOT l.granted AND c.relname = $1`, rel)
}

// slots counts the granted slots of a semaphore of size slots.
func (a *admin) slots(name string, size int) int {
	a.t.Helper()
	return a.count(`SELECT count(*) FROM pg_locks WHERE `+advisoryKey+` = ANY($1) AND granted`, pglock.SlotKeys("", name, size))
}

// holder returns the backend pid holding name.
func (a *admin) holder(name string) int {
	a.t.Helper()
	return a.count(`SELECT pid FROM pg_locks WHERE `+advisoryKey+` = $1 AND granted`, pglock.NameKey("", name))
}

// slotHolder returns a backend pid holding a slot of a semaphore.
func (a *admin) slotHolder(name string, size int) int {
	a.t.Helper()
	return a.count(`SELECT pid FROM pg_locks WHERE `+advisoryKey+` = ANY($1) AND granted LIMIT 1`, pglock.SlotKeys("", name, size))
}

// terminate ends a backend, as a server restart or an administrator
// would: its session's locks are released and its client's connection
// dropped.
func (a *admin) terminate(pid int) {
	a.t.Helper()
	var ok bool
	require.NoError(a.t, a.c.QueryRow(context.Background(), `SELECT pg_terminate_backend($1)`, pid).Scan(&ok))
	require.True(a.t, ok)
}

// eventually polls cond until it holds, for at most 10 s. Tests use it
// only to observe another process, the server, whose state no channel
// reports: that a waiter has joined a lock's queue, say.
func eventually(t testing.TB, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		<-tick.C
	}
}

// within receives from ch, failing t if nothing comes within d: a bound
// on how long the system under test may take, not a guess at timing.
func within[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing within %v", what, d)
		var zero T
		return zero
	}
}

// result is an acquisition's outcome, sent from a goroutine.
type result struct {
	lease lock.Lease
	err   error
}

// acquireAsync starts an acquisition on a goroutine.
func acquireAsync(ctx context.Context, l lock.Locker, name string) <-chan result {
	ch := make(chan result, 1)
	go func() {
		lease, err := l.Acquire(ctx, name)
		ch <- result{lease, err}
	}()
	return ch
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
