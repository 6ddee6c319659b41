package pool_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// A lineCase is a wait behind other waiters in a name's or a resource's
// line. A, holding resource N, waits for its child X, which queues behind
// the waiters ahead, which queue behind the holders. The holders end once
// released, after A's wait has returned or is seen waiting.
type lineCase struct {
	name     string
	opts     []pool.Option
	holders  [][]pool.TaskOption // run until released, or wait for N
	ahead    []lineWaiter        // queued, in order, after the holders
	x        pool.TaskOption     // X's keys
	deadlock bool                // whether A's wait closes a cycle
}

// A lineWaiter is a task queued ahead of X: submitted, or, with viaGo,
// given to Go (a Go task with just a name may wait in the pool's queue
// instead of the name's line, see Name).
type lineWaiter struct {
	keys  []pool.TaskOption
	viaGo bool
}

func submitted(keys ...pool.TaskOption) lineWaiter { return lineWaiter{keys: keys} }

func viaGo(keys ...pool.TaskOption) lineWaiter { return lineWaiter{keys: keys, viaGo: true} }

// TestDeadlockBehindAWaiterThatCannotProceed: the waiters ahead of X in
// its line take their turn first, so one that will wait for ever once it
// has its turn (for N, held by A) keeps X waiting as well. A's wait closes
// the cycle and gets ErrDeadlock at once; everything then ends. Each case
// hung while the search looked only at the holders of a key; the first and
// the fourth are the two hangs a tester found.
func TestDeadlockBehindAWaiterThatCannotProceed(t *testing.T) {
	runLineCases(t, []lineCase{{
		name:     "resource M, behind a request for M and N",
		holders:  [][]pool.TaskOption{{pool.Resources("M")}},
		ahead:    []lineWaiter{submitted(pool.Resources("M", "N"))},
		x:        pool.Resources("M"),
		deadlock: true,
	}, {
		name:     "resource M, behind a request for M and N behind a request for M",
		holders:  [][]pool.TaskOption{{pool.Resources("M")}},
		ahead:    []lineWaiter{submitted(pool.Resources("O", "M")), submitted(pool.Resources("M", "N"))},
		x:        pool.Resources("M", "P"),
		deadlock: true,
	}, {
		name:     "resource O, behind a request for O behind a request for M and N",
		holders:  [][]pool.TaskOption{{pool.Resources("M")}},
		ahead:    []lineWaiter{submitted(pool.Resources("M", "N")), submitted(pool.Resources("M", "O"))},
		x:        pool.Resources("O"),
		deadlock: true,
	}, {
		name:     "name M, behind a waiter that needs N next",
		holders:  [][]pool.TaskOption{{pool.Name("M")}},
		ahead:    []lineWaiter{submitted(pool.Name("M"), pool.Resources("N"))},
		x:        pool.Name("M"),
		deadlock: true,
	}, {
		name:     "name M, whose own task needs N next",
		holders:  [][]pool.TaskOption{{pool.Name("M")}},
		x:        pool.Name("M").And(pool.Resources("N")),
		deadlock: true,
	}, {
		name:     "name M, behind a waiter that needs O next, requested by one that needs N",
		holders:  [][]pool.TaskOption{{pool.Name("M")}, {pool.Resources("O")}},
		ahead:    []lineWaiter{submitted(pool.Resources("O", "N")), submitted(pool.Name("M"), pool.Resources("O"))},
		x:        pool.Name("M"),
		deadlock: true,
	}, {
		name:     "name M, behind a waiter that needs N next and pending Go tasks",
		holders:  [][]pool.TaskOption{{pool.Name("M")}},
		ahead:    []lineWaiter{submitted(pool.Name("M"), pool.Resources("N")), viaGo(pool.Name("M")), viaGo(pool.Name("M"))},
		x:        pool.Name("M"),
		deadlock: true,
	}, {
		name:     "name M of limit 2, behind two waiters that need N next",
		opts:     []pool.Option{pool.NameLimit("M", 2)},
		holders:  [][]pool.TaskOption{{pool.Name("M")}, {pool.Name("M")}},
		ahead:    []lineWaiter{submitted(pool.Name("M"), pool.Resources("N")), submitted(pool.Name("M"), pool.Resources("N"))},
		x:        pool.Name("M"),
		deadlock: true,
	}, {
		name:     "name M of limit 2, held by a task waiting for N, behind a waiter that needs N next",
		opts:     []pool.Option{pool.NameLimit("M", 2)},
		holders:  [][]pool.TaskOption{{pool.Name("M"), pool.Resources("N")}, {pool.Name("M")}},
		ahead:    []lineWaiter{submitted(pool.Name("M"), pool.Resources("N"))},
		x:        pool.Name("M"),
		deadlock: true,
	}})
}

// TestNoDeadlockBehindAWaiterThatCanProceed: the waiters ahead of X in its
// line will all end, or enough of them to leave X a place: A's wait is no
// deadlock, and ends once the holders do.
func TestNoDeadlockBehindAWaiterThatCanProceed(t *testing.T) {
	runLineCases(t, []lineCase{{
		name:    "resource M, behind a request for M and O",
		holders: [][]pool.TaskOption{{pool.Resources("M")}, {pool.Resources("O")}},
		ahead:   []lineWaiter{submitted(pool.Resources("M", "O"))},
		x:       pool.Resources("M"),
	}, {
		name:    "resource O, behind a request for M and O, M and N being in other lines",
		holders: [][]pool.TaskOption{{pool.Resources("M")}},
		ahead:   []lineWaiter{submitted(pool.Resources("M", "O")), submitted(pool.Resources("P", "N"))},
		x:       pool.Resources("O"),
	}, {
		name:    "name M, behind a waiter that needs O next",
		holders: [][]pool.TaskOption{{pool.Name("M")}, {pool.Resources("O")}},
		ahead:   []lineWaiter{submitted(pool.Name("M"), pool.Resources("O"))},
		x:       pool.Name("M"),
	}, {
		name:    "name M, behind pending Go tasks",
		holders: [][]pool.TaskOption{{pool.Name("M")}},
		ahead:   []lineWaiter{viaGo(pool.Name("M")), viaGo(pool.Name("M"))},
		x:       pool.Name("M"),
	}, {
		name:    "name M of limit 2, behind a waiter that needs N next and one that needs nothing more",
		opts:    []pool.Option{pool.NameLimit("M", 2)},
		holders: [][]pool.TaskOption{{pool.Name("M")}, {pool.Name("M")}},
		ahead:   []lineWaiter{submitted(pool.Name("M"), pool.Resources("N")), submitted(pool.Name("M"))},
		x:       pool.Name("M"),
	}, {
		name:    "name M of limit 2, held by a task waiting for N, behind a waiter that needs nothing more",
		opts:    []pool.Option{pool.NameLimit("M", 2)},
		holders: [][]pool.TaskOption{{pool.Name("M"), pool.Resources("N")}, {pool.Name("M")}},
		ahead:   []lineWaiter{submitted(pool.Name("M"))},
		x:       pool.Name("M"),
	}, {
		name:    "name M of limit 2, behind a waiter that needs N next and pending Go tasks",
		opts:    []pool.Option{pool.NameLimit("M", 2)},
		holders: [][]pool.TaskOption{{pool.Name("M")}, {pool.Name("M")}},
		ahead:   []lineWaiter{submitted(pool.Name("M"), pool.Resources("N")), viaGo(pool.Name("M")), viaGo(pool.Name("M"))},
		x:       pool.Name("M"),
	}})
}

func runLineCases(t *testing.T, cases []lineCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { c.run(t) })
		})
	}
}

func (c *lineCase) run(t *testing.T) {
	p := newPool(t, append([]pool.Option{pool.MaxWorkers(16)}, c.opts...)...)
	gate, release := make(chan struct{}), make(chan struct{})
	waited := make(chan error, 1)
	a := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
		<-gate
		x, err := p.Submit(ctx, succeed, c.x)
		if err != nil {
			return err
		}
		err = x.Wait(ctx)
		waited <- err
		return err
	}, pool.Resources("N"))
	synctest.Wait()
	var others []*pool.Task
	for _, keys := range c.holders {
		others = append(others, mustSubmit(t, p, t.Context(), func(context.Context) error { <-release; return nil }, keys...))
	}
	synctest.Wait()
	for _, w := range c.ahead {
		if w.viaGo {
			mustGo(t, p, succeed, w.keys...)
			continue
		}
		task := mustSubmit(t, p, t.Context(), succeed, w.keys...)
		synctest.Wait()
		require.Equal(t, pool.Blocked, task.State(), "a waiter ahead of X")
		others = append(others, task)
	}
	close(gate)
	if c.deadlock {
		require.ErrorIs(t, a.Wait(t.Context()), pool.ErrDeadlock)
	} else {
		synctest.Wait()
		require.Empty(t, waited, "A still waits: X will have its turn")
	}
	close(release)
	if !c.deadlock {
		require.NoError(t, a.Wait(t.Context()))
	}
	for _, task := range others {
		require.NoError(t, task.Wait(t.Context()))
	}
	require.NoError(t, p.Wait())
}
