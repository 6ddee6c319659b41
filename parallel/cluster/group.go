package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Group is a set of tasks, each a call of a registered kind with an ID
// unique in the group and a result of type T, run across the cluster
// under one strategy. Add the calls, then Start (or Run) the group once.
// Any node can wait for a started group by its ID ([WaitGroup]).
type Group[T any] struct {
	n       *Node
	cfg     groupConfig
	mu      sync.Mutex
	tasks   []task
	started bool
}

// NewGroup returns an empty group of node n. It returns an error wrapping
// [ErrInvalid] for a bad option.
func NewGroup[T any](n *Node, opts ...GroupOption) (*Group[T], error) {
	n.use()
	var cfg groupConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	return &Group[T]{n: n, cfg: cfg}, nil
}

// Add adds a call. It returns [ErrEmptyID] or [ErrDuplicateID] for a bad
// ID, [ErrUnknownKind] for a kind this node has not registered, and
// [ErrStarted] once the group started.
func (g *Group[T]) Add(id string, c Call[T]) error {
	g.use()
	if id == "" {
		return ErrEmptyID
	}
	t, err := g.n.prepare(id, c.kind, c.args, c.opts)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.started:
		return ErrStarted
	case slices.ContainsFunc(g.tasks, func(x task) bool { return x.key == id }):
		return ErrDuplicateID
	}
	g.tasks = append(g.tasks, t)
	return nil
}

// use panics on a nil Group or one not made by NewGroup.
func (g *Group[T]) use() {
	if g == nil || g.n == nil {
		panic("cluster: a zero or nil Group; make one with cluster.NewGroup")
	}
}

// Start inserts the group and its tasks durably, in one transaction, and
// returns the group's ID. The tasks run on whichever replicas take them.
// It returns [ErrClosed] once the group's node is closed.
func (g *Group[T]) Start(ctx context.Context) (string, error) {
	g.use()
	tasks, err := g.begin()
	if err != nil {
		return "", err
	}
	var id string
	err = g.n.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		id, err = g.insertTx(ctx, tx, tasks)
		return err
	})
	if err != nil {
		// Not started after all: the transaction rolled back.
		g.mu.Lock()
		g.started = false
		g.mu.Unlock()
	}
	return id, err
}

// StartTx is Start inside the caller's transaction: the group exists,
// and its tasks may run, only once tx commits, and not at all if it
// rolls back.
func (g *Group[T]) StartTx(ctx context.Context, tx pgx.Tx) (string, error) {
	g.use()
	tasks, err := g.begin()
	if err != nil {
		return "", err
	}
	return g.insertTx(ctx, tx, tasks)
}

// begin marks the group started, and returns its tasks, or ErrStarted
// if it was, or ErrClosed if its node is closed.
func (g *Group[T]) begin() ([]task, error) {
	if g.n.closed.Load() {
		return nil, ErrClosed
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started {
		return nil, ErrStarted
	}
	g.started = true
	return slices.Clone(g.tasks), nil
}

// insertTx inserts the group and its tasks in tx; Start calls it again
// when it retries its transaction.
func (g *Group[T]) insertTx(ctx context.Context, tx pgx.Tx, tasks []task) (string, error) {
	id := g.cfg.id
	if id == "" {
		id = newID()
	}
	for i := range tasks {
		tasks[i].lineFor(id, g.cfg.workers)
	}
	if err := createGroup(ctx, tx, id, g.cfg, len(tasks), 0); err != nil {
		return "", err
	}
	_, err := g.n.insert(ctx, tx, id, tasks)
	return id, err
}

// Run starts the group and waits for it: see [WaitGroup].
func (g *Group[T]) Run(ctx context.Context) (*Results[T], error) {
	id, err := g.Start(ctx)
	if err != nil {
		return nil, err
	}
	return WaitGroup[T](ctx, g.n, id)
}

// WaitGroup waits until every task of the group id has ended, on any
// replica, and returns their results and the group's verdict: nil if it
// succeeded under its strategy, else the strategy's error. Any node may
// wait for any group. It returns [ErrNotFound] for an unknown group, and
// ctx's error if ctx ends first.
func WaitGroup[T any](ctx context.Context, n *Node, id string) (*Results[T], error) {
	n.use()
	var res *Results[T]
	var verdict error
	err := n.waitUntil(ctx, func(ctx context.Context) (bool, error) {
		var done bool
		err := pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
			var err error
			res, verdict, done, err = loadGroup[T](ctx, tx, id)
			return err
		})
		return done, err
	})
	if err != nil {
		return nil, err
	}
	return res, verdict
}

// createGroup inserts a group's row: a plan's when units > 0.
func createGroup(ctx context.Context, tx pgx.Tx, id string, cfg groupConfig, size, units int) error {
	var deadline *time.Time
	if cfg.timeout > 0 {
		d := time.Now().Add(cfg.timeout)
		deadline = &d
	}
	unit := -1
	if units > 0 {
		unit = 0
	}
	_, err := tx.Exec(ctx, `INSERT INTO braid_groups (id, strategy, tolerate, size, deadline, unit, units, done_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $4 = 0 THEN clock_timestamp() END)`,
		id, int16(cfg.strategy.Kind()), tolerance(cfg.strategy, size), size, deadline, unit, units)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return ErrDuplicateID
	}
	return err
}

// newID returns a random group ID.
func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
