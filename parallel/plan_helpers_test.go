package parallel_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
)

// gates hands out gated steps: a step marks itself running, then waits
// until the test releases it (or its context ends). Inside a synctest
// bubble, synctest.Wait then shows exactly which steps run at once.
type gates struct {
	mu      sync.Mutex
	gate    map[string]chan struct{}
	running map[string]bool
	started []string
}

func newGates() *gates {
	return &gates{gate: make(map[string]chan struct{}), running: make(map[string]bool)}
}

// step returns a gated step that reports itself as name.
func (g *gates) step(name string) func(context.Context) error {
	gate := g.add(name)
	return func(ctx context.Context) error {
		g.enter(name)
		defer g.leave(name)
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// inputs returns a gated broadcast function for n inputs 0..n-1, each
// reporting itself as "name[i]".
func (g *gates) inputs(name string, n int) func(context.Context, int) error {
	steps := make([]func(context.Context) error, n)
	for i := range n {
		steps[i] = g.step(fmt.Sprintf("%s[%d]", name, i))
	}
	return func(ctx context.Context, i int) error { return steps[i](ctx) }
}

func (g *gates) add(name string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := make(chan struct{})
	g.gate[name] = c
	return c
}

func (g *gates) enter(name string) {
	g.mu.Lock()
	g.running[name] = true
	g.started = append(g.started, name)
	g.mu.Unlock()
}

func (g *gates) leave(name string) {
	g.mu.Lock()
	delete(g.running, name)
	g.mu.Unlock()
}

func (g *gates) release(names ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range names {
		close(g.gate[n])
	}
}

// now returns the steps running now, sorted.
func (g *gates) now() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.running))
	for n := range g.running {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func (g *gates) startedCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.started)
}

type outcome struct {
	res *parallel.Results[struct{}]
	err error
}

// start runs plan in a goroutine of the bubble.
func start(ctx context.Context, plan *parallel.Plan) <-chan outcome {
	done := make(chan outcome, 1)
	go func() {
		res, err := plan.Run(ctx)
		done <- outcome{res, err}
	}()
	return done
}

// drain releases running steps one at a time, in name order, until the
// plan returns; check sees what runs at each point, once the bubble is
// still.
func (g *gates) drain(t *testing.T, done <-chan outcome, check func(running []string)) outcome {
	t.Helper()
	for {
		synctest.Wait()
		select {
		case o := <-done:
			return o
		default:
		}
		running := g.now()
		require.NotEmpty(t, running, "nothing runs and the plan has not returned")
		check(running)
		g.release(running[0])
	}
}

// staged builds a plan of gated steps and runs it in a synctest bubble,
// checking the stages, and returns its results; the plan must succeed.
func staged(t *testing.T, build func(g *gates) *parallel.Plan, stages []stage) *parallel.Results[struct{}] {
	t.Helper()
	var res *parallel.Results[struct{}]
	synctest.Test(t, func(t *testing.T) {
		g := newGates()
		done := start(t.Context(), build(g))
		g.stages(t, stages)
		o := <-done
		require.NoError(t, o.err)
		res = o.res
	})
	if t.Failed() {
		t.FailNow() // the caller would look at results that are not there
	}
	return res
}

// stages checks, stage by stage, which steps run together once the bubble
// is still, and releases some of them.
type stage struct {
	running, release []string
}

func (g *gates) stages(t *testing.T, stages []stage) {
	t.Helper()
	for i, s := range stages {
		synctest.Wait()
		require.Equal(t, s.running, g.now(), "stage %d", i+1)
		g.release(s.release...)
	}
}

func ok(context.Context) error { return nil }

func planStates(res *parallel.Results[struct{}]) map[string]string {
	out := make(map[string]string)
	for _, r := range res.All() {
		out[r.ID] = r.State.String()
	}
	return out
}

func ids(res *parallel.Results[struct{}]) []string {
	var out []string
	for _, r := range res.All() {
		out = append(out, r.ID)
	}
	return out
}

func noRow(context.Context, int) error       { return nil }
func noRegion(context.Context, string) error { return nil }

// soon returns a context that ends a minute from now: in a synctest
// bubble, as soon as every goroutine of the bubble is blocked. Tests of
// "at once, never a hang" run and wait with it, and check that it has not
// ended (noHang), so that a deadlock fails on that deadline, at once, and
// unwinds instead of hanging until the binary's timeout.
func soon(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// noHang fails the test if ctx (from soon) ended: what it bounded did not
// finish in time.
func noHang(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish by its deadline: a deadlock", what)
	}
}
