package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	panics []byte // for a task that panicked: its value and stack, as JSON (see panicOf)
}

// panicRecord is how a task's panic is stored, in braid_tasks.panic.
type panicRecord struct {
	Value string `json:"value"`
	Stack string `json:"stack"`
}

// panicOf encodes the panic err carries, nil if none.
func panicOf(err error) []byte {
	var pe *pool.PanicError
	if !errors.As(err, &pe) {
		return nil
	}
	b, _ := json.Marshal(panicRecord{Value: fmt.Sprint(pe.Value), Stack: string(pe.Stack)}) // strings always encode
	return b
}

// panicError decodes a stored panic into the pool's typed error: its
// value as text (its type stayed on the replica), and its stack.
func panicError(raw []byte) error {
	var r panicRecord
	if json.Unmarshal(raw, &r) != nil {
		return nil
	}
	return &pool.PanicError{Value: r.Value, Stack: []byte(r.Stack)}
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
	return outcome{state: t.State(), err: t.Err(), output: out, waited: times.Waited + times.Blocked, ran: times.Ran, panics: panicOf(t.Err())}
}

// stats returns the pool's counters.
func (e *executor) stats() pool.Stats { return e.p.Stats() }

func (e *executor) close() { _ = e.p.Close() }
