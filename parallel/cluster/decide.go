package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/braid-go/braid/strategy"
)

// groupRow is a group's row, locked for the transaction that records one
// of its tasks' ends.
type groupRow struct {
	id                      string
	kind                    strategy.Kind
	tolerate                int
	size, ended, ok, failed int
	decided                 bool
	unit, units             int // a plan's open unit and its number of units; -1 and 0 for a group
}

func lockGroup(ctx context.Context, tx pgx.Tx, id string) (*groupRow, error) {
	return scanGroup(tx.QueryRow(ctx, `SELECT `+groupColumns+` FROM braid_groups WHERE id = $1 FOR UPDATE`, id), id)
}

// countSkipped counts k more tasks of group id as ended (Skipped), and
// returns the group, locked.
func countSkipped(ctx context.Context, tx pgx.Tx, id string, k int) (*groupRow, error) {
	return scanGroup(tx.QueryRow(ctx, `UPDATE braid_groups SET ended = ended + $2 WHERE id = $1 RETURNING `+groupColumns, id, k), id)
}

// groupColumns are the columns of braid_groups that scanGroup reads.
const groupColumns = `strategy, tolerate, size, ended, succeeded, failed, decided_at IS NOT NULL, unit, units`

func scanGroup(row pgx.Row, id string) (*groupRow, error) {
	g := &groupRow{id: id}
	var kind int16
	err := row.Scan(&kind, &g.tolerate, &g.size, &g.ended, &g.ok, &g.failed, &g.decided, &g.unit, &g.units)
	g.kind = strategy.Kind(kind)
	return g, err
}

// rebuild makes the strategy a group was stored with: its kind and its
// tolerance, resolved against the group's size when it started.
func rebuild(kind strategy.Kind, tolerate int) strategy.Strategy {
	var s strategy.Strategy
	switch kind {
	case strategy.KindFailFast:
		s = strategy.FailFast()
	case strategy.KindBestEffort:
		s = strategy.BestEffort()
	case strategy.KindRace:
		s = strategy.Race()
	default:
		return strategy.WaitAll()
	}
	if tolerate >= 0 {
		s = s.Tolerate(tolerate)
	}
	return s
}

// tolerance resolves s's tolerance for a group of size tasks, as a count
// of failures (-1: none), by asking a tally after how many failures it
// would stop. It is how a fraction becomes a number the database keeps.
func tolerance(s strategy.Strategy, size int) int {
	if s.Kind() != strategy.KindBestEffort {
		return -1
	}
	t := s.Start(size)
	for i := range size {
		if t.Observe(i, strategy.Failed, errFailed) {
			return i
		}
	}
	return -1
}

var errFailed = errors.New("failed")

// status is what a strategy sees of a final state.
func status(st State) strategy.Status {
	switch st {
	case stateSucceeded:
		return strategy.Succeeded
	case stateFailed:
		return strategy.Failed
	case stateSkipped:
		return strategy.Skipped
	default:
		return strategy.Canceled
	}
}

// decides reports whether the end of one more task, with state st, is
// the deciding event of g, whose counts include it. The group was
// undecided before it, so the outcomes recorded before did not decide
// it, whatever their order: replaying them into a fresh tally puts it
// where the group stood.
func decides(g *groupRow, st State) bool {
	if st != stateSucceeded && st != stateFailed {
		return false
	}
	ok, failed := g.ok, g.failed
	var err error
	if st == stateSucceeded {
		ok--
	} else {
		failed--
		err = errFailed
	}
	t := rebuild(g.kind, g.tolerate).Start(g.size)
	i := 0
	for range ok {
		t.Observe(i, strategy.Succeeded, nil)
		i++
	}
	for range failed {
		t.Observe(i, strategy.Failed, errFailed)
		i++
	}
	return t.Observe(i, status(st), err)
}

// observe follows the end of task id, with state st, in g, whose counts
// already include it. When that end decides the group, it stops the
// group in the same transaction: every task of the group that has not
// started is skipped, the decision (which task, when) is written with
// the result, and every replica is told to cancel the group's running
// tasks. In a plan, it opens the next unit when this one is over. It
// returns the jobs of the tasks let into lines, and whether the task
// chained for this worker must be dropped.
func (n *Node) observe(ctx context.Context, tx pgx.Tx, g *groupRow, id int64, st State, chained *claimed) (jobs []job, drop bool, err error) {
	stop := !g.decided && decides(g, st)
	var decidedBy *int64
	unit := g.unit
	if stop {
		decidedBy = &id
		if jobs, err = skipUnstarted(ctx, tx, g, causeStopped, ErrStopped); err != nil {
			return nil, false, err
		}
		// The task this worker claimed to run next, in this same
		// transaction, must not start either if it is of this group.
		if chained != nil && chained.group == g.id {
			if _, err := tx.Exec(ctx, `UPDATE braid_tasks SET state = 6, cause = 'stopped', error = $2, ended_at = clock_timestamp(),
					replica = NULL, started_at = NULL WHERE id = $1`, chained.id, ErrStopped.Error()); err != nil {
				return nil, false, err
			}
			g.ended++
			drop = true
			js, err := pumpLines(ctx, tx, []string{*chained.line}) // the slot it held
			if err != nil {
				return nil, false, err
			}
			jobs = append(jobs, js...)
		}
	}
	if !stop && !g.decided && g.unit >= 0 {
		js, err := advance(ctx, tx, g)
		if err != nil {
			return nil, false, err
		}
		jobs = append(jobs, js...)
	}
	if stop || g.unit != unit || g.ended >= g.size {
		// decided_at is read after the skip above, so every task that
		// started before the decision started before decided_at.
		_, err = tx.Exec(ctx, `UPDATE braid_groups SET ended = $2,
				decided_by = coalesce(decided_by, $3), decided_at = CASE WHEN $3::bigint IS NOT NULL THEN clock_timestamp() ELSE decided_at END,
				done_at = CASE WHEN $2 >= size THEN clock_timestamp() END, unit = $4
			WHERE id = $1`, g.id, g.ended, decidedBy, g.unit)
		if err != nil {
			return nil, false, err
		}
	}
	if stop {
		if _, err := tx.Exec(ctx, `SELECT pg_notify('braid', 'c:' || $1)`, g.id); err != nil {
			return nil, false, err
		}
	}
	if g.ended >= g.size {
		if _, err := tx.Exec(ctx, `SELECT pg_notify('braid', 'g:' || $1)`, g.id); err != nil {
			return nil, false, err
		}
	}
	return jobs, drop, nil
}

// skipUnstarted ends every task of g that has not started, Skipped with
// cause, and lets other tasks into the lines they leave.
func skipUnstarted(ctx context.Context, tx pgx.Tx, g *groupRow, cause string, err error) ([]job, error) {
	rows, qerr := tx.Query(ctx, `UPDATE braid_tasks SET state = 6, cause = $2, error = $3, ended_at = clock_timestamp()
		WHERE group_id = $1 AND state IN (0, 1) RETURNING coalesce(line, '')`, g.id, cause, err.Error())
	if qerr != nil {
		return nil, qerr
	}
	lines, qerr := pgx.CollectRows(rows, pgx.RowTo[string])
	if qerr != nil {
		return nil, qerr
	}
	g.ended += len(lines)
	slices.Sort(lines)
	lines = slices.Compact(lines)
	if len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	return pumpLines(ctx, tx, lines)
}

// CancelGroup stops the group id across the cluster, as a decision would:
// its tasks that have not started are skipped, and its running ones see
// their context cancelled (cause [ErrStopped]) on whatever replica runs
// them. Cancelling a group that is decided or done does nothing.
func CancelGroup(ctx context.Context, n *Node, id string) error {
	n.use()
	err := n.inTx(ctx, func(tx pgx.Tx) error {
		g, err := lockGroup(ctx, tx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: group %q", ErrNotFound, id)
		}
		if err != nil || g.decided || g.ended >= g.size {
			return err
		}
		return n.stop(ctx, tx, g, causeCanceled, context.Canceled, true)
	})
	return err
}

// stop skips g's unstarted tasks with cause and records the group's
// count. With decide it also marks the group decided, so that no later
// end decides it, and tells the replicas to cancel its running tasks.
func (n *Node) stop(ctx context.Context, tx pgx.Tx, g *groupRow, cause string, why error, decide bool) error {
	jobs, err := skipUnstarted(ctx, tx, g, cause, why)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE braid_groups SET ended = $2, decided_at = CASE WHEN $3 THEN clock_timestamp() ELSE decided_at END,
			done_at = CASE WHEN $2 >= size THEN clock_timestamp() END WHERE id = $1`, g.id, g.ended, decide)
	if err != nil {
		return err
	}
	if decide {
		if _, err := tx.Exec(ctx, `SELECT pg_notify('braid', 'c:' || $1)`, g.id); err != nil {
			return err
		}
	}
	if g.ended >= g.size {
		if _, err := tx.Exec(ctx, `SELECT pg_notify('braid', 'g:' || $1)`, g.id); err != nil {
			return err
		}
	}
	return n.enqueue(ctx, tx, jobs)
}

// expire skips the unstarted tasks of groups whose timeout passed, so
// that they end on time even when no replica has a free worker to find
// out. (Their running tasks have the deadline in their context.)
func (n *Node) expire(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT id FROM braid_groups g
		WHERE deadline < clock_timestamp() AND done_at IS NULL
		  AND EXISTS (SELECT 1 FROM braid_tasks t WHERE t.group_id = g.id AND t.state IN (0, 1))
		ORDER BY id LIMIT 100`)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, id := range ids {
		g, err := lockGroup(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := n.stop(ctx, tx, g, causeDeadline, context.DeadlineExceeded, false); err != nil {
			return err
		}
	}
	return nil
}
