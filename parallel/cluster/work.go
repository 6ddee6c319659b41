package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/braid-go/braid/strategy"
)

// riverWorker is the one River worker of a node: every braid task is a
// River job of kind braid_task, and the braid kind is looked up from the
// task's row.
type riverWorker struct {
	river.WorkerDefaults[jobArgs]
	n *Node
}

// Timeout: none. A task runs as long as it needs; whether its replica is
// alive is the lease's business, not a clock's.
func (w *riverWorker) Timeout(*river.Job[jobArgs]) time.Duration { return -1 }

func (w *riverWorker) Work(ctx context.Context, j *river.Job[jobArgs]) error {
	return w.n.work(ctx, j.Args.Task, j.Args.Attempt)
}

// claimed is a task this node has just moved to Running.
type claimed struct {
	id       int64
	attempt  int
	group    string
	key      string
	kind     string
	args     []byte
	priority bool
	line     *string
	deadline *time.Time
	waiters  bool          // its line had tasks waiting when it was claimed
	strategy strategy.Kind // its group's, if any
	units    int           // its plan's number of units; 0 outside a plan
}

// Causes stored with a task that did not end on its own account.
const (
	causeStopped    = "stopped"
	causeDropped    = "dropped"
	causeCanceled   = "canceled"
	causeDeadline   = "deadline"
	causeReplaced   = "replaced"
	causeSuperseded = "superseded"
	causeUnknown    = "unknown_kind" // the replica that took it has not registered its kind
)

// work runs one River job: claim the task, run it, record how it ended.
// It returns an error only when the database failed, for River to retry.
func (n *Node) work(ctx context.Context, id int64, attempt int) error {
	lost := n.leaseLost.Load() // before the claim: see runClaimed
	if !n.awaitLease(ctx) {
		return river.JobSnooze(0)
	}
	c, ok, err := n.claim(ctx, n.db, id, attempt)
	if err != nil || !ok {
		return err
	}
	for {
		out := n.runClaimed(ctx, c, lost)
		if errors.Is(out.err, errHandBack) || errors.Is(out.err, ErrLeaseLost) {
			// Stopped because this node shuts down, or because the cluster
			// counts this replica dead (its session ended): the task runs
			// again from the start, as a new attempt, on a replica that
			// holds its lease. Recording this run's end as the task's would
			// lose it: the reaper requeues only a task still Running.
			return n.handBack(c)
		}
		if n.detach(c, out) {
			return nil
		}
		lost = n.leaseLost.Load() // before record claims the next task, if any
		next, err := n.record(c, out, ctx.Err() == nil && !n.closed.Load() && !n.leaseless.Load())
		if err != nil || next == nil {
			return err
		}
		c = *next
	}
}

// awaitLease returns once this node holds its liveness session, true,
// or false if ctx ends or the node shuts down first. Without its
// session the cluster counts the replica dead: a task claimed then
// would also run again elsewhere. (A job left waiting here may be
// given to another replica by a reaper meanwhile; its claim then finds
// it stale.)
func (n *Node) awaitLease(ctx context.Context) bool {
	t := time.NewTimer(n.cfg.reapEvery)
	defer t.Stop()
	for {
		n.mu.Lock()
		ch := n.changed // closed after the session is back: see listenLoop
		n.mu.Unlock()
		if !n.leaseless.Load() {
			return true
		}
		if n.closed.Load() {
			return false
		}
		select {
		case <-ch:
		case <-t.C:
			t.Reset(n.cfg.reapEvery)
		case <-ctx.Done():
			return false
		}
	}
}

// record records how the task ended. The task ran, so its record must
// land: a failed write is tried again here, since a retry of the job by
// River would find the task Running and do nothing. It returns the task
// this worker runs next without going through River, if any (see
// complete).
func (n *Node) record(c claimed, out outcome, chain bool) (*claimed, error) {
	for try := 0; ; try++ {
		next, err := n.complete(c, out, chain)
		if err == nil || try == 8 || !sleep(n.ctx, time.Duration(1<<try)*10*time.Millisecond) {
			return next, err
		}
	}
}

// detach records the end of a task whose line had no task waiting when
// it was claimed, after its River job returned, so that its worker is
// free for River's next fetch a round trip earlier, as a River job that
// did its work is free before River records its completion. A task
// with waiters in its line is recorded before its job returns, for its
// worker to run the next one at once (see complete); so is an end that
// may decide its group or open a plan's next unit, so that no sibling
// takes its worker first; and so is any end while as many as the node
// has workers are being recorded, which bounds them. A replica that
// dies with an end not recorded has its task run again, as one that
// dies while running it.
func (n *Node) detach(c claimed, out outcome) bool {
	if c.waiters || c.units > 0 || mayDecide(c.strategy, out.state) || n.closed.Load() {
		return false
	}
	select {
	case n.ending <- struct{}{}:
	default:
		return false
	}
	n.recording.Add(1)
	go func() {
		defer n.recording.Done()
		defer func() { <-n.ending }()
		_, _ = n.record(c, out, false) // a failure after the retries is the same as on a synchronous end: the task stays Running
	}()
	return true
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// claim moves the task from Waiting to Running on this replica, if it is
// still the attempt this job was made for. A task its group's decision
// skipped, or that another attempt owns, is not claimed: the job was
// stale and ends doing nothing. The row lock makes the claim and a
// group's decision exclusive: whichever commits first wins.
func (n *Node) claim(ctx context.Context, q querier, id int64, attempt int) (claimed, bool, error) {
	var c claimed
	err := scanClaimed(q.QueryRow(ctx, `WITH claimed AS (
			UPDATE braid_tasks t SET state = 2, replica = $3, started_at = clock_timestamp()
			WHERE id = $1 AND attempt = $2 AND state = 0 RETURNING t.*)
		SELECT `+claimedColumns, id, attempt, n.cfg.replica), &c, nil)
	if errors.Is(err, pgx.ErrNoRows) {
		n.stats.stale.Add(1)
		return c, false, nil
	}
	return c, err == nil, err
}

// claimedColumns is what a claim reads of the tasks it moved to Running
// or let in (a statement's CTE "claimed"), and of their groups, for
// scanClaimed; waiters are other tasks waiting in the task's line.
const claimedColumns = `t.id, t.attempt, t.priority, t.state, coalesce(t.group_id, ''), t.key, t.kind, t.args, t.line,
	g.deadline, coalesce(g.strategy, 0), coalesce(g.units, 0),
	EXISTS (SELECT 1 FROM braid_tasks w WHERE w.line = t.line AND w.state = 1 AND w.id <> t.id)
	FROM claimed t LEFT JOIN braid_groups g ON g.id = t.group_id`

// scanClaimed reads claimedColumns into c, and the task's state into st
// if st is not nil.
func scanClaimed(row pgx.Row, c *claimed, st *int16) error {
	var state int16
	if st == nil {
		st = &state
	}
	var kind int16
	err := row.Scan(&c.id, &c.attempt, &c.priority, st, &c.group, &c.key, &c.kind, &c.args, &c.line, &c.deadline, &kind, &c.units, &c.waiters)
	c.strategy = strategy.Kind(kind)
	return err
}

// runClaimed runs the task on the node's pool, with a context that its
// group's decision, its deadline and the node's shutdown cancel.
func (n *Node) runClaimed(ctx context.Context, c claimed, lost uint64) outcome {
	e := n.kinds.lookup(c.kind)
	if e == nil {
		return outcome{state: stateFailed, err: fmt.Errorf("%w: %q on replica %s", ErrUnknownKind, c.kind, n.cfg.replica)}
	}
	tctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if c.deadline != nil {
		var stop context.CancelFunc
		tctx, stop = context.WithDeadline(tctx, *c.deadline)
		defer stop()
	}
	tctx = context.WithValue(tctx, infoKey{}, Info{Task: TaskID(c.id), Attempt: c.attempt, Replica: n.cfg.replica, Group: c.group, ID: c.key})
	n.mu.Lock()
	n.running[runKey{c.id, c.attempt}] = runningTask{group: c.group, cancel: cancel}
	// A lease lost, or a stop heard, before this task was registered: the
	// cancellations then did not reach it. lost is the count of losses
	// read before the claim.
	if n.leaseLost.Load() != lost {
		cancel(ErrLeaseLost)
	} else if k := stopKeys(c.id, c.group); k[0] != "" && !n.stopped[k[0]].IsZero() {
		cancel(ErrStopped)
	} else if !n.stopped[k[1]].IsZero() {
		cancel(ErrSuperseded)
	}
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.running, runKey{c.id, c.attempt})
		n.mu.Unlock()
	}()
	out := n.exec.run(tctx, c.group, c.key, c.priority, func(ctx context.Context) ([]byte, error) {
		return e.run(ctx, c.args)
	})
	// Keep why the task was stopped (its group's decision, a hand-back),
	// which the task's own error, usually context.Canceled, does not say.
	if cause := context.Cause(tctx); (out.state == stateCanceled || out.state == stateSkipped) && cause != nil && cause != context.Canceled {
		if out.err == nil || errors.Is(out.err, cause) {
			out.err = cause
		} else {
			out.err = fmt.Errorf("%w: %w", cause, out.err)
		}
	}
	return out
}

// handBack returns a task this node will not finish to the queue, as a
// new attempt, so that another replica runs it from the start.
func (n *Node) handBack(c claimed) error {
	return n.inTx(context.Background(), func(tx pgx.Tx) error {
		var attempt int
		err := tx.QueryRow(context.Background(), `UPDATE braid_tasks SET state = 0, attempt = attempt + 1, replica = NULL, started_at = NULL
			WHERE id = $1 AND attempt = $2 AND state = 2 RETURNING attempt`, c.id, c.attempt).Scan(&attempt)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return n.enqueue(context.Background(), tx, []job{{id: c.id, attempt: attempt, priority: c.priority}})
	})
}
