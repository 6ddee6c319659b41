package parallel

import (
	"context"
	"errors"
	"math"
	"sync"

	"github.com/braid-go/braid/pool"
)

// Selector returns the pools ("servers") a step with the given [OnServer]
// key may run on. Returning none runs the step on the plan's own pool. It is
// called each time such a step starts, from the step's goroutine, and
// must be safe for concurrent use; a panic in it fails that step.
type Selector func(key string) []*pool.Pool

// OnServers runs the plan's steps on pools chosen by sel, like a job
// scheduler's server pools: each function step or broadcast input, when it
// starts, goes to the pool of sel(its key) with the most free slots
// (ties: the first), so that the capacity of a key is the sum of its
// pools' limits. A step that finds them all full queues on the one with
// the shortest backlog. The plan's Max Threads still counts the step for as
// long as it runs there. OnServers excludes OnPool: the plan's own pool,
// which then only counts threads, is private to each run.
func OnServers(sel Selector) PlanOption {
	return planOption(func(c *planConfig) {
		if sel == nil {
			c.fail("OnServers(nil)")
		}
		c.servers = sel
	})
}

// Sticky keeps every step of a run on one pool: the first step to start
// picks it, among its key's pools, and every later step of the run,
// inlined plans included, runs there whatever its key. It needs
// [OnServers].
func Sticky() PlanOption { return planOption(func(c *planConfig) { c.sticky = true }) }

// servers places the steps of one run.
type servers struct {
	sel    Selector
	sticky bool
	mu     sync.Mutex // serialises placement within the run
	pinned *pool.Pool // with sticky: the pool every step goes to, once chosen
}

// place submits fn, a step for the servers of key, to the pool it runs on, and
// returns its handle; nil and no error means the step has no server and
// runs on the plan's own pool. Choosing and submitting happen under one
// lock, so that steps of the run starting together see each other's
// choices and spread over the pools. The selector is user code: it is
// called outside the lock.
func (s *servers) place(ctx context.Context, key string, fn func(context.Context) error) (*pool.Task, error) {
	var pools []*pool.Pool
	s.mu.Lock()
	if s.pinned == nil {
		s.mu.Unlock()
		pools = s.sel(key)
		s.mu.Lock()
	}
	p := s.pinned
	if p == nil {
		p = roomiest(pools)
		if s.sticky {
			s.pinned = p
		}
	}
	if p == nil {
		s.mu.Unlock()
		return nil, nil
	}
	t, err := p.TrySubmit(ctx, fn)
	s.mu.Unlock()
	if errors.Is(err, pool.ErrQueueFull) {
		t, err = p.Submit(ctx, fn) // a bounded queue is full: wait for room, unlocked
	}
	return t, err
}

// roomiest returns the pool with the most free slots (limit minus running
// and queued; no limit counts as infinitely many), the first among equals.
func roomiest(pools []*pool.Pool) *pool.Pool {
	var best *pool.Pool
	most := math.MinInt
	for _, p := range pools {
		if p == nil {
			continue
		}
		st := p.Stats()
		free := math.MaxInt
		if st.Limit > 0 {
			free = st.Limit - st.Running - st.Waiting
		}
		if free > most {
			best, most = p, free
		}
	}
	return best
}

// placed returns the function that runs t: t's own, or, with servers, one
// that runs it on the pool chosen when it starts and waits for it there.
// Steps have no output; the struct{} is the shape the ledger's wrap takes.
//
// The step keeps its slot in the plan's pools while it waits, on purpose:
// it is running, on a server, and the plan's Max Threads must count it.
// That cannot deadlock: the plan's pools form a tree of their own
// (OnServers excludes OnPool), which the servers' tasks never need.
func (r *planRun) placed(t *task) func(context.Context) (struct{}, error) {
	return func(ctx context.Context) (struct{}, error) {
		if r.servers == nil {
			return struct{}{}, t.fn(ctx)
		}
		h, err := r.servers.place(ctx, t.server, t.fn)
		switch {
		case err != nil:
			return struct{}{}, err
		case h == nil:
			return struct{}{}, t.fn(ctx)
		}
		<-h.Done()
		return struct{}{}, h.Err()
	}
}
