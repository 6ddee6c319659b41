package pool_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// level is one pool of a random tree, with a live count of its running
// tasks (its own and its sub-pools'), checked against its limit on every
// task start.
type level struct {
	p      *pool.Pool
	parent *level
	limit  atomic.Int64 // 0: none
	cur    atomic.Int64
}

func (l *level) enter(t *testing.T) {
	for q := l; q != nil; q = q.parent {
		n := q.cur.Add(1)
		if lim := q.limit.Load(); lim > 0 && n > lim {
			// Resizes race with this check: only a resize down can make a
			// running count legitimately exceed the current limit, and
			// the test only resizes upward while tasks run.
			t.Errorf("limit %d exceeded: %d running", lim, n)
		}
	}
}

func (l *level) leave() {
	for q := l; q != nil; q = q.parent {
		q.cur.Add(-1)
	}
}

// TestStressRandomTrees runs random trees of pools with random limits and
// random tasks (succeed, fail, panic, wait on a child in the same tree,
// get cancelled before or while running, priority, a name shared across
// the tree), resizing limits upward as they run, and checks that no limit
// is ever exceeded, no two tasks of one name overlap, every task submitted
// reaches exactly one final state (from its handle, the stats and its
// events), and no name is left behind. TestStressChurn widens it.
func TestStressRandomTrees(t *testing.T) {
	t.Parallel()
	runs := 200
	if testing.Short() {
		runs = 30
	}
	for seed := range uint64(runs) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			stressOnce(t, seed)
		})
	}
}

func stressOnce(t *testing.T, seed uint64) {
	rnd := rand.New(rand.NewPCG(seed, 42))
	rootLimit := rnd.IntN(4) // 0..3, 0 = unlimited
	var c events
	rootOpts := []pool.Option{pool.MaxWorkers(rootLimit), pool.IdleTimeout(0), pool.OnEvent(c.hook)}
	for i := range 3 { // a random overflow policy per name
		rootOpts = append(rootOpts, pool.NameOverflow(fmt.Sprint("name-", i), pool.Overflow(rnd.IntN(4))))
	}
	root, err := pool.New(rootOpts...)
	require.NoError(t, err)
	levels := []*level{{p: root}}
	levels[0].limit.Store(int64(rootLimit))
	for range rnd.IntN(4) {
		parent := levels[rnd.IntN(len(levels))]
		lim := rnd.IntN(3)
		sub, err := parent.p.Sub(pool.MaxWorkers(lim))
		require.NoError(t, err)
		l := &level{p: sub, parent: parent}
		l.limit.Store(int64(lim))
		levels = append(levels, l)
	}

	// A few names, shared by tasks in every pool of the tree: tasks of one
	// name must never overlap.
	var byName [3]atomic.Int32
	var nameOverlaps atomic.Int32
	named := func(i int, fn func(context.Context) error) func(context.Context) error {
		return func(ctx context.Context) error {
			if byName[i].Add(1) != 1 {
				nameOverlaps.Add(1)
			}
			defer byName[i].Add(-1)
			return fn(ctx)
		}
	}

	var handles []*pool.Task
	var submitted atomic.Int64
	boom := errors.New("boom")
	var task func(l *level, depth int, kind int) func(context.Context) error
	task = func(l *level, depth int, kind int) func(context.Context) error {
		return func(ctx context.Context) error {
			l.enter(t)
			defer l.leave()
			switch kind {
			case 0:
				return nil
			case 1:
				return boom
			case 2:
				panic("stress")
			case 3: // wait for a child in a random pool of the tree
				if depth > 2 {
					return nil
				}
				child := levels[rnd2(seed, depth, len(levels))]
				c, err := child.p.Submit(ctx, task(child, depth+1, int(seed+uint64(depth))%4))
				if err != nil {
					return err
				}
				submitted.Add(1)
				l.leave() // the waiting task runs nowhere while it waits
				err = c.Wait(ctx)
				l.enter(t)
				return err
			default: // run until cancelled
				<-ctx.Done()
				return ctx.Err()
			}
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	n := 20 + rnd.IntN(40)
	for range n {
		l := levels[rnd.IntN(len(levels))]
		kind := rnd.IntN(5)
		var opts []pool.TaskOption
		if rnd.IntN(5) == 0 {
			opts = append(opts, pool.Priority())
		}
		tctx := t.Context()
		if kind == 4 || rnd.IntN(4) == 0 {
			tctx = ctx
		}
		fn := task(l, 0, kind)
		if kind != 3 && rnd.IntN(2) == 0 { // nested waits stay unnamed: see ErrDeadlock
			i := rnd.IntN(len(byName))
			fn = named(i, fn)
			opts = append(opts, pool.Name(fmt.Sprint("name-", i)))
		}
		h, err := l.p.Submit(tctx, fn, opts...)
		require.NoError(t, err)
		submitted.Add(1)
		handles = append(handles, h)
		if rnd.IntN(10) == 0 {
			h.Cancel()
		}
		if rnd.IntN(15) == 0 { // resize upward only; see level.enter
			lim := l.limit.Load()
			if lim > 0 {
				l.limit.Store(lim + 1)
				require.NoError(t, l.p.SetLimit(int(lim+1)))
			}
		}
	}
	cancel()
	for i, h := range handles {
		select {
		case <-h.Done():
		case <-time.After(5 * time.Second):
			for _, l := range levels {
				t.Logf("level stats %+v", l.p.Stats())
			}
			t.Fatalf("handle %d stuck in %v; lanes: %s", i, h.State(), pool.LaneDump(root))
		}
		require.True(t, h.State().Final(), h.State().String())
	}
	require.NoError(t, root.Close())
	var total pool.Stats
	for _, l := range levels {
		s := l.p.Stats()
		require.Zero(t, s.Running)
		require.Zero(t, s.Waiting)
		require.Zero(t, s.Blocked)
		total.Submitted += s.Submitted
		total.Succeeded += s.Succeeded
		total.Failed += s.Failed
		total.Canceled += s.Canceled
		total.Skipped += s.Skipped
		total.TimedOut += s.TimedOut
	}
	require.EqualValues(t, submitted.Load(), total.Submitted)
	require.Equal(t, total.Submitted, total.Succeeded+total.Failed+total.Canceled+total.Skipped+total.TimedOut,
		"every task reaches exactly one final state: %+v", total)
	require.Zero(t, root.Stats().Workers)
	require.Zero(t, nameOverlaps.Load(), "two tasks of one name overlapped")
	tasks, err := checkEvents(c.snapshot(), nil)
	require.NoError(t, err, "the events, replayed")
	require.EqualValues(t, total.Submitted, tasks, "every task submitted has events")
	require.Zero(t, root.Stats().Names, "names left in the lock table")
}

// rnd2 picks a pool index for a nested child deterministically from the
// seed and depth (the test's rand.Rand is not safe for concurrent use).
func rnd2(seed uint64, depth, n int) int {
	return int((seed*2654435761 + uint64(depth)*40503) % uint64(n))
}
