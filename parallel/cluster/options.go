package cluster

import (
	"time"

	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// config is a node's configuration.
type config struct {
	replica       string
	workers       int
	queue         string
	reapEvery     time.Duration
	heartbeat     time.Duration
	deadAfter     time.Duration
	fetchCooldown time.Duration
	retain        time.Duration
	hook          func(pool.Event)
	firstErr
}

// firstErr keeps the first error of a list of options, which is the one
// the constructor returns.
type firstErr struct{ err error }

func (f *firstErr) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

func defaults() config {
	return config{
		queue:         "braid",
		reapEvery:     200 * time.Millisecond,
		heartbeat:     time.Second,
		deadAfter:     30 * time.Second,
		fetchCooldown: 5 * time.Millisecond,
	}
}

// Option configures a [Node].
type Option func(*config)

// Replica names this node in the cluster; tasks record the replica that
// ran them. The default is the host name and process ID. Two live nodes
// must not share a name.
func Replica(id string) Option {
	return func(c *config) {
		if id == "" {
			c.fail(invalid("empty replica ID"))
		}
		c.replica = id
	}
}

// MaxWorkers makes the node a worker: it runs up to n tasks at once,
// taken from the shared queue, and takes no more while n run. The
// cluster's capacity is the sum over its workers. 0, the default, makes
// a node that only submits and waits.
func MaxWorkers(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.fail(invalid("MaxWorkers(%d): must be >= 0", n))
		}
		c.workers = n
	}
}

// Queue names the River queue the cluster's tasks go through; every
// replica of one cluster uses the same. The default is "braid".
func Queue(name string) Option {
	return func(c *config) {
		if name == "" {
			c.fail(invalid("empty queue name"))
		}
		c.queue = name
	}
}

// FailureDetection sets how often a worker node looks for dead replicas
// (every, default 200 ms), and after how long without a heartbeat a
// replica whose database session is still open counts as dead (hung,
// default 30 s). A replica whose process dies loses its session at once,
// so its tasks run again within about every; hung is only for a process
// that stopped beating yet holds its connection open, and must be longer
// than any pause a live process may take (GC, a stalled disk).
func FailureDetection(every, hung time.Duration) Option {
	return func(c *config) {
		if every <= 0 || hung <= every {
			c.fail(invalid("FailureDetection(%v, %v): need 0 < every < hung", every, hung))
		}
		c.reapEvery, c.deadAfter = every, hung
		c.heartbeat = min(c.heartbeat, hung/4)
	}
}

// FetchCooldown is the least time between two fetches of River's
// producer on this node (River's FetchCooldown, at least 1 ms; default
// 5 ms). River's own default of 100 ms caps a node running tiny tasks at
// about 10 fetches a second.
func FetchCooldown(d time.Duration) Option {
	return func(c *config) {
		if d < time.Millisecond {
			c.fail(invalid("FetchCooldown(%v): at least 1ms", d))
		}
		c.fetchCooldown = d
	}
}

// Retention makes a worker node [Prune] what ended more than d ago, once
// a minute (or every d, if shorter), taking turns with the other worker
// nodes: one prunes at a time. By default nothing is deleted. d <= 0 is
// an [ErrInvalid] error of Open.
func Retention(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail(invalid("Retention(%v): must be > 0", d))
		}
		c.retain = d
	}
}

// OnEvent receives every state change of the tasks this node runs, from
// its braid pool: the event's Pool is the replica's ID, its Group and ID
// the task's group and task ID. A parallel/timeline Recorder's Hook
// turns them into a timeline per replica.
func OnEvent(hook func(pool.Event)) Option {
	return func(c *config) { c.hook = hook }
}

// TaskOption configures one task.
type TaskOption func(*taskConfig)

type taskConfig struct {
	name      string
	nameLimit int
	priority  bool
	overflow  pool.Overflow
}

// Name puts the task in the cluster-wide line of key: tasks sharing the
// name run one at a time (or up to [NameLimit]) across every replica, in
// submission order, and a task waiting for its name holds no worker
// anywhere (it is Blocked, and River has no job for it yet).
func Name(key string) TaskOption { return func(c *taskConfig) { c.name = key } }

// NameLimit lets up to n tasks of the task's name run at once across the
// cluster (default 1). The limit is the name's: the latest submission
// sets it for the whole line.
func NameLimit(n int) TaskOption { return func(c *taskConfig) { c.nameLimit = n } }

// Priority puts the task ahead of ordinary ones: in River's queue
// (priority 1 instead of 2) and in the replica's pool.
func Priority() TaskOption { return func(c *taskConfig) { c.priority = true } }

// NameOverflow says what happens when the task arrives while its [Name]
// is busy (as many of its tasks run as it admits, or others wait), with
// the meaning of package pool's policies, across the cluster:
//
//   - pool.Enqueue, the default: the task waits its turn.
//   - pool.DropNewest: the task ends at once, Skipped with [ErrDropped].
//   - pool.CancelRunning: the name's running tasks see their context
//     cancelled with cause [ErrSuperseded], on whatever replica runs
//     them; those let in but not started yet are Skipped with it. The
//     task waits its turn.
//   - pool.KeepLatest: the tasks waiting for the name end Skipped with
//     [ErrReplaced], and the task waits in their place; the running ones
//     run on.
//
// It needs a Name, and applies at the task's arrival, to the tasks
// submitted before it. A task without a Name, or an unknown policy, is
// an [ErrInvalid] error of the submit.
func NameOverflow(o pool.Overflow) TaskOption { return func(c *taskConfig) { c.overflow = o } }

// GroupOption configures a [Group].
type GroupOption func(*groupConfig)

type groupConfig struct {
	id       string
	strategy strategy.Strategy
	workers  int
	timeout  time.Duration
	firstErr
}

// GroupID gives the group its ID, by which any node can wait for it
// ([WaitGroup]); by default Start makes a random one. Starting a second
// group with an ID in use fails with [ErrDuplicateID].
func GroupID(id string) GroupOption {
	return func(c *groupConfig) {
		if id == "" {
			c.fail(invalid("empty group ID"))
		}
		c.id = id
	}
}

// WithStrategy sets the group's strategy (default wait_all). It is
// decided cluster-wide, in the transaction that records the deciding
// result.
func WithStrategy(s strategy.Strategy) GroupOption {
	return func(c *groupConfig) {
		if err := s.Err(); err != nil {
			c.fail(err)
		}
		c.strategy = s
	}
}

// GroupMaxWorkers caps how many of the group's tasks run at once across
// the whole cluster (0: no cap beyond the replicas' own limits). The
// group's tasks wait in a line of their own; one with a [Name] waits in
// its name's line instead.
func GroupMaxWorkers(n int) GroupOption {
	return func(c *groupConfig) {
		if n < 0 {
			c.fail(invalid("GroupMaxWorkers(%d): must be >= 0", n))
		}
		c.workers = n
	}
}

// Timeout bounds the group from its start: tasks still running then see
// their context's deadline pass (they end TimedOut), and tasks not yet
// started are skipped.
func Timeout(d time.Duration) GroupOption {
	return func(c *groupConfig) {
		if d <= 0 {
			c.fail(invalid("Timeout(%v): must be > 0", d))
		}
		c.timeout = d
	}
}
