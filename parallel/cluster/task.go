package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Submit inserts one call durably, to run on whichever replica takes it,
// and returns its ID for [Wait]. It returns [ErrClosed] once n is
// closed.
func Submit[R any](ctx context.Context, n *Node, c Call[R]) (TaskID, error) {
	n.use()
	if n.closed.Load() {
		return 0, ErrClosed
	}
	var id TaskID
	err := n.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		id, err = SubmitTx(ctx, n, tx, c)
		return err
	})
	return id, err
}

// SubmitTx is Submit inside the caller's transaction: the task exists,
// and may run, only once tx commits.
func SubmitTx[R any](ctx context.Context, n *Node, tx pgx.Tx, c Call[R]) (TaskID, error) {
	n.use()
	if n.closed.Load() {
		return 0, ErrClosed
	}
	t, err := n.prepare("", c.kind, c.args, c.opts)
	if err != nil {
		return 0, err
	}
	t.lineFor("", 0)
	ids, err := n.insert(ctx, tx, "", []task{t})
	if err != nil {
		return 0, err
	}
	return TaskID(ids[0]), nil
}

// Wait waits until the task ends, on any replica, and returns how. The
// task's own error is in the result; the error returned is ctx's, or
// [ErrNotFound], or the database's.
func Wait[R any](ctx context.Context, n *Node, id TaskID) (Result[R], error) {
	n.use()
	var r Result[R]
	err := n.waitUntil(ctx, func(ctx context.Context) (bool, error) {
		var err error
		r, err = scanTask[R](n.db.QueryRow(ctx, `SELECT `+taskColumns+` FROM braid_tasks WHERE id = $1`, int64(id)))
		if errors.Is(err, pgx.ErrNoRows) {
			return false, fmt.Errorf("%w: task %d", ErrNotFound, id)
		}
		return err == nil && r.State.Final(), err
	})
	return r, err
}
