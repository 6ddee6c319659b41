package cluster

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/braid-go/braid/strategy"
)

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
//
// Round trips are what a tiny task costs, so a completion takes as few
// as its task allows: one (see endAlone) for a task in no plan whose end
// cannot decide its group, two (see endInLine) for any other when
// nothing follows from its end.
func (n *Node) complete(c claimed, out outcome, chain bool) (*claimed, error) {
	ctx := context.Background() // the record must land even when the job's context ended
	var next *claimed
	var fenced bool
	var err error
	if c.units == 0 && !mayDecide(c.strategy, out.state) {
		var stuck bool
		next, fenced, stuck, err = n.endAlone(ctx, c, out, chain)
		if err == nil && stuck {
			n.unstick(ctx, *c.line)
		}
	} else {
		next, fenced, err = n.endInLine(ctx, c, out, chain)
	}
	if fenced {
		n.stats.fenced.Add(1)
	}
	return next, err
}

// mayDecide reports whether a task ending in state st can be the deciding
// event of a group with strategy kind (see strategy.Tally.Observe): a
// race's success, a fail_fast or best_effort failure. No other end can
// stop a group.
func mayDecide(kind strategy.Kind, st State) bool {
	switch st {
	case stateSucceeded:
		return kind == strategy.KindRace
	case stateFailed:
		return kind == strategy.KindFailFast || kind == strategy.KindBestEffort
	}
	return false
}

// endAlone records the end of a task that decides nothing, in one
// pipelined batch, which PostgreSQL runs as one implicit transaction: one
// round trip. Its group's last end marks the group done in the same
// statement, and notifies its waiters. With chain, a task with a line
// passes its slot to the line's next task, claimed for this worker
// (next). No other task is let in, since River jobs for them could not
// be inserted in this transaction: if the line has tasks waiting and
// room for them after this end (stuck), the caller pumps it in a
// transaction of its own. Should this replica die before that, the
// reaper pumps the lines a dead replica may have left so (see reap).
func (n *Node) endAlone(ctx context.Context, c claimed, out outcome, chain bool) (next *claimed, fenced, stuck bool, err error) {
	err = retry(func() error {
		b := &pgx.Batch{}
		queueEnd(b, c, out)
		if c.line != nil {
			if chain {
				queuePump(b, *c.line, n.cfg.replica, 1)
			}
			b.Queue(stuckLine, *c.line)
		}
		br := n.db.SendBatch(ctx, b)
		var done bool
		var err error
		_, done, err = scanFinish(br.QueryRow(), c.group)
		next, stuck = nil, false
		if err == nil && c.line != nil {
			if chain {
				_, next, err = readPump(br, *c.line) // with most 1 and a replica, no job
			}
			if err == nil {
				err = br.QueryRow().Scan(&stuck)
			}
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		fenced = !done
		return err
	})
	if err != nil {
		next = nil // not claimed: the transaction did not commit, or may not have
	}
	return next, fenced, stuck, err
}

// readEnd reads the results of endInLine's batch: see scanFinish and
// readPump.
func readEnd(br pgx.BatchResults, c claimed) (g *groupRow, done bool, jobs []job, next *claimed, err error) {
	g, done, err = scanFinish(br.QueryRow(), c.group)
	if err == nil && c.line != nil {
		jobs, next, err = readPump(br, *c.line)
	}
	return g, done, jobs, next, err
}

// unstick pumps a line in a transaction of its own, after a completion
// that committed: a failure is tried again a few times, and is otherwise
// left to the line's next submission or end, which pump it too.
func (n *Node) unstick(ctx context.Context, line string) {
	for try := 0; try < 4; try++ {
		err := n.inTx(ctx, func(tx pgx.Tx) error {
			jobs, err := pumpLines(ctx, tx, []string{line})
			if err != nil {
				return err
			}
			return n.enqueue(ctx, tx, jobs)
		})
		if err == nil || !sleep(n.ctx, time.Duration(1<<try)*10*time.Millisecond) {
			return
		}
	}
}

// endInLine records the end of any other task in a transaction whose
// BEGIN rides in the first batch, with the end, the line's lock and its
// pump: what the results call for (a decision, a plan's next unit, River
// jobs for the tasks let in) follows, then COMMIT.
func (n *Node) endInLine(ctx context.Context, c claimed, out outcome, chain bool) (next *claimed, fenced bool, err error) {
	replica := ""
	if chain {
		replica = n.cfg.replica
	}
	err = retry(func() error {
		fenced = false
		b := &pgx.Batch{}
		queueEnd(b, c, out)
		if c.line != nil {
			queuePump(b, *c.line, replica, math.MaxInt32)
		}
		return n.pipelined(ctx, b, func(tx pgx.Tx, br pgx.BatchResults) error {
			var g *groupRow
			var done bool
			var jobs []job
			var err error
			g, done, jobs, next, err = readEnd(br, c)
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
	})
	return next, fenced, err
}

// queueEnd queues the statement that records the end of c: the task's
// row and its count in its group, whose row it locks and returns (see
// scanFinish), and the lock of its line, in one statement; what reads
// the line comes in the statements after it, which see the line as it
// is once locked. Shared rows are locked last, and group before line, so
// that completions of one group or line wait for each other only for
// the end of their transactions. The group's last end
// marks it done. The same statement notifies the end to those waiting
// for it: a lone task's to its waiters, the group's last end to the
// group's.
func queueEnd(b *pgx.Batch, c claimed, out outcome) {
	var msg, cause *string
	if out.err != nil {
		m := out.err.Error()
		msg = &m
	}
	if s := causeOf(out); s != "" {
		cause = &s
	}
	var output []byte
	if len(out.output) > 0 {
		output = out.output
	}
	note := "g:" + c.group
	if c.group == "" {
		note = "t:" + strconv.FormatInt(c.id, 10)
	}
	ok, failed := 0, 0
	switch out.state {
	case stateSucceeded:
		ok = 1
	case stateFailed:
		failed = 1
	}
	b.Queue(`WITH t AS (
			UPDATE braid_tasks SET state = $3, output = $4, error = $5, cause = $6, panic = $14,
				ended_at = clock_timestamp(), ran_ns = $7, waited_ns = $8
			WHERE id = $1 AND attempt = $2 AND state = 2 RETURNING group_id),
		g AS (
			UPDATE braid_groups SET ended = ended + 1, succeeded = succeeded + $9, failed = failed + $10,
				done_at = CASE WHEN ended + 1 >= size THEN clock_timestamp() ELSE done_at END
			WHERE id = (SELECT group_id FROM t)
			RETURNING strategy, tolerate, size, ended, succeeded, failed, decided_at IS NOT NULL AS decided, unit, units)
		SELECT EXISTS (SELECT 1 FROM t), g.*, (SELECT pg_notify('braid', $11) WHERE $12 OR g.ended >= g.size) IS NULL,
			(SELECT pg_advisory_xact_lock(`+lineLockClass+`, hashtext($13)) WHERE $13 IS NOT NULL) IS NULL
		FROM (SELECT) one LEFT JOIN g ON true`,
		c.id, c.attempt, int16(out.state), output, msg, cause, out.ran.Nanoseconds(), out.waited.Nanoseconds(), ok, failed,
		note, c.group == "", c.line, out.panics)
}

// causeOf is the cause stored with a task that did not end on its own
// account, "" for one that did.
func causeOf(out outcome) string {
	switch {
	case errors.Is(out.err, ErrStopped):
		return causeStopped
	case errors.Is(out.err, ErrSuperseded):
		return causeSuperseded
	case errors.Is(out.err, ErrUnknownKind):
		return causeUnknown
	case out.state == stateTimedOut || errors.Is(out.err, context.DeadlineExceeded):
		return causeDeadline
	case out.state == stateCanceled || out.state == stateSkipped:
		return causeCanceled
	}
	return ""
}

// scanFinish reads the end of a task as recorded: whether it was this
// attempt's to record (done), and its group as it is now, locked.
func scanFinish(row pgx.Row, group string) (*groupRow, bool, error) {
	var done bool
	var kind *int16
	var tolerate, size, ended, ok, failed, unit, units *int
	var decided *bool
	var quiet, locked bool
	if err := row.Scan(&done, &kind, &tolerate, &size, &ended, &ok, &failed, &decided, &unit, &units, &quiet, &locked); err != nil || kind == nil {
		return nil, done, err
	}
	return &groupRow{id: group, kind: strategy.Kind(*kind), tolerate: *tolerate, size: *size, ended: *ended,
		ok: *ok, failed: *failed, decided: *decided, unit: *unit, units: *units}, done, nil
}
