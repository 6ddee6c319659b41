package pglock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// configurePool sets up the pool that Open makes, so that its sessions
// wait as long as the caller says and no longer than the server can hear
// from the client (see sessionSetup and dialer). Idle connections are
// closed before the server's idle_session_timeout ends them: the pool's
// health check closes one idle for a third of the SessionTimeout, and
// runs every third.
func configurePool(pc *pgxpool.Config, cfg config) {
	pc.AfterConnect = sessionSetup(cfg)
	pc.ConnConfig.DialFunc = dialer(cfg).DialContext
	pc.MaxConnIdleTime = min(pc.MaxConnIdleTime, cfg.session/3)
	pc.HealthCheckPeriod = min(pc.HealthCheckPeriod, cfg.session/3)
}

// sessionSetup returns what Open's pool runs on each new connection: it
// overrides whatever the role, the database or postgresql.conf set.
//
//   - No server-side timeout may end a wait that the caller's context
//     allows: statement_timeout, lock_timeout and (PostgreSQL 17)
//     transaction_timeout are 0.
//   - The server forgets a client it no longer hears from after the
//     Session timeout: TCP keepalives and tcp_user_timeout end a
//     connection to a dead host, and idle_session_timeout (PostgreSQL 14)
//     one that stays open but silent, as through a partition that a
//     middlebox keeps half open. A lease pings every Heartbeat, and a
//     semaphore waiter every Heartbeat too, so a live client is never
//     idle that long.
//   - A waiting backend checks for a vanished client every Heartbeat
//     (client_connection_check_interval, PostgreSQL 14, on platforms
//     that support it), so a dead waiter leaves the lock's queue.
func sessionSetup(cfg config) func(context.Context, *pgx.Conn) error {
	secs := func(d time.Duration) int64 { return max(int64(d/time.Second), 1) }
	return func(ctx context.Context, c *pgx.Conn) error {
		major := serverMajor(c.PgConn())
		set := []string{
			"statement_timeout = 0",
			"lock_timeout = 0",
			fmt.Sprintf("tcp_keepalives_idle = %d", secs(cfg.session/2)),
			fmt.Sprintf("tcp_keepalives_interval = %d", secs(cfg.session/6)),
			"tcp_keepalives_count = 3",
		}
		if major >= 12 {
			set = append(set, fmt.Sprintf("tcp_user_timeout = %d", cfg.session.Milliseconds()))
		}
		if major >= 14 {
			set = append(set, fmt.Sprintf("idle_session_timeout = %d", cfg.session.Milliseconds()))
		}
		if major >= 17 {
			set = append(set, "transaction_timeout = 0")
		}
		if _, err := c.Exec(ctx, "SET "+strings.Join(set, "; SET ")); err != nil {
			return err
		}
		if major < 14 {
			return nil
		}
		_, err := c.Exec(ctx, fmt.Sprintf("SET client_connection_check_interval = %d", max(cfg.heartbeat.Milliseconds(), 1)))
		if isCode(err, "22023") { // invalid_parameter_value: a platform without the check
			return nil
		}
		return err
	}
}

// serverMajor is the server's major version, from the server_version it
// reports at connection ("15.14 (Debian 15.14-0+deb12u1)"), or 0.
func serverMajor(c *pgconn.PgConn) int {
	v := c.ParameterStatus("server_version")
	if i := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		v = v[:i]
	}
	n, _ := strconv.Atoi(v)
	return n
}

// dialer makes the client's end of a TCP connection notice a dead server
// or network within the Session timeout too: keepalives while idle, and
// TCP_USER_TIMEOUT (Linux) while data waits to be acknowledged.
func dialer(cfg config) *net.Dialer {
	return &net.Dialer{
		KeepAliveConfig: net.KeepAliveConfig{
			Enable:   true,
			Idle:     cfg.session / 2,
			Interval: max(cfg.session/6, time.Second),
			Count:    3,
		},
		Control: func(network, _ string, rc syscall.RawConn) error {
			if !strings.HasPrefix(network, "tcp") {
				return nil
			}
			var serr error
			if err := rc.Control(func(fd uintptr) { serr = setUserTimeout(fd, cfg.session) }); err != nil {
				return err
			}
			return serr
		},
	}
}

// transient reports whether an acquisition that failed with err may
// connect and queue again: the server went away or is coming back (a
// restart, a failover, the session was ended), the network failed, or a
// server-side timeout ended the statement (a pool from FromPool may carry
// statement_timeout or lock_timeout; the caller's context has not ended,
// else the caller would not ask).
func transient(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "57014", pe.Code == "55P03": // query_canceled (by statement_timeout), lock_not_available
			return true
		case strings.HasPrefix(pe.Code, "57P"), strings.HasPrefix(pe.Code, "08"): // operator intervention, connection exception
			return true
		case pe.Code == "53300": // too_many_connections: a server coming back fills up
			return true
		}
		return false
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ne) || errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.SafeToRetry(err)
}

// Bounds of the pause between two tries of an acquisition that found the
// server gone: short enough to come back soon after a restart, long
// enough not to hammer a server that is starting.
const (
	retryMin = 20 * time.Millisecond
	retryMax = time.Second
)

// retry runs try until it succeeds, fails for good, or ctx ends (see
// transient). Only waiting acquisitions retry: a TryAcquire reports the
// failure.
func retry(ctx context.Context, wait bool, try func() error) error {
	pause := retryMin
	for {
		err := try()
		if err == nil || !wait || ctx.Err() != nil || !transient(err) {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		pause = min(2*pause, retryMax)
	}
}
