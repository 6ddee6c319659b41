package pool

import (
	"context"
	"time"

	"github.com/braid-go/braid/lock"
)

// DefaultIdleTimeout is how long a worker with nothing to do waits for work
// before its goroutine exits: between one and two of these (the pool checks
// its idle workers once per timeout). A pool left idle holds no goroutine.
const DefaultIdleTimeout = time.Second

// config holds every pool setting and its default in one place.
type config struct {
	limit          int
	queueBound     int
	idleTimeout    time.Duration
	ctx            context.Context
	idleSet        bool
	lanes          map[string]*laneSettings // names with settings of their own
	backend        lock.Locker
	hook           func(Event)
	eventBuffer    int
	eventBufferSet bool
	label          string
	middleware     []Middleware // see WithMiddleware
	err            error        // the first invalid option, reported by New or Sub
}

// apply applies opts in order; a nil one is an ErrInvalid error.
func (c *config) apply(opts []Option) {
	for _, o := range opts {
		if o == nil {
			c.fail(invalid("nil Option"))
			continue
		}
		o(c)
	}
}

func defaults() config {
	return config{idleTimeout: DefaultIdleTimeout, ctx: context.Background(), eventBuffer: DefaultEventBuffer}
}

// Option configures a pool at [New] or [Pool.Sub].
type Option func(*config)

// MaxWorkers limits how many tasks of the pool run at once. Zero, the
// default, means no limit of the pool's own (a sub-pool is still bounded by
// its ancestors). A negative n makes New or Sub fail with [ErrInvalid].
func MaxWorkers(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.fail(invalid("MaxWorkers(%d): the limit must be >= 0", n))
		}
		c.limit = n
	}
}

// QueueSize bounds how many of the pool's tasks may wait: those that
// cannot start now, because every slot is taken or because they are
// blocked on their name, resources or backend lease. A task that has a
// free slot and only waits for a worker goroutine to take it does not
// count. When the bound is reached, Go and Submit block until there is room
// (Submit honours its context; a task submitting to its own pool gives its
// slot back while it waits, and gets [ErrDeadlock] at once if the room
// could only come from tasks that wait for what it holds) and TryGo and
// TrySubmit return [ErrQueueFull].
// A cancelled task stops counting at once, and the memory of what was
// cancelled is reclaimed as it piles up, so the bound bounds memory too. A
// name's own line has its own bound ([NameQueueSize]). Zero, the default,
// means unbounded. A negative n makes New or Sub fail with [ErrInvalid].
func QueueSize(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.fail(invalid("QueueSize(%d): the bound must be >= 0", n))
		}
		c.queueBound = n
	}
}

// IdleTimeout sets how long an idle worker waits for work before it exits,
// to within a factor of two (default [DefaultIdleTimeout]). Zero makes workers exit as soon as the
// queue is empty. Workers are shared by a pool and all its sub-pools, so
// this option is for [New] only; Sub fails with [ErrInvalid] when given it.
func IdleTimeout(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.fail(invalid("IdleTimeout(%v): the timeout must be >= 0", d))
		}
		c.idleTimeout, c.idleSet = d, true
	}
}

// WithContext sets the context that tasks submitted with Go receive. When it
// is done, queued tasks are skipped and running ones see it cancelled.
// Forced shutdown cancels it too. The default is [context.Background] for a
// root pool and the parent's context for a sub-pool; a sub-pool given its
// own context still ends when its parent's does.
func WithContext(ctx context.Context) Option {
	return func(c *config) {
		if ctx == nil {
			c.fail(invalid("WithContext(nil)"))
			return
		}
		c.ctx = ctx
	}
}

func (c *config) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// taskConfig is a task's settings: its options, merged (see taskOptions).
type taskConfig = TaskOption

// TaskOption configures one submitted task. Options are plain values:
// build one once (Name, say) and pass it with every task; applying it
// allocates nothing.
type TaskOption struct {
	priority  bool
	reentrant bool
	name      string   // "" leaves the name as it is
	hash      uint64   // name's (see laneTable): made with the option, outside the tree's lock
	res       []string // prefixed
	group, id string   // labels for events (see Label)
}

// Priority puts the task at the front of its pool's queue, ahead of every
// task submitted without it (seed behaviour: interactive runs bypass the
// scheduled backlog). It still waits for a free slot: the limit holds.
// Priority tasks run in the order they were submitted among themselves.
func Priority() TaskOption { return TaskOption{priority: true} }

// noOptions is the configuration of a task submitted without options. It
// is never written to (only Reentrant tasks have theirs rewritten).
var noOptions taskConfig

// taskOptions returns the settings of a task submitted with opts: the
// one option given read in place (the common case: nothing combined or
// copied, which cost a named task 17 ns of its 190 in BenchmarkNames), or
// several merged into *merged (see TaskOption.And). What it returns is
// never written to: submit copies the settings of a Reentrant task before
// it rewrites them.
func taskOptions(opts []TaskOption, merged *taskConfig) *taskConfig {
	switch len(opts) {
	case 0:
		return &noOptions
	case 1:
		return &opts[0]
	}
	*merged = TaskOption{}.And(opts...)
	return merged
}

// And returns o combined with more, as if each had been given to the
// same submit after o: flags add up, the last name and label win,
// resources accumulate. It is for places that take one TaskOption, such
// as a key function deriving a task's options from its item.
func (o TaskOption) And(more ...TaskOption) TaskOption {
	for i := range more {
		m := &more[i]
		o.priority = o.priority || m.priority
		o.reentrant = o.reentrant || m.reentrant
		if m.name != "" {
			o.name, o.hash = m.name, m.hash
		}
		if m.group != "" || m.id != "" {
			o.group, o.id = m.group, m.id
		}
		if m.res != nil {
			o.res = append(o.res[:len(o.res):len(o.res)], m.res...)
		}
	}
	return o
}

// nameHash returns the hash of o's name (see laneTable): the one Name made,
// or, for an option that has a name without it, one made now.
func (o *TaskOption) nameHash() uint64 {
	if o.hash == 0 {
		return laneHash(o.name)
	}
	return o.hash
}
