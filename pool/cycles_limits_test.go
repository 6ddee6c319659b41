package pool_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/synctest"

	"github.com/braid-go/braid/pool"
)

// TestStressWaitForGraphsWithNameLimits: random wait-for graphs over names
// with room for one to three holders. Each name has at most as many holders
// as its limit; each holder, released in a random order once the run has
// settled, waits for a child needing some name (or for nothing). A model
// of the same run says which waits close a cycle: the child is stuck when
// its name is full and every holder of it is stuck, taking the waiter as
// stuck, and not when the waiter is taken as able to end. Exactly those
// waits must get ErrDeadlock, and everything must end.
type sgraph struct {
	limits []int // per name
	hname  []int // holder -> name it holds
	child  []int // holder -> name its child needs, -1 none
	order  []int // release order
}

func drawS(r *rand.Rand) *sgraph {
	nn := 1 + r.IntN(3)
	g := &sgraph{}
	for range nn {
		g.limits = append(g.limits, 1+r.IntN(3))
	}
	for x := range nn {
		k := r.IntN(g.limits[x] + 1) // 0..limit holders
		for range k {
			g.hname = append(g.hname, x)
		}
	}
	for range g.hname {
		c := r.IntN(nn+1) - 1
		g.child = append(g.child, c)
	}
	g.order = r.Perm(len(g.hname))
	return g
}

// oracle returns, per holder, whether its wait gets ErrDeadlock. A holder
// not yet released runs (it can end); a released one without a child ends.
func (g *sgraph) oracle() []bool {
	n := len(g.hname)
	released := make([]bool, n)
	ended := make([]bool, n)
	dl := make([]bool, n)
	alive := func(x int) (cnt int, hs []int) {
		for h := range n {
			if g.hname[h] == x && !ended[h] {
				cnt++
				hs = append(hs, h)
			}
		}
		return
	}
	// stuckChild reports whether t's child cannot get its name: the
	// largest set of waiting holders each of whose child's name is full
	// of holders in the set, with t in it or not.
	stuckChild := func(t int, tStuck bool) bool {
		S := map[int]bool{}
		for h := range n {
			if !ended[h] && released[h] && g.child[h] >= 0 {
				S[h] = true
			}
		}
		if tStuck {
			S[t] = true
		} else {
			delete(S, t)
		}
		childStuck := func(x int) bool {
			cnt, hs := alive(x)
			if cnt < g.limits[x] {
				return false
			}
			for _, h := range hs {
				if !S[h] {
					return false
				}
			}
			return true
		}
		for changed := true; changed; {
			changed = false
			for h := range S {
				if h == t && tStuck {
					continue
				}
				if !childStuck(g.child[h]) {
					delete(S, h)
					changed = true
				}
			}
		}
		return childStuck(g.child[t])
	}
	settle := func() {
		for changed := true; changed; {
			changed = false
			for h := range n {
				if ended[h] || !released[h] {
					continue
				}
				if g.child[h] < 0 {
					ended[h], changed = true, true
					continue
				}
				// Its child gets a place once one is free; once
				// granted, it ends at once and gives it back.
				if cnt, _ := alive(g.child[h]); cnt < g.limits[g.child[h]] {
					ended[h], changed = true, true
				}
			}
		}
	}
	for _, h := range g.order {
		released[h] = true
		if g.child[h] >= 0 && stuckChild(h, true) && !stuckChild(h, false) {
			dl[h] = true
			ended[h] = true
		}
		settle()
	}
	return dl
}

func TestStressWaitForGraphsWithNameLimits(t *testing.T) {
	runs := uint64(1000)
	if testing.Short() {
		runs = 200
	}
	for seed := range runs {
		g := drawS(rand.New(rand.NewPCG(seed, 7)))
		if len(g.hname) == 0 {
			continue
		}
		want := g.oracle()
		synctest.Test(t, func(t *testing.T) {
			opts := []pool.Option{pool.MaxWorkers(0)}
			for x, l := range g.limits {
				opts = append(opts, pool.NameLimit(fmt.Sprint("n", x), l))
			}
			p := newPool(t, opts...)
			n := len(g.hname)
			gates := make([]chan struct{}, n)
			errs := make([]error, n)
			hs := make([]*pool.Task, n)
			for h := range n {
				gates[h] = make(chan struct{})
				hh := h
				task, err := p.Submit(t.Context(), func(ctx context.Context) error {
					<-gates[hh]
					if g.child[hh] < 0 {
						return nil
					}
					c, err := p.Submit(ctx, func(context.Context) error { return nil }, pool.Name(fmt.Sprint("n", g.child[hh])))
					if err != nil {
						return err
					}
					errs[hh] = c.Wait(ctx)
					return nil
				}, pool.Name(fmt.Sprint("n", g.hname[h])))
				if err != nil {
					t.Fatal(err)
				}
				hs[h] = task
			}
			for _, h := range g.order {
				synctest.Wait()
				close(gates[h])
			}
			for _, h := range hs {
				if err := h.Wait(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			for h := range n {
				got := errors.Is(errs[h], pool.ErrDeadlock)
				if got != want[h] {
					t.Fatalf("seed %d: holder %d: deadlock %v, want %v (limits %v holds %v child %v order %v) errs %v", seed, h, got, want[h], g.limits, g.hname, g.child, g.order, errs)
				}
			}
		})
		if t.Failed() {
			return
		}
	}
}
