package cluster

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Prune deletes what the cluster keeps of work that ended more than
// olderThan ago, by the database's clock: groups and plans done by then,
// with all their tasks, and lone tasks ended by then; and the lines left
// with no task, except a name's line whose limit is not 1 (a later task
// of the name without [NameLimit] keeps that limit). [Wait] and
// [WaitGroup] report [ErrNotFound] for what it deleted. River deletes its
// own jobs (its job cleaner). It returns how many tasks it deleted, and
// an [ErrInvalid] error for a negative olderThan. Any node may prune;
// [Retention] makes worker nodes do it on their own.
func Prune(ctx context.Context, n *Node, olderThan time.Duration) (int, error) {
	n.use()
	if olderThan < 0 {
		return 0, invalid("Prune(%v): must be >= 0", olderThan)
	}
	var deleted int
	err := n.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		deleted, err = prune(ctx, tx, olderThan)
		return err
	})
	return deleted, err
}

// prune is Prune in tx.
func prune(ctx context.Context, tx pgx.Tx, olderThan time.Duration) (int, error) {
	cutoff := `clock_timestamp() - $1 * interval '1 microsecond'`
	tag, err := tx.Exec(ctx, `DELETE FROM braid_tasks t USING braid_groups g
		WHERE t.group_id = g.id AND g.done_at < `+cutoff, olderThan.Microseconds())
	if err != nil {
		return 0, err
	}
	deleted := int(tag.RowsAffected())
	if _, err = tx.Exec(ctx, `DELETE FROM braid_groups WHERE done_at < `+cutoff, olderThan.Microseconds()); err != nil {
		return 0, err
	}
	if tag, err = tx.Exec(ctx, `DELETE FROM braid_tasks WHERE group_id IS NULL AND state >= 3 AND ended_at < `+cutoff,
		olderThan.Microseconds()); err != nil {
		return 0, err
	}
	deleted += int(tag.RowsAffected())
	// A line is deleted under its lock, which a submitter takes before it
	// creates the line (see upsertLines): one that found the line before
	// it was deleted creates it again.
	// A thousand at a time bounds the locks one transaction holds; the
	// next prune takes the rest.
	rows, err := tx.Query(ctx, `SELECT key FROM braid_lines l
		WHERE NOT EXISTS (SELECT 1 FROM braid_tasks t WHERE t.line = l.key) AND (l.key NOT LIKE 'name:%' OR l.lim = 1)
		ORDER BY key LIMIT 1000`)
	if err != nil {
		return 0, err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(lines) == 0 {
		return deleted, err
	}
	b := &pgx.Batch{}
	b.Queue(lockLines, lines)
	b.Queue(`DELETE FROM braid_lines l WHERE key = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM braid_tasks t WHERE t.line = l.key) AND (l.key NOT LIKE 'name:%' OR l.lim = 1)`, lines)
	return deleted, tx.SendBatch(ctx, b).Close()
}

// pruneTurn prunes for Retention, on one worker node at a time: the
// others skip while one holds the lock.
func (n *Node) pruneTurn(ctx context.Context) error {
	return n.inTx(ctx, func(tx pgx.Tx) error {
		var mine bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1, 0)`, lockClass+3).Scan(&mine); err != nil || !mine {
			return err
		}
		_, err := prune(ctx, tx, n.cfg.retain)
		return err
	})
}
