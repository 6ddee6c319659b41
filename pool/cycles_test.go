package pool_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/braid-go/braid/pool"
)

// TestStressWaitForGraphs: random wait-for graphs over names and
// resources. Each of 2 to 6 holders takes a key (a name, or a set of
// resources) and, once every holder is in, submits a child needing
// another holder's key and waits for it: an edge of the graph. Graphs
// are acyclic, or have a cycle through one holder (it waits for a child
// needing its own key: the direct case), or a longer cycle. Every cycle
// must end in ErrDeadlock for one of its members, no holder outside a
// cycle may get it, and every task ends before the run's own deadline (a
// hang fails at once, naming the seed).
//
// BRAID_STRESS_CYCLES=0 leaves out cycles through two holders or more
// (the direct case stays); BRAID_STRESS_SEED replays one seed.
func TestStressWaitForGraphs(t *testing.T) {
	longCycles := os.Getenv("BRAID_STRESS_CYCLES") != "0"
	if s := os.Getenv("BRAID_STRESS_SEED"); s != "" {
		var seed uint64
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatalf("BRAID_STRESS_SEED: %v", err)
		}
		runWaitGraph(t, seed, true)
		return
	}
	runs := uint64(300)
	if testing.Short() {
		runs = 60
	}
	for seed := range runs {
		runWaitGraph(t, seed, longCycles)
		if t.Failed() {
			return
		}
	}
}

// A waitGraph is one drawn graph: each holder's key and the holder whose
// key its child needs (-1: no child).
type waitGraph struct {
	keys  []pool.TaskOption
	descr []string
	edge  []int
	limit int
}

func drawWaitGraph(rnd *rand.Rand, longCycles bool) *waitGraph {
	k := 2 + rnd.IntN(5)
	g := &waitGraph{edge: make([]int, k), limit: rnd.IntN(k + 1)}
	for i := range k {
		if rnd.IntN(2) == 0 {
			g.keys = append(g.keys, pool.Name(fmt.Sprint("n", i)))
			g.descr = append(g.descr, fmt.Sprint("name n", i))
		} else {
			rs := []string{fmt.Sprint("r", i)}
			if rnd.IntN(2) == 0 {
				rs = append(rs, fmt.Sprint("own", i)) // a resource nobody else needs
			}
			g.keys = append(g.keys, pool.Resources(rs...))
			g.descr = append(g.descr, fmt.Sprint("resources ", rs))
		}
		g.edge[i] = -1
	}
	// Acyclic edges go to a later holder.
	for i := range k - 1 {
		if rnd.IntN(3) > 0 {
			g.edge[i] = i + 1 + rnd.IntN(k-1-i)
		}
	}
	switch c := rnd.IntN(3); {
	case c == 1: // the direct case: a holder waits for its own key
		i := rnd.IntN(k)
		g.edge[i] = i
	case c == 2 && longCycles: // a cycle through 2 or more holders
		n := 2 + rnd.IntN(k-1)
		members := rnd.Perm(k)[:n]
		for j, m := range members {
			g.edge[m] = members[(j+1)%n]
		}
	}
	return g
}

// onCycle reports the holders that are on a cycle of the graph.
func (g *waitGraph) onCycle() []bool {
	on := make([]bool, len(g.edge))
	for i := range g.edge {
		j, steps := g.edge[i], 0
		for j >= 0 && j != i && steps <= len(g.edge) {
			j, steps = g.edge[j], steps+1
		}
		on[i] = j == i
	}
	return on
}

func (g *waitGraph) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "limit %d\n", g.limit)
	for i, e := range g.edge {
		fmt.Fprintf(&b, "  holder %d: %s", i, g.descr[i])
		if e >= 0 {
			fmt.Fprintf(&b, ", waits for a child needing holder %d's key", e)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func runWaitGraph(t *testing.T, seed uint64, longCycles bool) {
	t.Helper()
	g := drawWaitGraph(rand.New(rand.NewPCG(seed, 0xc1c1e)), longCycles)
	synctest.Test(t, func(t *testing.T) {
		if err := g.run(t); err != nil {
			t.Errorf("seed %d (replay: BRAID_STRESS_SEED=%d go test -run TestStressWaitForGraphs ./pool): %v\ngraph: %s", seed, seed, err, g)
		}
	})
}

func (g *waitGraph) run(t *testing.T) error {
	var c events
	p, err := pool.New(pool.MaxWorkers(g.limit), pool.OnEvent(c.hook))
	if err != nil {
		return err
	}
	// The run's own deadline: in the bubble, it passes as soon as every
	// goroutine is blocked, so a hang ends here instead of in the binary's
	// timeout, and the tasks see it and unwind.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	k := len(g.edge)
	start := make(chan struct{})
	waitErr := make([]error, k)
	var mu sync.Mutex
	holders := make([]*pool.Task, k)
	for i := range k {
		h, err := p.Submit(ctx, func(ctx context.Context) error {
			select {
			case <-start:
			case <-ctx.Done():
				return ctx.Err()
			}
			j := g.edge[i]
			if j < 0 {
				return nil
			}
			child, err := p.Submit(ctx, succeed, g.keys[j])
			if err != nil {
				return err
			}
			err = child.Wait(ctx)
			mu.Lock()
			waitErr[i] = err
			mu.Unlock()
			return err
		}, g.keys[i])
		if err != nil {
			return err
		}
		holders[i] = h
	}
	close(start)
	for i, h := range holders {
		if err := h.Wait(ctx); ctx.Err() != nil {
			_ = closeBounded(p) // the hang is what is reported
			return fmt.Errorf("a hang: holder %d had not ended at the run's deadline (it ended %v once the deadline unwound it: %v)", i, h.State(), err)
		}
	}
	if err := closeBounded(p); err != nil {
		return err
	}
	on := g.onCycle()
	cycleEnded := false
	for i := range k {
		deadlock := errors.Is(waitErr[i], pool.ErrDeadlock)
		switch {
		case deadlock && !on[i]:
			return fmt.Errorf("holder %d, on no cycle, got %v", i, waitErr[i])
		case deadlock:
			cycleEnded = true
		case waitErr[i] != nil:
			return fmt.Errorf("holder %d: its wait returned %v", i, waitErr[i])
		}
	}
	for i := range k {
		if on[i] && !cycleEnded {
			return fmt.Errorf("a cycle through holder %d ended without ErrDeadlock", i)
		}
	}
	tasks, err := checkEvents(c.snapshot(), nil)
	if err != nil {
		return err
	}
	if s := p.Stats(); uint64(tasks) != s.Submitted || s.Names != 0 || s.Workers != 0 {
		return fmt.Errorf("after Close: %d tasks with events, stats %+v", tasks, s)
	}
	return nil
}

// closeBounded closes p, or gives up after a minute (fake time in a
// bubble: as soon as everything is blocked) and says so.
func closeBounded(p *pool.Pool) error {
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		_ = err    // task errors are expected here
		return nil // the events and waits are checked
	case <-time.After(time.Minute):
		return fmt.Errorf("Close did not return within a minute; lanes: %s", pool.LaneDump(p))
	}
}
