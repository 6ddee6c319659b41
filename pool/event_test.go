package pool_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// events collects what a hook receives.
type events struct {
	mu  sync.Mutex
	all []pool.Event
}

func (c *events) hook(e pool.Event) {
	c.mu.Lock()
	c.all = append(c.all, e)
	c.mu.Unlock()
}

// states returns the states each task went through, by task number.
func (c *events) states() map[uint64][]pool.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[uint64][]pool.State)
	for _, e := range c.all {
		out[e.Task] = append(out[e.Task], e.State)
	}
	return out
}

func (c *events) find(match func(pool.Event) bool) []pool.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []pool.Event
	for _, e := range c.all {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

func TestEventsOfEveryTask(t *testing.T) {
	t.Parallel()
	var c events
	p := newPool(t, pool.MaxWorkers(2), pool.OnEvent(c.hook), pool.PoolLabel("etl"))
	boom := errors.New("boom")
	for i := range 20 {
		mustGo(t, p, func(context.Context) error {
			if i == 7 {
				return boom
			}
			return nil
		}, pool.Label("nightly", "step"), pool.Name("load"))
	}
	require.ErrorIs(t, p.Wait(), boom)
	states := c.states()
	require.Len(t, states, 20, "every task has events, each under a number of its own")
	failed := 0
	for task, seq := range states {
		require.Contains(t, [][]pool.State{
			{pool.Waiting, pool.Running, pool.Succeeded},
			{pool.Waiting, pool.Running, pool.Failed},
			{pool.Blocked, pool.Waiting, pool.Running, pool.Succeeded},
			{pool.Blocked, pool.Waiting, pool.Running, pool.Failed},
		}, seq, "task %d", task)
		if seq[len(seq)-1] == pool.Failed {
			failed++
		}
	}
	require.Equal(t, 1, failed)
	for _, e := range c.find(func(pool.Event) bool { return true }) {
		require.Equal(t, "etl", e.Pool)
		require.Equal(t, "nightly", e.Group)
		require.Equal(t, "step", e.ID)
		require.Equal(t, "load", e.Name)
		require.False(t, e.Time.IsZero())
		if e.State == pool.Failed {
			require.ErrorIs(t, e.Err, boom)
		}
	}
}

// TestBlockedEventNamesTheHolder: a task waiting for its name is reported
// Blocked, with the number of the task holding the name.
func TestBlockedEventNamesTheHolder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c events
		p := newPool(t, pool.OnEvent(c.hook))
		gate := make(chan struct{})
		mustGo(t, p, gated(gate, nil), pool.Name("A"))
		waiter := mustSubmit(t, p, t.Context(), succeed, pool.Name("A"))
		synctest.Wait()
		holder := c.find(func(e pool.Event) bool { return e.State == pool.Running })
		require.Len(t, holder, 1)
		blocked := c.find(func(e pool.Event) bool { return e.State == pool.Blocked })
		require.Len(t, blocked, 1)
		require.Equal(t, holder[0].Task, blocked[0].Holder)
		require.Equal(t, waiter.ID(), blocked[0].Task)
		require.Equal(t, map[string]pool.NameStats{"A": {Holding: 1, Running: 1, Blocked: 1}}, p.NameStats())
		close(gate)
		require.NoError(t, p.Wait())
		require.Empty(t, p.NameStats())
	})
}

// TestSuspendIsBlockedThenRunning: a task waiting for its child is Blocked
// while it waits and Running again after.
func TestSuspendIsBlockedThenRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { suspendIsBlockedThenRunning(t) })
}

func suspendIsBlockedThenRunning(t *testing.T) {
	ctx := soon(t)
	var c events
	p := newPool(t, pool.MaxWorkers(1), pool.OnEvent(c.hook))
	parent := mustSubmit(t, p, ctx, func(ctx context.Context) error {
		return mustSubmit(t, p, ctx, succeed).Wait(ctx)
	})
	require.NoError(t, waitTask(t, ctx, parent))
	require.NoError(t, waitSoon(t, ctx, p))
	require.Equal(t, []pool.State{pool.Waiting, pool.Running, pool.Blocked, pool.Running, pool.Succeeded}, c.states()[parent.ID()])
}

// TestSlowHookDoesNotStallWorkers: with the hook stuck, every task still
// runs to the end; the events arrive afterwards, each task's in order, and
// Wait returns only once they all have.
func TestSlowHookDoesNotStallWorkers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c events
		stuck := make(chan struct{})
		p := newPool(t, pool.MaxWorkers(4), pool.OnEvent(func(e pool.Event) { <-stuck; c.hook(e) }))
		for range 200 {
			mustGo(t, p, succeed)
		}
		synctest.Wait()
		require.EqualValues(t, 200, p.Stats().Succeeded, "the workers did not wait for the hook")
		waited := make(chan error)
		go func() { waited <- p.Wait() }()
		synctest.Wait()
		select {
		case err := <-waited:
			t.Fatalf("Wait returned (%v) before the events were delivered", err)
		default:
		}
		close(stuck)
		require.NoError(t, <-waited)
		states := c.states()
		require.Len(t, states, 200)
		for _, seq := range states {
			require.Equal(t, []pool.State{pool.Waiting, pool.Running, pool.Succeeded}, seq)
		}
	})
}

// TestEventBufferDropsAndCounts: past the buffer, events are dropped and
// counted, and nothing else is lost.
func TestEventBufferDropsAndCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c events
		stuck := make(chan struct{})
		p := newPool(t, pool.OnEvent(func(e pool.Event) { <-stuck; c.hook(e) }), pool.EventBuffer(10))
		for range 20 {
			mustGo(t, p, succeed)
		}
		synctest.Wait()
		close(stuck)
		require.NoError(t, p.Wait())
		s := p.Stats()
		require.EqualValues(t, 20, s.Succeeded)
		require.EqualValues(t, 60, uint64(len(c.find(func(pool.Event) bool { return true })))+s.EventsDropped)
		require.NotZero(t, s.EventsDropped)
	})
}

// TestPanickingHook: the pool and the delivery go on; Wait reports the
// panic once.
func TestPanickingHook(t *testing.T) {
	t.Parallel()
	var delivered sync.WaitGroup
	delivered.Add(30)
	p := newPool(t, pool.OnEvent(func(pool.Event) { delivered.Done(); panic("hook") }))
	for range 10 {
		mustGo(t, p, succeed)
	}
	err := p.Wait()
	var he *pool.HookError
	require.ErrorAs(t, err, &he)
	require.Equal(t, 30, he.Count, "every event was still delivered")
	require.Equal(t, "hook", he.Panic.Value)
	var pe *pool.PanicError
	require.ErrorAs(t, err, &pe)
	require.EqualValues(t, 10, p.Stats().Succeeded)
	require.EqualValues(t, 30, p.Stats().HookPanics)
	delivered.Wait()
	require.NoError(t, p.Wait(), "reported once")
}

func TestEventOptionsBadInput(t *testing.T) {
	t.Parallel()
	_, err := pool.New(pool.OnEvent(nil))
	require.ErrorIs(t, err, pool.ErrInvalid)
	root := newPool(t)
	_, err = root.Sub(pool.OnEvent(func(pool.Event) {}))
	require.ErrorIs(t, err, pool.ErrInvalid, "a tree has one hook")
	require.Panics(t, func() { pool.LogEvents(nil) })
}

// TestLogEvents: the slog adapter writes stable keys.
func TestLogEvents(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := newPool(t, pool.OnEvent(pool.LogEvents(logger)), pool.PoolLabel("etl"))
	mustGo(t, p, func(context.Context) error { return errors.New("disk full") }, pool.Name("load"), pool.Label("nightly", "load-orders"))
	require.Error(t, p.Wait())
	mu.Lock()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	mu.Unlock()
	require.Len(t, lines, 3)
	var last map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[2]), &last))
	require.Equal(t, "ERROR", last["level"])
	require.Equal(t, "task", last["msg"])
	for key, want := range map[string]any{
		pool.LogKeyState: "Failed", pool.LogKeyName: "load", pool.LogKeyPool: "etl",
		pool.LogKeyGroup: "nightly", pool.LogKeyID: "load-orders", pool.LogKeyError: "disk full",
	} {
		require.Equal(t, want, last[key], key)
	}
	require.NotContains(t, last, pool.LogKeyHolder)
	require.Contains(t, last, pool.LogKeyTask)
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// TestEventsOrderAcrossTasks: tasks of shared names (one of limit 2, one
// dropping newcomers, one keeping the latest) and resources, some of them
// cancelled while queued or blocked, run one release at a time. The
// events, replayed in the order they were recorded, never show a name or
// resource with more holders than it admits (a task's final event comes
// before its name or resources go to the next task), every task has
// events and exactly one final one, and every task skipped has a Skipped
// event.
func TestEventsOrderAcrossTasks(t *testing.T) {
	for seed := range uint64(20) {
		synctest.Test(t, func(t *testing.T) {
			var c events
			limits := map[string]int{"wide": 2}
			p := newPool(t, pool.MaxWorkers(3), pool.OnEvent(c.hook), pool.NameLimit("wide", 2),
				pool.NameOverflow("drop", pool.DropNewest), pool.NameOverflow("latest", pool.KeepLatest))
			rnd := rand.New(rand.NewPCG(seed, 11))
			var mu sync.Mutex
			release := map[int]chan struct{}{} // tasks running now, by index
			var handles []*pool.Task
			var cancels []context.CancelFunc
			for i := range 40 {
				var opts []pool.TaskOption
				if name := []string{"", "a", "wide", "drop", "latest"}[rnd.IntN(5)]; name != "" {
					opts = append(opts, pool.Name(name))
				}
				var res []string
				for r := range 3 {
					if rnd.IntN(3) == 0 {
						res = append(res, fmt.Sprint("r", r))
					}
				}
				if res != nil {
					opts = append(opts, pool.Resources(res...))
				}
				fn := func(ctx context.Context) error {
					ch := make(chan struct{})
					mu.Lock()
					release[i] = ch
					mu.Unlock()
					select {
					case <-ch:
						return nil
					case <-ctx.Done():
						mu.Lock()
						delete(release, i)
						mu.Unlock()
						return ctx.Err()
					}
				}
				if rnd.IntN(2) == 0 {
					mustGo(t, p, fn, opts...)
					continue
				}
				ctx, cancel := context.WithCancel(t.Context())
				h, err := p.Submit(ctx, fn, opts...)
				if err != nil {
					cancel()
					continue
				}
				handles = append(handles, h)
				cancels = append(cancels, cancel)
			}
			synctest.Wait()
			for _, i := range rnd.Perm(len(cancels))[:len(cancels)/3] {
				cancels[i]() // queued, blocked or running: each ends once
			}
			for {
				synctest.Wait()
				mu.Lock()
				var ids []int
				for id := range release {
					ids = append(ids, id)
				}
				slices.Sort(ids)
				if len(ids) == 0 {
					mu.Unlock()
					break
				}
				id := ids[rnd.IntN(len(ids))]
				close(release[id])
				delete(release, id)
				mu.Unlock()
			}
			_ = p.Wait() // Go tasks cancelled by policy report nothing; the events are what is checked
			for _, cancel := range cancels {
				cancel()
			}
			evs := c.snapshot()
			tasks, err := checkEvents(evs, limits)
			require.NoError(t, err, "seed %d", seed)
			require.EqualValues(t, p.Stats().Submitted, tasks, "seed %d: every task submitted has events", seed)
			skipped := 0
			skippedTask := map[uint64]bool{}
			for _, e := range evs {
				if e.State == pool.Skipped {
					skipped++
					skippedTask[e.Task] = true
				}
			}
			require.EqualValues(t, p.Stats().Skipped, skipped, "seed %d: a Skipped event for every task skipped", seed)
			for _, h := range handles {
				require.True(t, h.State().Final(), "seed %d: task %d ends", seed, h.ID())
				if h.State() == pool.Skipped {
					require.True(t, skippedTask[h.ID()], "seed %d: task %d was skipped without a Skipped event", seed, h.ID())
				}
			}
		})
	}
}
