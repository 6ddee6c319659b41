package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
}

// Causes stored with a task that did not end on its own account.
const (
	causeStopped  = "stopped"
	causeDropped  = "dropped"
	causeCanceled = "canceled"
	causeDeadline = "deadline"
)

// work runs one River job: claim the task, run it, record how it ended.
// It returns an error only when the database failed, for River to retry.
func (n *Node) work(ctx context.Context, id int64, attempt int) error {
	c, ok, err := n.claim(ctx, n.db, id, attempt)
	if err != nil || !ok {
		return err
	}
	for {
		out := n.runClaimed(ctx, c)
		if errors.Is(out.err, errHandBack) {
			return n.handBack(c)
		}
		next, err := n.record(ctx, c, out)
		if err != nil || next == nil {
			return err
		}
		c = *next
	}
}

// record records how the task ended. The task ran, so its record must
// land: a failed write is tried again here, since a retry of the job by
// River would find the task Running and do nothing. It returns the task
// this worker runs next without going through River, if any (see
// complete).
func (n *Node) record(ctx context.Context, c claimed, out outcome) (*claimed, error) {
	chain := ctx.Err() == nil && !n.closed.Load()
	for try := 0; ; try++ {
		next, err := n.complete(c, out, chain)
		if err == nil || try == 8 || !sleep(n.ctx, time.Duration(1<<try)*10*time.Millisecond) {
			return next, err
		}
	}
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
	c := claimed{id: id, attempt: attempt}
	err := q.QueryRow(ctx, `UPDATE braid_tasks t SET state = 2, replica = $3, started_at = clock_timestamp()
		WHERE id = $1 AND attempt = $2 AND state = 0
		RETURNING coalesce(group_id, ''), key, kind, args, priority, line, (SELECT deadline FROM braid_groups g WHERE g.id = t.group_id)`,
		id, attempt, n.cfg.replica).Scan(&c.group, &c.key, &c.kind, &c.args, &c.priority, &c.line, &c.deadline)
	if errors.Is(err, pgx.ErrNoRows) {
		n.stats.stale.Add(1)
		return c, false, nil
	}
	return c, err == nil, err
}

// runClaimed runs the task on the node's pool, with a context that its
// group's decision, its deadline and the node's shutdown cancel.
func (n *Node) runClaimed(ctx context.Context, c claimed) outcome {
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
	n.running[c.id] = runningTask{group: c.group, cancel: cancel}
	if _, ok := n.stopped[c.group]; ok && c.group != "" {
		// The group's stop was heard before this task was registered.
		cancel(ErrStopped)
	}
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.running, c.id)
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

// complete records how the task ended, and what follows in the same
// transaction: its line lets the next task in, its group's strategy may
// decide. A completion of an attempt the cluster gave up on (its replica
// was counted dead and the task runs again elsewhere) changes nothing:
// the attempt number is its fencing token.
//
// With chain, the next task of the task's own line is claimed in the
// same transaction and returned, for this worker to run at once: the
// slot passes from one task of a line to the next without a round trip
// through River's queue, which is what keeps a line (a name, a kind's
// cluster-wide limit) as fast as River's queue without one.
func (n *Node) complete(c claimed, out outcome, chain bool) (*claimed, error) {
	ctx := context.Background() // the record must land even when the job's context ended
	var msg, cause *string
	if out.err != nil {
		m := out.err.Error()
		msg = &m
	}
	switch {
	case errors.Is(out.err, ErrStopped):
		s := causeStopped
		cause = &s
	case out.state == stateTimedOut || errors.Is(out.err, context.DeadlineExceeded):
		s := causeDeadline
		cause = &s
	case out.state == stateCanceled || out.state == stateSkipped:
		s := causeCanceled
		cause = &s
	}
	var output []byte
	if len(out.output) > 0 {
		output = out.output
	}
	var fenced bool
	var next *claimed
	ok, failed := 0, 0
	switch out.state {
	case stateSucceeded:
		ok = 1
	case stateFailed:
		failed = 1
	}
	replica := ""
	if chain {
		replica = n.cfg.replica
	}
	err := n.inTx(ctx, func(tx pgx.Tx) error {
		fenced, next = false, nil
		// One statement records the end and counts it in the group,
		// whose row it locks; the line's row is locked after it, in the
		// same round trip. Shared rows are locked last, and group before
		// line, so that completions of one group or line wait for each
		// other only for the end of their transactions.
		b := &pgx.Batch{}
		b.Queue(`WITH t AS (
				UPDATE braid_tasks SET state = $3, output = $4, error = $5, cause = $6,
					ended_at = clock_timestamp(), ran_ns = $7, waited_ns = $8
				WHERE id = $1 AND attempt = $2 AND state = 2 RETURNING group_id),
			g AS (
				UPDATE braid_groups SET ended = ended + 1, succeeded = succeeded + $9, failed = failed + $10
				WHERE id = (SELECT group_id FROM t)
				RETURNING strategy, tolerate, size, ended, succeeded, failed, decided_at IS NOT NULL AS decided, unit, units)
			SELECT EXISTS (SELECT 1 FROM t), g.* FROM (SELECT) one LEFT JOIN g ON true`,
			c.id, c.attempt, int16(out.state), output, msg, cause, out.ran.Nanoseconds(), out.waited.Nanoseconds(), ok, failed)
		if c.group == "" {
			b.Queue(`SELECT pg_notify('braid', $1)`, "t:"+strconv.FormatInt(c.id, 10))
		}
		if c.line != nil {
			queuePump(b, *c.line, replica)
		}
		br := tx.SendBatch(ctx, b)
		g, done, err := scanFinish(br.QueryRow(), c.group)
		if err == nil && c.group == "" {
			_, err = br.Exec()
		}
		var jobs []job
		if err == nil && c.line != nil {
			jobs, next, err = readPump(br, *c.line)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fenced = !done
		if g != nil && done {
			js, drop, err := n.observe(ctx, tx, g, c.id, out.state, next)
			if err != nil {
				return err
			}
			if drop {
				next = nil
			}
			jobs = append(jobs, js...)
		}
		return n.enqueue(ctx, tx, jobs)
	})
	if fenced {
		n.stats.fenced.Add(1)
	}
	if err != nil {
		return nil, err
	}
	return next, nil
}

// scanFinish reads the end of a task as recorded: whether it was this
// attempt's to record (done), and its group as it is now, locked.
func scanFinish(row pgx.Row, group string) (*groupRow, bool, error) {
	var done bool
	var kind *int16
	var tolerate, size, ended, ok, failed, unit, units *int
	var decided *bool
	if err := row.Scan(&done, &kind, &tolerate, &size, &ended, &ok, &failed, &decided, &unit, &units); err != nil || kind == nil {
		return nil, done, err
	}
	return &groupRow{id: group, kind: strategy.Kind(*kind), tolerate: *tolerate, size: *size, ended: *ended,
		ok: *ok, failed: *failed, decided: *decided, unit: *unit, units: *units}, done, nil
}
