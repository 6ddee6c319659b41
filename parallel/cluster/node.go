package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// Node is one process's part in a cluster: it submits tasks and waits for
// them, and, with [MaxWorkers], runs tasks on a braid pool of its own.
// Open one per process, and Close it before the process exits.
type Node struct {
	cfg   config
	db    *pgxpool.Pool
	kinds *Kinds
	river *river.Client[pgx.Tx]
	exec  *executor // nil on a node that only submits

	ctx    context.Context // ends when the node closes
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
	// leaseLost counts the times this node lost its liveness session and
	// cancelled its running tasks with ErrLeaseLost. A task claimed before
	// a loss but registered in running after its cancellation compares
	// the count across the two, and cancels itself (see runClaimed).
	leaseLost atomic.Uint64
	// leaseless is set while a worker node has lost its liveness session
	// and not opened a new one: the cluster counts it dead, so it claims
	// no task (see awaitLease).
	leaseless atomic.Bool

	mu      sync.Mutex
	running map[runKey]runningTask // the tasks this node runs
	stopped map[string]time.Time   // stop notifications lately heard, and when: see stop
	changed chan struct{}          // closed and replaced on every notification

	ending    chan struct{}  // a token per end being recorded after its job returned: see detach
	recording sync.WaitGroup // those ends

	stats   counters
	lockKey atomic.Int32 // the key of the liveness lock of the current session
}

// runKey is a running task's key: its ID and attempt. A replica counted
// dead while alive may run two attempts of one task (the one it ran on,
// and the next, given to it by the cluster), and both must stay within
// reach of a cancellation.
type runKey struct {
	id      int64
	attempt int
}

type runningTask struct {
	group  string
	cancel context.CancelCauseFunc
}

// Open starts a node on db, whose schema [Migrate] has prepared. kinds
// holds the task kinds the node runs; every replica registers the same.
// It returns an error wrapping [ErrInvalid] for a bad option.
func Open(ctx context.Context, db *pgxpool.Pool, kinds *Kinds, opts ...Option) (*Node, error) {
	if db == nil || kinds == nil {
		panic("cluster: Open needs a database pool and a kind registry")
	}
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if cfg.replica == "" {
		host, _ := os.Hostname()
		cfg.replica = host + "-" + strconv.Itoa(os.Getpid())
	}
	n := &Node{cfg: cfg, db: db, kinds: kinds, running: make(map[runKey]runningTask), stopped: make(map[string]time.Time),
		changed: make(chan struct{}), ending: make(chan struct{}, cfg.workers)}
	n.ctx, n.cancel = context.WithCancel(context.WithoutCancel(ctx))

	rc := &river.Config{
		ID:            cfg.replica,
		Logger:        slog.New(slog.DiscardHandler),
		FetchCooldown: cfg.fetchCooldown,
		JobTimeout:    -1, // a task runs as long as it needs; liveness is braid's lease
	}
	if cfg.workers > 0 {
		workers := river.NewWorkers()
		river.AddWorker(workers, &riverWorker{n: n})
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{cfg.queue: {MaxWorkers: cfg.workers}}
	}
	rc.FetchPollInterval = max(time.Second, cfg.fetchCooldown)
	client, err := river.NewClient(riverpgxv5.New(db), rc)
	if err != nil {
		return nil, fmt.Errorf("cluster: river: %w", err)
	}
	n.river = client

	l, err := n.listen(ctx)
	if err != nil {
		n.cancel()
		return nil, err
	}
	n.wg.Add(1)
	go n.listenLoop(l)
	if cfg.workers > 0 {
		n.exec, err = newExecutor(cfg)
		if err != nil {
			n.shutdownLoops()
			return nil, err
		}
		if err := client.Start(n.ctx); err != nil {
			n.shutdownLoops()
			n.exec.close()
			return nil, fmt.Errorf("cluster: river: %w", err)
		}
		n.wg.Add(1)
		go n.watchLoop()
	}
	return n, nil
}

// use panics on a nil Node or one not made by Open: a programming
// error, like a nil Pool in package pool.
func (n *Node) use() {
	if n == nil || n.db == nil {
		panic("cluster: a zero or nil Node; open one with cluster.Open")
	}
}

// ID returns the node's replica ID.
func (n *Node) ID() string { return n.cfg.replica }

// Close shuts the node down: it takes no more tasks, waits for the
// running ones and the records of their ends, and leaves the cluster.
// See [Node.Shutdown].
func (n *Node) Close() error { return n.Shutdown(context.Background()) }

// Shutdown is Close bounded by ctx: when ctx ends before the running
// tasks do, their contexts are cancelled and they are handed back to the
// cluster, to run again from the start on another replica (that is not
// an error). It returns [ErrClosed] if the node was already closed.
func (n *Node) Shutdown(ctx context.Context) error {
	n.use()
	if !n.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	var errs []error
	if n.exec != nil {
		if err := n.river.Stop(ctx); err != nil {
			n.cancelRunning(func(runningTask) bool { return true }, errHandBack)
			errs = append(errs, n.river.StopAndCancel(context.Background()))
		}
		n.recording.Wait() // the ends of jobs that returned
	}
	n.shutdownLoops()
	if n.exec != nil {
		n.exec.close()
		_, err := n.db.Exec(context.Background(), `DELETE FROM braid_replicas WHERE id = $1`, n.cfg.replica)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (n *Node) shutdownLoops() {
	n.cancel()
	n.wg.Wait()
}

// errHandBack cancels the tasks of a node that shuts down before they
// end: they go back to the queue instead of ending.
var errHandBack = errors.New("cluster: node shutting down, task handed back")

// cancelRunning cancels, with cause, the running tasks that match.
func (n *Node) cancelRunning(match func(runningTask) bool, cause error) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, r := range n.running {
		if match(r) {
			r.cancel(cause)
			c++
		}
	}
	return c
}

// heard cancels this node's running tasks that a notification stops: of
// a group ("c:<group>", cause ErrStopped) or one task ("s:<task>", cause
// ErrSuperseded). It remembers the notification for a minute: a task
// claimed before the stop but registered after the notification arrived
// cancels itself when it finds its key here (see stopKeys).
func (n *Node) heard(note string) {
	cause := ErrStopped
	if strings.HasPrefix(note, "s:") {
		cause = ErrSuperseded
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	for k, at := range n.stopped {
		if now.Sub(at) > time.Minute {
			delete(n.stopped, k)
		}
	}
	n.stopped[note] = now
	for key, r := range n.running {
		if k := stopKeys(key.id, r.group); note == k[0] || note == k[1] {
			r.cancel(cause)
		}
	}
}

// stopKeys are the notifications that stop a task: its group's stop and
// its own supersession.
func stopKeys(id int64, group string) [2]string {
	g := "c:" + group
	if group == "" {
		g = ""
	}
	return [2]string{g, "s:" + strconv.FormatInt(id, 10)}
}

// notified wakes every waiter: something they may wait for changed.
func (n *Node) notified() {
	n.mu.Lock()
	close(n.changed)
	n.changed = make(chan struct{})
	n.mu.Unlock()
}

// waitUntil calls check until it reports done, after each notification
// and at least every half second (notifications are a shortcut, not a
// guarantee: the listener may be reconnecting).
func (n *Node) waitUntil(ctx context.Context, check func(ctx context.Context) (bool, error)) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		n.mu.Lock()
		ch := n.changed
		n.mu.Unlock()
		done, err := check(ctx)
		if done || err != nil {
			return err
		}
		t.Reset(500 * time.Millisecond)
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		case <-n.ctx.Done():
			return ErrClosed
		}
	}
}

// inTx runs fn in a transaction, again after a deadlock or a
// serialisation failure (see retry).
func (n *Node) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return retry(func() error { return pgx.BeginFunc(ctx, n.db, fn) })
}

// retry runs a transaction, again after a deadlock or a serialisation
// failure, which PostgreSQL resolves by aborting one side.
func retry(tx func() error) error {
	for try := 0; ; try++ {
		err := tx()
		var pe *pgconn.PgError
		if try < 5 && errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") {
			continue
		}
		return err
	}
}
