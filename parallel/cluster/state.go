package cluster

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/braid-go/braid/pool"
)

// State is where a task is in its life, as in package pool: Waiting (River
// holds a job for it), Blocked (in its name's line, with no job yet),
// Running (on a replica), then exactly one final state.
type State = pool.State

// The states, as stored in braid_tasks.state.
const (
	stateWaiting   = pool.Waiting
	stateBlocked   = pool.Blocked
	stateRunning   = pool.Running
	stateSucceeded = pool.Succeeded
	stateFailed    = pool.Failed
	stateCanceled  = pool.Canceled
	stateSkipped   = pool.Skipped
	stateTimedOut  = pool.TimedOut
)

// counters are a node's cumulative counts, for Stats.
type counters struct {
	stale, fenced, rerun, reapErrors atomic.Int64
}

// Stats is a snapshot of one node.
type Stats struct {
	Pool pool.Stats // the node's pool: its limit, running tasks, and how they ended

	// Stale counts River jobs this node took that did nothing: their task
	// was skipped by its group's decision, or a newer attempt owns it.
	Stale int64
	// Fenced counts completions this node made that the cluster
	// rejected: the task had been given a new attempt, because this
	// replica was counted dead.
	Fenced int64
	// Rerun counts tasks of dead replicas this node queued again.
	Rerun int64
	// ReapErrors counts failed rounds of the node's upkeep: looks for
	// dead replicas and, with [Retention], prunes (the database was
	// unreachable); the next round tries again.
	ReapErrors int64
}

// Stats returns the node's counters, and its pool's.
func (n *Node) Stats() Stats {
	s := Stats{
		Stale: n.stats.stale.Load(), Fenced: n.stats.fenced.Load(),
		Rerun: n.stats.rerun.Load(), ReapErrors: n.stats.reapErrors.Load(),
	}
	if n.exec != nil {
		s.Pool = n.exec.stats()
	}
	return s
}

// ClusterStats is a snapshot of the whole cluster, read from the
// database.
type ClusterStats struct {
	Waiting, Blocked, Running int            // tasks not ended: with a River job, in a line, on a replica
	Replicas                  []ReplicaStats // the live worker replicas, by ID
}

// ReplicaStats is one live worker replica in [ClusterStats].
type ReplicaStats struct {
	ID      string
	Running int       // tasks it runs now
	Beat    time.Time // its last heartbeat, by the database's clock
	Since   time.Time // when it joined
}

// ClusterStats reads how many tasks wait, wait in lines and run, and on
// which replicas.
func (n *Node) ClusterStats(ctx context.Context) (ClusterStats, error) {
	var s ClusterStats
	err := n.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 0), count(*) FILTER (WHERE state = 1), count(*) FILTER (WHERE state = 2)
		FROM braid_tasks WHERE state < 3`).Scan(&s.Waiting, &s.Blocked, &s.Running)
	if err != nil {
		return s, err
	}
	rows, err := n.db.Query(ctx, `SELECT r.id, (SELECT count(*) FROM braid_tasks t WHERE t.state = 2 AND t.replica = r.id), r.beat, r.started
		FROM braid_replicas r ORDER BY r.id`)
	if err != nil {
		return s, err
	}
	s.Replicas, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReplicaStats, error) {
		var x ReplicaStats
		return x, r.Scan(&x.ID, &x.Running, &x.Beat, &x.Since)
	})
	return s, err
}
