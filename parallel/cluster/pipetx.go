package cluster

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pipelined runs b in a transaction whose BEGIN is sent with b's
// statements, in one round trip, where pgx's Begin takes a round trip of
// its own. fn reads b's results from br (and closes it), may go on in
// tx, and the transaction commits if fn returns nil, else rolls back.
func (n *Node) pipelined(ctx context.Context, b *pgx.Batch, fn func(tx pgx.Tx, br pgx.BatchResults) error) error {
	conn, err := n.db.Acquire(ctx)
	if err != nil {
		return err
	}
	tx := &pipeTx{conn: conn}
	begun := &pgx.Batch{}
	begun.Queue(`BEGIN`)
	begun.QueuedQueries = append(begun.QueuedQueries, b.QueuedQueries...)
	br := conn.SendBatch(ctx, begun)
	if _, err = br.Exec(); err == nil {
		err = fn(tx, br)
	}
	if cerr := br.Close(); err == nil { // a no-op if fn closed it
		err = cerr
	}
	if err != nil {
		_ = tx.Rollback(ctx) // the error that matters is err
		return err
	}
	return tx.Commit(ctx)
}

// pipeTx is the transaction of pipelined, as a pgx.Tx for the code that
// takes one (River's InsertManyTx among it). It holds its pool
// connection until Commit or Rollback; a connection released in a
// transaction, after a failed ROLLBACK, is closed by the pool. It offers
// no nested transactions and no large objects: nothing here uses them.
type pipeTx struct{ conn *pgxpool.Conn }

var errPipeTx = errors.New("cluster: not offered in a pipelined transaction")

func (t *pipeTx) Begin(context.Context) (pgx.Tx, error) { return nil, errPipeTx }

func (t *pipeTx) Commit(ctx context.Context) error {
	tag, err := t.end(ctx, `COMMIT`)
	if err == nil && tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return err
}

func (t *pipeTx) Rollback(ctx context.Context) error {
	_, err := t.end(ctx, `ROLLBACK`)
	return err
}

// end sends COMMIT or ROLLBACK and gives the connection back to the pool.
func (t *pipeTx) end(ctx context.Context, sql string) (pgconn.CommandTag, error) {
	if t.conn == nil {
		return pgconn.CommandTag{}, pgx.ErrTxClosed
	}
	defer func() { t.conn.Release(); t.conn = nil }()
	return t.conn.Exec(ctx, sql)
}

func (t *pipeTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return t.conn.CopyFrom(ctx, table, cols, src)
}

func (t *pipeTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.conn.SendBatch(ctx, b)
}

func (t *pipeTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (t *pipeTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.conn.Conn().Prepare(ctx, name, sql)
}

func (t *pipeTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.conn.Exec(ctx, sql, args...)
}

func (t *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.conn.Query(ctx, sql, args...)
}

func (t *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.conn.QueryRow(ctx, sql, args...)
}

func (t *pipeTx) Conn() *pgx.Conn { return t.conn.Conn() }
