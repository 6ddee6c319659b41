package pglock_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock"
	"github.com/braid-go/braid/lock/pglock"
	"github.com/braid-go/braid/lock/pglock/pgtest"
	"github.com/braid-go/braid/pool"
)

// role creates a login role with the given attributes, unless it exists,
// and returns the test server's DSN for it.
func role(t testing.TB, adm *admin, name, attrs string, settings ...string) string {
	t.Helper()
	_, err := adm.c.Exec(t.Context(), `DO $$ BEGIN CREATE ROLE `+name+` LOGIN `+attrs+`;
		EXCEPTION WHEN duplicate_object THEN NULL; END $$`)
	require.NoError(t, err)
	for _, s := range settings {
		_, err := adm.c.Exec(t.Context(), `ALTER ROLE `+name+` SET `+s)
		require.NoError(t, err)
	}
	return pgtest.DSN(t) + " user=" + name
}

// timeoutsRole returns the DSN of a role whose statement_timeout,
// lock_timeout and idle_session_timeout are a fraction of a second.
func timeoutsRole(t testing.TB, adm *admin) string {
	t.Helper()
	return role(t, adm, "braid_timeouts", "SUPERUSER",
		"statement_timeout = '100ms'", "lock_timeout = '100ms'", "idle_session_timeout = '300ms'")
}

// handOver releases holder, and checks that the waiter behind got then
// gets the name, and releases it.
func handOver(t testing.TB, holder lock.Lease, got <-chan result) {
	t.Helper()
	require.NoError(t, holder.Release())
	r := within(t, got, 5*time.Second, "the waiter")
	require.NoError(t, r.err)
	require.NoError(t, r.lease.Release())
}

// TestServerTimeoutsDoNotEndWaits: a role whose statement_timeout,
// lock_timeout and idle_session_timeout are a fraction of a second still
// waits for a name as long as its context allows (ten times those
// timeouts here, seen in the server's own clock), and its holder is not
// ended while idle.
func TestServerTimeoutsDoNotEndWaits(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	dsn := timeoutsRole(t, adm)
	holder, err := openDSN(t, dsn).Acquire(t.Context(), "server-timeouts")
	require.NoError(t, err)
	got := acquireAsync(t.Context(), openDSN(t, dsn), "server-timeouts")
	eventually(t, func() bool {
		select {
		case r := <-got:
			t.Fatalf("Acquire ended before its context: %v", r.err)
		default:
		}
		return adm.waitingFor("server-timeouts", time.Second)
	}, "the waiter has waited for 1 s in one statement")
	require.False(t, isClosed(holder.Lost()), "the idle holder keeps its session")
	handOver(t, holder, got)
}

// TestFromPoolWaitsAcrossServerTimeouts: on a caller's pool whose role
// has a statement_timeout, which FromPool leaves as it is, a waiting
// Acquire whose statement the server ends connects and queues again (a
// new session takes its place in the queue), until the name is free.
func TestFromPoolWaitsAcrossServerTimeouts(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	dsn := timeoutsRole(t, adm)
	holder, err := open(t).Acquire(t.Context(), "from-pool-timeouts")
	require.NoError(t, err)
	p, err := pgxpool.New(t.Context(), dsn)
	require.NoError(t, err)
	defer p.Close()
	l, err := pglock.FromPool(t.Context(), p)
	require.NoError(t, err)
	defer func() { _ = l.Close() }() // closing is not what the test checks
	got := acquireAsync(t.Context(), l, "from-pool-timeouts")
	sessions := map[int]bool{}
	eventually(t, func() bool {
		if pid := adm.count(`SELECT coalesce(max(pid), 0) FROM pg_locks WHERE `+advisoryKey+` = $1 AND NOT granted`,
			pglock.NameKey("", "from-pool-timeouts")); pid != 0 {
			sessions[pid] = true
		}
		return len(sessions) >= 3
	}, "three sessions in turn waited for the name")
	require.Len(t, got, 0, "the Acquire still waits")
	handOver(t, holder, got)
}

// TestPoolExhausted: with every connection of the pool held by a lease,
// TryAcquire of a free name fails at once with ErrPoolExhausted, not
// ErrBusy nor a deadline, and an Acquire whose context ends while it
// waits for a connection says so too.
func TestPoolExhausted(t *testing.T) {
	t.Parallel()
	l := openDSN(t, pgtest.DSN(t)+" pool_max_conns=2", pglock.Timeout(2*time.Second))
	for _, name := range []string{"full-a", "full-b"} {
		lease, err := l.Acquire(t.Context(), name)
		require.NoError(t, err)
		defer lease.Release() //nolint:errcheck
	}
	start := time.Now()
	_, err := l.TryAcquire("full-c")
	require.ErrorIs(t, err, pglock.ErrPoolExhausted)
	require.NotErrorIs(t, err, lock.ErrBusy)
	require.Less(t, time.Since(start), time.Second, "TryAcquire does not wait for a connection")

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = l.Acquire(ctx, "full-c")
	require.ErrorIs(t, err, pglock.ErrPoolExhausted)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	t.Log(err)
}

// TestRestartWhileWaiting: a server restart ends the holders' leases (Lost
// closes) while a waiter for a name, one for a semaphore's slot, and a
// braid pool's task waiting for its name reconnect and queue again: each
// gets what it waited for once the server is back, within its context,
// instead of failing with 57P01.
func TestRestartWhileWaiting(t *testing.T) {
	t.Parallel()
	c := pgtest.NewCluster(t, false)
	adm := newAdminOn(t, c.DSN())
	held, err := openDSN(t, c.DSN()).Acquire(t.Context(), "restart")
	require.NoError(t, err)
	heldToo, err := openDSN(t, c.DSN()).Acquire(t.Context(), "restart-task")
	require.NoError(t, err)

	slot, err := newSemaphore(t, openDSN(t, c.DSN()), "restart-sem", 1).Acquire(t.Context(), 1)
	require.NoError(t, err)

	waiter := acquireAsync(t.Context(), openDSN(t, c.DSN()), "restart")
	semWaiter := make(chan result, 1)
	sem := newSemaphore(t, openDSN(t, c.DSN()), "restart-sem", 1)
	go func() {
		lease, err := sem.Acquire(t.Context(), 1)
		semWaiter <- result{lease, err}
	}()
	p, err := pool.New(pool.NameLocker(openDSN(t, c.DSN())))
	require.NoError(t, err)
	ran := make(chan struct{})
	h, err := p.Submit(t.Context(), func(context.Context) error { close(ran); return nil }, pool.Name("restart-task"))
	require.NoError(t, err)
	eventually(t, func() bool {
		return adm.nameLocks("restart", false)+adm.nameLocks("restart-task", false) == 2 &&
			adm.count(`SELECT count(*) FROM pg_stat_activity
			WHERE pid <> pg_backend_pid() AND state = 'idle' AND (query LIKE '%generate_series%' OR query = ';')`) == 1
	}, "all three wait")

	stopped := time.Now()
	c.Stop(t, "fast")
	c.Start(t)
	started := time.Now()
	r := within(t, waiter, 10*time.Second, "the waiter after the restart")
	require.NoError(t, r.err)
	t.Logf("the waiter got the name %v after the server was back (%v after the stop began)", time.Since(started), time.Since(stopped))
	within(t, held.Lost(), 5*time.Second, "the holder's lease is lost")
	within(t, heldToo.Lost(), 5*time.Second, "the other holder's lease is lost")
	r2 := within(t, semWaiter, 10*time.Second, "the semaphore's waiter after the restart")
	require.NoError(t, r2.err)
	require.NoError(t, r2.lease.Release())
	require.ErrorIs(t, slot.Release(), lock.ErrLost)
	within(t, ran, 10*time.Second, "the pool's task after the restart")
	require.NoError(t, h.Wait(t.Context()))
	require.NoError(t, p.Wait())
	require.NoError(t, r.lease.Release())
	require.ErrorIs(t, held.Release(), lock.ErrLost)
	require.ErrorIs(t, heldToo.Release(), lock.ErrLost)
}

// TestLeastPrivileges: a role without CREATE on its schema (PostgreSQL
// 15's default for public) cannot create the fencing sequence, and Open
// says so with ErrPrivilege; once an administrator created it and granted
// USAGE, Open works, and so do names and semaphores.
func TestLeastPrivileges(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	dsn := role(t, adm, "braid_least", "NOSUPERUSER NOCREATEDB NOCREATEROLE")
	inSchema(t, adm, "least_priv")
	dsn += " search_path=least_priv"
	_, err := adm.c.Exec(t.Context(), `GRANT USAGE ON SCHEMA least_priv TO braid_least`)
	require.NoError(t, err)

	_, err = pglock.Open(t.Context(), dsn)
	require.ErrorIs(t, err, pglock.ErrPrivilege, "no sequence, and no right to create it")
	_, err = adm.c.Exec(t.Context(), `CREATE SEQUENCE least_priv.braid_fence`)
	require.NoError(t, err)
	_, err = pglock.Open(t.Context(), dsn)
	require.ErrorIs(t, err, pglock.ErrPrivilege, "a sequence it may not use")
	_, err = adm.c.Exec(t.Context(), `GRANT USAGE ON SEQUENCE least_priv.braid_fence TO braid_least;
		REVOKE USAGE ON SCHEMA least_priv FROM braid_least`)
	require.NoError(t, err)
	_, err = pglock.Open(t.Context(), dsn)
	require.ErrorIs(t, err, pglock.ErrPrivilege, "a sequence in a schema it may not use (it was a bare \"no schema has been selected\")")
	_, err = adm.c.Exec(t.Context(), `GRANT USAGE ON SCHEMA least_priv TO braid_least`)
	require.NoError(t, err)

	l := openDSN(t, dsn)
	lease, err := l.Acquire(t.Context(), "least-priv")
	require.NoError(t, err)
	require.NoError(t, lease.Release())
	s := newSemaphore(t, l, "least-priv", 2)
	slots, err := s.Acquire(t.Context(), 2)
	require.NoError(t, err)
	require.NoError(t, slots.Release())
}

// TestTokensSurviveCrash: with synchronous_commit off on the server, and
// a WAL writer that flushes only every 10 s, a crash (an immediate stop)
// right after a run of acquisitions does not set the fencing tokens back:
// the first token after the restart is above every token before it.
func TestTokensSurviveCrash(t *testing.T) {
	t.Parallel()
	c := pgtest.NewCluster(t, false, "synchronous_commit=off", "wal_writer_delay=10000")
	l := openDSN(t, c.DSN())
	var last uint64
	for range 40 { // beyond the 32 values nextval logs ahead at once
		lease, err := l.TryAcquire("crash")
		require.NoError(t, err)
		last = lease.Token()
		require.NoError(t, lease.Release())
	}
	c.Stop(t, "immediate")
	c.Start(t)
	lease, err := openDSN(t, c.DSN()).Acquire(t.Context(), "crash")
	require.NoError(t, err)
	require.Greater(t, lease.Token(), last, "a token after the crash")
	t.Logf("last token before the crash %d, first after %d", last, lease.Token())
	require.NoError(t, lease.Release())
}
