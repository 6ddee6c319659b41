package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// A worker node proves it is alive with its database session: it holds a
// session-level advisory lock (lockClass, its key) on the connection
// that also listens for braid's notifications. If the process dies, the
// kernel closes its socket, the server ends the session and the lock is
// gone at once; if the process merely stalls (a GC pause, a slow disk, a
// stopped debugger), the session and the lock stay. So the reaper tells
// dead from slow without a clock. A heartbeat column covers the one case
// the lock cannot see: a process hung with its connection open.

// listen opens the node's own session: LISTEN braid, and for a worker
// node, its liveness lock and its replica row.
func (n *Node) listen(ctx context.Context) (*pgx.Conn, error) {
	pc, err := n.db.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster: listen: %w", err)
	}
	conn := pc.Hijack()
	fail := func(err error) (*pgx.Conn, error) {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("cluster: listen: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN braid`); err != nil {
		return fail(err)
	}
	if n.cfg.workers == 0 {
		return conn, nil
	}
	var key int32
	if err := conn.QueryRow(ctx, `SELECT nextval('braid_replica_key')::int`).Scan(&key); err != nil {
		return fail(err)
	}
	// The lock first, the row second: a reaper never sees the row of a
	// replica that does not hold its lock yet.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, lockClass, key); err != nil {
		return fail(err)
	}
	n.lockKey.Store(key)
	// One reading of the clock for beat and started, so that the first
	// beat is never before the start.
	if _, err := conn.Exec(ctx, `INSERT INTO braid_replicas (id, lock_key, beat, started) SELECT $1, $2, now, now FROM clock_timestamp() now
		ON CONFLICT (id) DO UPDATE SET lock_key = EXCLUDED.lock_key, beat = EXCLUDED.beat, started = EXCLUDED.started`,
		n.cfg.replica, key); err != nil {
		return fail(err)
	}
	return conn, nil
}

// listenLoop receives braid's notifications until the node closes:
// "c:<group>" cancels this node's running tasks of a stopped group,
// "s:<task>" a superseded task;
// every notification wakes the waiters. When the session breaks, the
// node's running tasks are cancelled (the cluster counts the replica
// dead and runs them elsewhere) and a new session is opened.
func (n *Node) listenLoop(conn *pgx.Conn) {
	defer n.wg.Done()
	for {
		note, err := conn.WaitForNotification(n.ctx)
		if err == nil {
			if strings.HasPrefix(note.Payload, "c:") || strings.HasPrefix(note.Payload, "s:") {
				n.heard(note.Payload)
			}
			n.notified()
			continue
		}
		_ = conn.Close(context.Background())
		if n.ctx.Err() != nil {
			return
		}
		if n.cfg.workers > 0 {
			n.leaseless.Store(true)
			n.loseLease()
		}
		for conn == nil || conn.IsClosed() {
			if !sleep(n.ctx, n.cfg.reapEvery) {
				return
			}
			conn, _ = n.listen(n.ctx)
		}
		n.leaseless.Store(false)
		n.notified() // notifications may have been missed: waiters look again
	}
}

// sleep waits d or until ctx ends, reporting false if it ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// watchLoop, on a worker node, beats the replica's heartbeat and looks
// for dead replicas, every reapEvery, and prunes with Retention.
func (n *Node) watchLoop() {
	defer n.wg.Done()
	var beat, pruned time.Time
	for sleep(n.ctx, n.cfg.reapEvery) {
		if n.cfg.retain > 0 && time.Since(pruned) >= min(n.cfg.retain, time.Minute) {
			pruned = time.Now()
			if err := n.pruneTurn(n.ctx); err != nil && !errors.Is(err, context.Canceled) {
				n.stats.reapErrors.Add(1)
			}
		}
		if time.Since(beat) >= n.cfg.heartbeat {
			tag, err := n.db.Exec(n.ctx, `UPDATE braid_replicas SET beat = clock_timestamp() WHERE id = $1`, n.cfg.replica)
			if err == nil {
				beat = time.Now()
				if tag.RowsAffected() == 0 {
					// Counted dead (hung too long): the tasks it runs
					// already run elsewhere. It stops them and joins
					// again, with the lock it still holds. (Without its
					// session, it joins when the session is back: listen
					// writes the row, with the key of the new lock.)
					n.loseLease()
					if !n.leaseless.Load() {
						if err := n.rejoin(n.ctx); err != nil {
							n.stats.reapErrors.Add(1)
						}
					}
				}
			}
		}
		if _, err := n.reap(n.ctx); err != nil && !errors.Is(err, context.Canceled) {
			n.stats.reapErrors.Add(1)
		}
	}
}

// reap gives the running tasks of dead replicas a new attempt, with a new
// River job, and forgets the dead. A replica is dead when its liveness
// lock is gone (its session ended) or its heartbeat is older than
// deadAfter. One reaper works at a time, cluster-wide; the others skip.
// It returns how many tasks it queued again.
func (n *Node) reap(ctx context.Context) (int, error) {
	requeued := 0
	err := n.inTx(ctx, func(tx pgx.Tx) error {
		requeued = 0
		var mine bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1, 0)`, lockClass+1).Scan(&mine); err != nil || !mine {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM braid_replicas r
			WHERE r.beat < clock_timestamp() - $2 * interval '1 microsecond'
			   OR NOT EXISTS (SELECT 1 FROM pg_locks l
				WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objid::bigint = r.lock_key AND l.objsubid = 2
				  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))`,
			lockClass, n.cfg.deadAfter.Microseconds())
		if err != nil {
			return err
		}
		// Running tasks of a replica with no row: the dead just deleted,
		// and any that was counted dead earlier but claimed a task before
		// it noticed.
		if requeued, err = n.requeue(ctx, tx, `state = 2 AND NOT EXISTS (SELECT 1 FROM braid_replicas r WHERE r.id = t.replica)`); err != nil {
			return err
		}
		// Waiting tasks whose River job a dead replica fetched but had not
		// claimed yet: River would leave that job running until its
		// rescuer's horizon. (River's client ID is the replica's.)
		fetched, err := n.requeue(ctx, tx, `state = 0 AND EXISTS (SELECT 1 FROM river_job j
			WHERE j.state = 'running' AND j.kind = 'braid_task'
			  AND (j.args->>'task')::bigint = t.id AND (j.args->>'attempt')::int = t.attempt
			  AND NOT EXISTS (SELECT 1 FROM braid_replicas r WHERE r.id = j.attempted_by[array_length(j.attempted_by, 1)]))`)
		if err != nil {
			return err
		}
		requeued += fetched
		if tag.RowsAffected() > 0 {
			if err := n.unstickAll(ctx, tx); err != nil {
				return err
			}
		}
		return n.expire(ctx, tx)
	})
	if requeued > 0 {
		n.stats.rerun.Add(int64(requeued))
	}
	return requeued, err
}

// unstickAll pumps every line that has tasks waiting and room for them:
// a replica that died between recording an end and pumping its line (see
// endAlone) may have left it so.
func (n *Node) unstickAll(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT DISTINCT b.line FROM braid_tasks b JOIN braid_lines l ON l.key = b.line
		WHERE b.state = 1 AND l.lim > (SELECT count(*) FROM braid_tasks h WHERE h.line = b.line AND h.state IN (0, 2))`)
	if err != nil {
		return err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	jobs, err := pumpLines(ctx, tx, lines)
	if err != nil {
		return err
	}
	return n.enqueue(ctx, tx, jobs)
}

// requeue gives the tasks that match where (on braid_tasks t, Running or
// Waiting) a new attempt and a new River job, in tx, and returns how
// many.
func (n *Node) requeue(ctx context.Context, tx pgx.Tx, where string, args ...any) (int, error) {
	rows, err := tx.Query(ctx, `UPDATE braid_tasks t SET state = 0, attempt = attempt + 1, replica = NULL, started_at = NULL
		WHERE `+where+` RETURNING id, attempt, priority`, args...)
	if err != nil {
		return 0, err
	}
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (job, error) {
		var j job
		return j, r.Scan(&j.id, &j.attempt, &j.priority)
	})
	if err != nil {
		return 0, err
	}
	return len(jobs), n.enqueue(ctx, tx, jobs)
}

// rejoin brings back a replica that was counted dead while it lived (it
// hung longer than the failure detection allows): the tasks it still
// runs get a new attempt elsewhere, whether or not a reaper got to them
// first, and its row is written again.
func (n *Node) rejoin(ctx context.Context) error {
	return n.inTx(ctx, func(tx pgx.Tx) error {
		c, err := n.requeue(ctx, tx, `state = 2 AND t.replica = $1`, n.cfg.replica)
		if err != nil {
			return err
		}
		n.stats.rerun.Add(int64(c))
		_, err = tx.Exec(ctx, `INSERT INTO braid_replicas (id, lock_key, beat, started) SELECT $1, $2, now, now FROM clock_timestamp() now
			ON CONFLICT (id) DO NOTHING`,
			n.cfg.replica, n.lockKey.Load())
		return err
	})
}

// loseLease cancels this node's running tasks with ErrLeaseLost: the
// cluster counts the replica dead and runs them again elsewhere. The count
// goes up first, so that a task claimed before and registered after sees
// it (see runClaimed).
func (n *Node) loseLease() {
	n.leaseLost.Add(1)
	n.cancelRunning(func(runningTask) bool { return true }, ErrLeaseLost)
}
