package cluster

import (
	"sync/atomic"

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
	// ReapErrors counts failed looks for dead replicas (the database was
	// unreachable); the next look tries again.
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
