package paralleltest

import (
	"cmp"
	"context"
	"slices"
	"sync"
)

// Gate holds tasks until the test releases them: each task made by
// [Gate.Func] or [Gate.Wrap] has a key, reports its start, and then waits
// at the gate until its key is released (or its context is done). A test
// thus decides when each task finishes, and can await each start.
//
// The zero Gate is ready to use. A Gate is safe for concurrent use. Inside a
// testing/synctest bubble, make its tasks inside the bubble too: a task
// waiting at the gate is then durably blocked, so synctest.Wait returns
// once every task that can start has reached the gate.
type Gate struct {
	mu       sync.Mutex
	keys     map[string]*gated
	order    []string // keys in the order they were first used
	arrivals uint64
}

// gated is the state of one key.
type gated struct {
	started, released chan struct{}
	didStart, freed   bool
	held              int    // runs of the key waiting at the gate now
	arrived           uint64 // when the first of them arrived, for Held
}

// Func returns a task that, each time it runs, reports its start (see
// [Gate.Started]), waits until key is released, and returns nil. If its
// context is done first, it returns the context's cause at once, so the
// pool counts it Canceled (or TimedOut). Once key is released, runs of it
// pass the gate without waiting, even with their context already done.
//
// A key names one task, usually: the task's ID in its group is a good
// choice. Several tasks of one key wait for the same release.
func (g *Gate) Func(key string) func(ctx context.Context) error {
	return g.Wrap(key, nil)
}

// Wrap is [Gate.Func] for a task that does more once released: it returns
// fn's result (fn runs only if the task was released before its context
// was done). Use it to make a gated task fail, or panic, when released.
func (g *Gate) Wrap(key string, fn func(ctx context.Context) error) func(ctx context.Context) error {
	k := g.lookup(key)
	return func(ctx context.Context) error {
		g.arrive(k)
		select {
		case <-k.released: // released already: it passes, whatever its context, so that a replay of an order runs the same
		default:
			select {
			case <-k.released:
			case <-ctx.Done():
				g.leave(k)
				return context.Cause(ctx)
			}
		}
		g.leave(k)
		if fn == nil {
			return nil
		}
		return fn(ctx)
	}
}

// Started returns a channel closed once a task of key has started.
func (g *Gate) Started(key string) <-chan struct{} { return g.lookup(key).started }

// Release lets the tasks of key pass the gate: those waiting now, and
// those that arrive later. Releasing a key twice does nothing more.
func (g *Gate) Release(key string) {
	k := g.lookup(key)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.free(k)
}

// ReleaseAll releases every key the gate knows, and so every task waiting
// at it now.
func (g *Gate) ReleaseAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, k := range g.keys {
		g.free(k)
	}
}

// Held returns the keys of the tasks waiting at the gate now, in the order
// they arrived.
func (g *Gate) Held() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var held []string
	for _, key := range g.order {
		if g.keys[key].held > 0 {
			held = append(held, key)
		}
	}
	slices.SortStableFunc(held, func(a, b string) int { return cmp.Compare(g.keys[a].arrived, g.keys[b].arrived) })
	return held
}

// Keys returns every key the gate knows, in the order they were first
// used: on the gate of an [ExploreOrders] run, the explored keys first, in
// the order they were given.
func (g *Gate) Keys() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.order)
}

// lookup returns the state of key, made on first use.
func (g *Gate) lookup(key string) *gated {
	g.mu.Lock()
	defer g.mu.Unlock()
	if k, ok := g.keys[key]; ok {
		return k
	}
	return g.add(key)
}

// add makes the state of a new key. Called with g.mu held.
func (g *Gate) add(key string) *gated {
	if g.keys == nil {
		g.keys = make(map[string]*gated)
	}
	k := &gated{started: make(chan struct{}), released: make(chan struct{})}
	g.keys[key] = k
	g.order = append(g.order, key)
	return k
}

func (g *Gate) arrive(k *gated) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !k.didStart {
		k.didStart = true
		close(k.started)
	}
	if k.held == 0 {
		g.arrivals++
		k.arrived = g.arrivals
	}
	k.held++
}

func (g *Gate) leave(k *gated) {
	g.mu.Lock()
	k.held--
	g.mu.Unlock()
}

// free releases k. Called with g.mu held.
func (g *Gate) free(k *gated) {
	if !k.freed {
		k.freed = true
		close(k.released)
	}
}
