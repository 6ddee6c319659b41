package parallel

import (
	"context"
	"math"
	"sync"

	"github.com/braid-go/braid/pool"
)

// Selector returns the pools ("servers") a step with the given [Label] may
// run on. Returning none runs the step on the plan's own pool. It is
// called each time a labelled step starts, from the step's goroutine, and
// must be safe for concurrent use; a panic in it fails that step.
type Selector func(label string) []*pool.Pool

// OnServers runs the plan's steps on pools chosen by sel, like a job
// scheduler's server pools: each function step or broadcast input, when it
// starts, goes to the pool of sel(its label) with the most free slots
// (ties: the first), so that the capacity of a label is the sum of its
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
// picks it, among its label's pools, and every later step of the run,
// inlined plans included, runs there whatever its label. It needs
// [OnServers].
func Sticky() PlanOption { return planOption(func(c *planConfig) { c.sticky = true }) }

// servers places the steps of one run.
type servers struct {
	sel    Selector
	sticky bool
	mu     sync.Mutex
	pinned *pool.Pool // with sticky: the pool every step goes to, once chosen
}

// pick returns the pool a step labelled label runs on, or nil for the
// plan's own. The selector is called outside the lock: it is user code.
func (s *servers) pick(label string) *pool.Pool {
	s.mu.Lock()
	pinned := s.pinned
	s.mu.Unlock()
	if pinned != nil {
		return pinned
	}
	p := roomiest(s.sel(label))
	if p == nil || !s.sticky {
		return p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pinned == nil {
		s.pinned = p
	}
	return s.pinned // a concurrent first step may have pinned another: that one wins
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
// that sends it to the pool picked when it starts.
func (r *planRun) placed(t *task) func(context.Context) error {
	if r.servers == nil {
		return t.fn
	}
	return func(ctx context.Context) error {
		p := r.servers.pick(t.label)
		if p == nil {
			return t.fn(ctx)
		}
		return runOn(ctx, p, t.fn)
	}
}

// runOn runs fn as a task of p and waits for it. The step keeps its slot in
// the plan's pools while it waits, on purpose: it is running, on p, and the
// plan's Max Threads must count it. That cannot deadlock: the plan's pools
// form a tree of their own (OnServers excludes OnPool), which p's tasks
// never need.
func runOn(ctx context.Context, p *pool.Pool, fn func(context.Context) error) error {
	t, err := p.Submit(ctx, fn)
	if err != nil {
		return err
	}
	<-t.Done()
	return t.Err()
}
