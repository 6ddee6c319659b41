package cluster

import (
	"context"
	"time"

	"github.com/braid-go/braid/pool"
)

// executor runs a worker node's tasks on a braid pool: the pool's limit
// is the node's, its events and stats are the node's. This file is the
// only one that calls into package pool beyond its State type.
type executor struct{ p *pool.Pool }

func newExecutor(cfg config) (*executor, error) {
	opts := []pool.Option{pool.MaxWorkers(cfg.workers), pool.PoolLabel(cfg.replica)}
	if cfg.hook != nil {
		opts = append(opts, pool.OnEvent(cfg.hook))
	}
	p, err := pool.New(opts...)
	if err != nil {
		return nil, err
	}
	return &executor{p: p}, nil
}

// outcome is how one run of a task ended on this node.
type outcome struct {
	state  State
	err    error
	output []byte
	waited time.Duration // in this node's pool
	ran    time.Duration
}

// run runs fn on the pool and waits for it to end. River already holds
// one of the node's slots for the task, so the pool's limit is never the
// one that makes it wait: the pool is here for its states, events and
// stats, and for the priority lane.
func (e *executor) run(ctx context.Context, group, id string, prio bool, fn func(ctx context.Context) ([]byte, error)) outcome {
	var out []byte
	opts := []pool.TaskOption{pool.Label(group, id)}
	if prio {
		opts = append(opts, pool.Priority())
	}
	t, err := e.p.Submit(ctx, func(ctx context.Context) error {
		var err error
		out, err = fn(ctx)
		return err
	}, opts...)
	if err != nil {
		return outcome{state: pool.Skipped, err: err}
	}
	<-t.Done()
	times := t.Times()
	return outcome{state: t.State(), err: t.Err(), output: out, waited: times.Waited + times.Blocked, ran: times.Ran}
}

// stats returns the pool's counters.
func (e *executor) stats() pool.Stats { return e.p.Stats() }

func (e *executor) close() { _ = e.p.Close() }
