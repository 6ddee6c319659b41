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
	poolOpts []pool.Option
	timeout  time.Duration
	hook     func(pool.Event)
	label    string
	perItem  any // func(E) pool.TaskOption, for Map (see PerItem)
	err      error

	middleware    []pool.Middleware // see WithMiddleware
	runMiddleware []RunMiddleware   // see WithRunMiddleware
}

func defaults() config { return config{strategy: strategy.WaitAll()} }

// Option configures a group at [NewGroup], [Start] or [Map], or a plan at
// [NewPlan]: every Option is also a [PlanOption].
//
// Options in braid are values of a sealed type: an interface with an
// unexported method (here), or a function of an unexported configuration
// (package pool). Either way only the package can make them, so it keeps
// every default in one place and checks every value. A bad value never
// panics where the option is built: it is recorded, and the constructor
// or run that receives it reports it as an error wrapping [ErrInvalid],
// with nothing run.
type Option interface {
	PlanOption
	applyGroup(*config)
}

type option func(*config)

func (o option) applyGroup(c *config)    { o(c) }
func (o option) applyPlan(c *planConfig) { o(&c.config) }

func (c *config) fail(format string, args ...any) {
	if c.err == nil {
		c.err = invalidf(format, args...)
	}
}

func newConfig(opts []Option) config {
	var cfg config
	cfg.apply(opts)
	return cfg
}

// apply sets c to the defaults with opts applied. NewGroup applies them
// to the group's own config: a config made apart and copied in escaped to
// the heap (each option is an interface call given its address), one
// allocation more per group.
func (c *config) apply(opts []Option) {
	*c = defaults()
	for _, o := range opts {
		if o != nil {
			o.applyGroup(c)
		}
	}
	c.check()
}

// check reports options that exclude each other.
func (c *config) check() {
	if c.pool != nil && c.hook != nil {
		c.fail("OnEvent with OnPool: set the hook on the pool (pool.OnEvent)")
	}
	if c.pool != nil && c.poolOpts != nil {
		c.fail("PoolOptions with OnPool: set them on that pool (pool.New)")
	}
}

// WithStrategy sets how the group decides and stops; the default is
// strategy.WaitAll(). An invalid strategy (see strategy.Strategy.Err)
// makes the group fail with nothing run. A plan takes wait_all, fail_fast
// and best_effort (see the package documentation); race makes its
// validation fail.
func WithStrategy(s strategy.Strategy) Option {
	return option(func(c *config) {
		if err := s.Err(); err != nil {
			c.fail("%v", err)
		}
		c.strategy = s
	})
}

// MaxWorkers limits how many of the group's tasks run at once (a workflow
// engine's max_workers); 0, the default, means unlimited. On a pool given
// with OnPool the group runs in a sub-pool with this limit, which also
// counts against the pool's. For a plan it is the plan's Max Threads,
// which also bounds every plan inlined into it.
func MaxWorkers(n int) Option {
	return option(func(c *config) {
		if n < 0 {
			c.fail("MaxWorkers(%d): the limit must be >= 0", n)
		}
		c.limit = n
	})
}

// OnPool runs the group's tasks on p (or on a sub-pool of p, with
// MaxWorkers) instead of a pool of the group's own. Names then serialise
// with every task of p's tree, not only the group's, under p's per-name
// settings.
func OnPool(p *pool.Pool) Option {
	return option(func(c *config) {
		if p == nil {
			c.fail("OnPool(nil)")
		}
		c.pool = p
	})
}

// PoolOptions configures the pool of the group's (or plan's) own that each
// run makes: per-name settings above all ([pool.NameLimit],
// [pool.NameQueueSize], [pool.NameOverflow], [pool.NameLocker]), declared
// once and holding for every task of the name. With OnPool, set them on
// that pool instead; giving both is an error.
func PoolOptions(opts ...pool.Option) Option {
	return option(func(c *config) { c.poolOpts = append(c.poolOpts, opts...) })
}

// OnEvent sends every state change of every task of the group (or plan)
// to hook, as a [pool.Event] whose Group is the group's [Label] and whose
// ID is the task's ID (a plan step's path). Delivery is pool.OnEvent's:
// buffered, in order, never stalling a task; a panic of the hook is
// reported in the run's error as a [*pool.HookError]. With OnPool the hook
// belongs on that pool instead (pool.OnEvent), and giving both is an error.
func OnEvent(hook func(pool.Event)) Option {
	return option(func(c *config) {
		if hook == nil {
			c.fail("OnEvent(nil)")
		}
		c.hook = hook
	})
}

// Label labels the group or plan in its tasks' events (the Group field of
// [pool.Event]) and its pool (pool.PoolLabel). A label is for reading only:
// it changes nothing about how tasks run. Tasks are serialised by name
// with [pool.Name], given to each task.
func Label(label string) Option {
	return option(func(c *config) { c.label = label })
}

// Timeout bounds the whole group, counted from the start of Run, time spent
// queued included. When it passes, every task is cancelled: running ones end
// TimedOut, queued ones Skipped, and Run's error wraps [ErrTimeout]. Zero,
// the default, means no timeout.
func Timeout(d time.Duration) Option {
	return option(func(c *config) {
		if d < 0 {
			c.fail("Timeout(%v): must be >= 0", d)
		}
		c.timeout = d
	})
}
