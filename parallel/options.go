package parallel

import (
	"time"

	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// config holds every group setting and its default in one place.
type config struct {
	strategy strategy.Strategy
	limit    int
	pool     *pool.Pool
	timeout  time.Duration
	hook     func(pool.Event)
	name     string
	err      error

	middleware    []pool.Middleware // see WithMiddleware
	runMiddleware []RunMiddleware   // see WithRunMiddleware
}

func defaults() config { return config{strategy: strategy.WaitAll()} }

// Option configures a group at [NewGroup], or a plan at [NewPlan] (see
// [PlanOption]).
type Option func(*config)

func (c *config) fail(format string, args ...any) {
	if c.err == nil {
		c.err = invalidf(format, args...)
	}
}

// WithStrategy sets how the group decides and stops; the default is
// strategy.WaitAll(). An invalid strategy (see strategy.Strategy.Err)
// makes NewGroup fail. A plan takes wait_all, fail_fast and best_effort
// (see the package documentation); race makes its validation fail.
func WithStrategy(s strategy.Strategy) Option {
	return func(c *config) {
		if err := s.Err(); err != nil {
			c.fail("%v", err)
		}
		c.strategy = s
	}
}

// MaxWorkers limits how many of the group's tasks run at once (a workflow
// engine's max_workers); 0, the default, means unlimited. On a pool given
// with OnPool the group runs in a sub-pool with this limit, which also
// counts against the pool's. For a plan it is the plan's Max Threads,
// which also bounds every plan inlined into it.
func MaxWorkers(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.fail("MaxWorkers(%d): the limit must be >= 0", n)
		}
		c.limit = n
	}
}

// OnPool runs the group's tasks on p (or on a sub-pool of p, with
// MaxWorkers) instead of a pool of the group's own.
func OnPool(p *pool.Pool) Option {
	return func(c *config) {
		if p == nil {
			c.fail("OnPool(nil)")
		}
		c.pool = p
	}
}

// OnEvent sends every state change of every task of the group (or plan)
// to hook, as a [pool.Event] whose Group is the name given with [Name] and
// whose ID is the task's ID (a plan step's path). Delivery is pool.OnEvent's:
// buffered, in order, never stalling a task. With OnPool the hook belongs
// on that pool instead (pool.OnEvent), and giving both is an error.
func OnEvent(hook func(pool.Event)) Option {
	return func(c *config) {
		if hook == nil {
			c.fail("OnEvent(nil)")
		}
		c.hook = hook
	}
}

// Name names the group or plan in its tasks' events (see [OnEvent]) and
// in the pool it runs on.
func Name(name string) Option {
	return func(c *config) { c.name = name }
}

// Timeout bounds the whole group, counted from the start of Run, time spent
// queued included. When it passes, every task is cancelled: running ones end
// TimedOut, queued ones Skipped, and Run's error wraps [ErrTimeout]. Zero,
// the default, means no timeout.
func Timeout(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.fail("Timeout(%v): must be >= 0", d)
		}
		c.timeout = d
	}
}
