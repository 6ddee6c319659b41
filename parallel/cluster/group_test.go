package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/cluster"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// States by name, for readable assertions.
var (
	succeeded = cluster.State(3)
	failed    = cluster.State(4)
	canceled  = cluster.State(5)
	skipped   = cluster.State(6)
	timedOut  = cluster.State(7)
)

// twoWorkers opens two worker nodes of 3 slots on a new database and
// returns the first.
func twoWorkers(t *testing.T) (*cluster.Node, string) {
	dsn := newDB(t)
	n := openNode(t, dsn, cluster.Replica("w1"), cluster.MaxWorkers(3))
	openNode(t, dsn, cluster.Replica("w2"), cluster.MaxWorkers(3))
	return n, dsn
}

// TestRace: the first success wins; the group's running tasks are
// cancelled and its queued ones skipped; Winner names it.
func TestRace(t *testing.T) {
	t.Parallel()
	n, _ := twoWorkers(t)
	g, err := cluster.NewGroup[mark](n, cluster.WithStrategy(strategy.Race()))
	require.NoError(t, err)
	require.NoError(t, g.Add("fast", kWork.Call(work{Seq: 1, Ms: 200})))
	for i := range 20 {
		require.NoError(t, g.Add(fmt.Sprint("slow", i), kWork.Call(work{Seq: 2, Ms: 10_000})))
	}
	res, err := g.Run(ctx30(t))
	require.NoError(t, err)
	id, out, ok := res.Winner()
	require.True(t, ok)
	require.Equal(t, "fast", id)
	require.Equal(t, 1, out.Seq)
	require.Equal(t, "fast", res.DecidedBy)
	require.Equal(t, 1, res.Count(succeeded))
	require.Equal(t, 20, res.Count(canceled)+res.Count(skipped))
	c := res.Count(canceled)
	require.True(t, c >= 1 && c <= 5, "%d cancelled: the fast one ran beside at most 5 others", c)
}

// TestBestEffortTolerance: best_effort tolerating 2 failures stops at the
// third, with ErrToleranceExceeded; one tolerating 5 runs everything and
// succeeds.
func TestBestEffortTolerance(t *testing.T) {
	t.Parallel()
	n, _ := twoWorkers(t)
	run := func(tol int) (*cluster.Results[mark], error) {
		g, err := cluster.NewGroup[mark](n, cluster.WithStrategy(strategy.BestEffort().Tolerate(tol)), cluster.GroupMaxWorkers(1))
		require.NoError(t, err)
		for i := range 8 {
			require.NoError(t, g.Add(fmt.Sprint(i), kWork.Call(work{Seq: i, Ms: 1, Fail: i%2 == 1})))
		}
		return g.Run(ctx30(t))
	}
	res, err := run(2)
	require.ErrorIs(t, err, strategy.ErrToleranceExceeded)
	require.Equal(t, 3, res.Count(failed))
	require.Equal(t, "5", res.DecidedBy, "one at a time, in order: the third failure is task 5")
	require.Equal(t, 2, res.Count(skipped))
	res, err = run(5)
	require.NoError(t, err)
	require.Equal(t, 4, res.Count(succeeded))
}

// TestGroupMaxWorkers: a group capped at 2 never runs more than 2 tasks
// at once, across both worker nodes.
func TestGroupMaxWorkers(t *testing.T) {
	t.Parallel()
	n, _ := twoWorkers(t)
	g, err := cluster.NewGroup[mark](n, cluster.GroupMaxWorkers(2))
	require.NoError(t, err)
	for i := range 16 {
		require.NoError(t, g.Add(fmt.Sprint(i), kWork.Call(work{Seq: i, Ms: 50})))
	}
	res, err := g.Run(ctx30(t))
	require.NoError(t, err)
	var ms []mark
	replicas := map[string]bool{}
	for _, r := range res.All() {
		ms = append(ms, r.Output)
		replicas[r.Replica] = true
	}
	require.Equal(t, 2, peak(ms))
	t.Logf("ran on %v", replicas)
}

// TestKindLimit: a kind with a cluster-wide limit of 2 runs at most 2 at
// once, over lone tasks (submitted in one transaction, so that all wait
// at once).
func TestKindLimit(t *testing.T) {
	t.Parallel()
	n, dsn := twoWorkers(t)
	ctx := ctx30(t)
	var calls []cluster.Call[mark]
	for i := range 12 {
		calls = append(calls, kLimited.Call(work{Seq: i, Ms: 50}))
	}
	ids := submitAll(t, n, dsn, calls...)
	var ms []mark
	for _, id := range ids {
		r, err := cluster.Wait[mark](ctx, n, id)
		require.NoError(t, err)
		require.Equal(t, succeeded, r.State)
		ms = append(ms, r.Output)
	}
	require.Equal(t, 2, peak(ms))
}

// TestTimeout: a group's timeout ends its running tasks TimedOut and
// skips the ones that had not started.
func TestTimeout(t *testing.T) {
	t.Parallel()
	n, _ := twoWorkers(t)
	g, err := cluster.NewGroup[mark](n, cluster.Timeout(300*time.Millisecond), cluster.GroupMaxWorkers(2))
	require.NoError(t, err)
	for i := range 4 {
		require.NoError(t, g.Add(fmt.Sprint(i), kWork.Call(work{Seq: i, Ms: 10_000})))
	}
	res, err := g.Run(ctx30(t))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, 2, res.Count(timedOut))
	require.Equal(t, 2, res.Count(skipped))
	for _, r := range res.All() {
		require.ErrorIs(t, r.Err, context.DeadlineExceeded, "task %s", r.ID)
	}
}

// TestSubmitTx: a task submitted in a transaction that rolls back never
// exists; one whose transaction commits runs.
func TestSubmitTx(t *testing.T) {
	t.Parallel()
	n, dsn := twoWorkers(t)
	db := openPool(t, dsn)
	ctx := ctx30(t)
	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	gone, err := cluster.SubmitTx(ctx, n, tx, kWork.Call(work{Ms: 1}))
	require.NoError(t, err)
	require.NoError(t, tx.Rollback(ctx))
	_, err = cluster.Wait[mark](ctx, n, gone)
	require.ErrorIs(t, err, cluster.ErrNotFound)

	tx, err = db.Begin(ctx)
	require.NoError(t, err)
	g, err := cluster.NewGroup[mark](n, cluster.GroupID("in-tx"))
	require.NoError(t, err)
	require.NoError(t, g.Add("a", kWork.Call(work{Seq: 1, Ms: 1})))
	_, err = g.StartTx(ctx, tx)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	res, err := cluster.WaitGroup[mark](ctx, n, "in-tx")
	require.NoError(t, err)
	require.Equal(t, 1, res.Count(succeeded))
}

// TestWaitGroupFromAnotherNode: a node that did not start the group waits
// for it by its ID and gets the same typed results.
func TestWaitGroupFromAnotherNode(t *testing.T) {
	t.Parallel()
	n, dsn := twoWorkers(t)
	other := openNode(t, dsn, cluster.Replica("watcher"))
	g, err := cluster.NewGroup[mark](n, cluster.GroupID("shared"))
	require.NoError(t, err)
	for i := range 5 {
		require.NoError(t, g.Add(fmt.Sprint(i), kWork.Call(work{Seq: i, Ms: 5})))
	}
	_, err = g.Start(ctx30(t))
	require.NoError(t, err)
	res, err := cluster.WaitGroup[mark](ctx30(t), other, "shared")
	require.NoError(t, err)
	require.Len(t, res.Outputs(), 5)
	r, ok := res.Get("3")
	require.True(t, ok)
	require.Equal(t, 3, r.Output.Seq)
	_, err = cluster.WaitGroup[mark](ctx30(t), other, "nope")
	require.ErrorIs(t, err, cluster.ErrNotFound)
}

// TestBadInput: bad input is a typed error, a programming error panics.
func TestBadInput(t *testing.T) {
	t.Parallel()
	n, _ := twoWorkers(t)
	g, err := cluster.NewGroup[mark](n)
	require.NoError(t, err)
	require.ErrorIs(t, g.Add("", kWork.Call(work{})), cluster.ErrEmptyID)
	require.NoError(t, g.Add("a", kWork.Call(work{})))
	require.ErrorIs(t, g.Add("a", kWork.Call(work{})), cluster.ErrDuplicateID)
	other := cluster.Register(cluster.NewKinds(), "elsewhere", doWork)
	require.ErrorIs(t, g.Add("b", other.Call(work{})), cluster.ErrUnknownKind)
	_, err = cluster.NewGroup[mark](n, cluster.GroupMaxWorkers(-1))
	require.ErrorIs(t, err, cluster.ErrInvalid)
	_, err = cluster.NewGroup[mark](n, cluster.WithStrategy(strategy.FailFast().Tolerate(1)))
	require.ErrorIs(t, err, strategy.ErrInvalid)
	_, err = cluster.Open(t.Context(), openPool(t, newDB(t)), kinds, cluster.MaxWorkers(-1))
	require.ErrorIs(t, err, cluster.ErrInvalid)
	require.PanicsWithValue(t, "cluster: kind \"work\" registered twice", func() { cluster.Register(kinds, "work", doWork) })
	require.PanicsWithValue(t, "cluster: nil kind function", func() {
		cluster.Register[work, mark](cluster.NewKinds(), "x", nil)
	})
}

// TestPriority: a priority task submitted after ordinary ones, all in one
// transaction, runs first on a replica with one worker.
func TestPriority(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	n := openNode(t, dsn, cluster.Replica("w1"), cluster.MaxWorkers(1))
	ctx := ctx30(t)
	var calls []cluster.Call[mark]
	for i := range 5 {
		calls = append(calls, kWork.Call(work{Seq: i, Ms: 20}))
	}
	ids := submitAll(t, n, dsn, append(calls, kWork.Call(work{Seq: 99, Ms: 1}, cluster.Priority()))...)
	urgent, ids := ids[5], ids[:5]
	u, err := cluster.Wait[mark](ctx, n, urgent)
	require.NoError(t, err)
	for _, id := range ids {
		r, err := cluster.Wait[mark](ctx, n, id)
		require.NoError(t, err)
		require.Less(t, u.Output.Start, r.Output.Start, "the priority task ran first")
	}
}

// TestShutdownHandsBack: a node shut down with a deadline that its
// running task outlasts hands the task back; another node runs it again
// as attempt 2.
func TestShutdownHandsBack(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	a, err := cluster.Open(t.Context(), openPool(t, dsn), kinds, cluster.Replica("a"), cluster.MaxWorkers(1))
	require.NoError(t, err)
	gid := startOne(t, a, "handed", work{Ms: 2000})
	running(t, openPool(t, dsn), gid, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	require.NoError(t, a.Shutdown(ctx), "the hand-back is the planned way out")
	b := openNode(t, dsn, cluster.Replica("b"), cluster.MaxWorkers(1))
	res, err := cluster.WaitGroup[mark](ctx30(t), b, gid)
	require.NoError(t, err)
	r, _ := res.Get("t")
	require.Equal(t, 2, r.Attempt)
	require.Equal(t, "b", r.Replica)
	require.ErrorIs(t, a.Close(), cluster.ErrClosed)
}

// submitAll submits calls in one transaction, so that they wait at once.
func submitAll(t *testing.T, n *cluster.Node, dsn string, calls ...cluster.Call[mark]) []cluster.TaskID {
	ctx := ctx30(t)
	tx, err := openPool(t, dsn).Begin(ctx)
	require.NoError(t, err)
	var ids []cluster.TaskID
	for _, c := range calls {
		id, err := cluster.SubmitTx(ctx, n, tx, c)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	require.NoError(t, tx.Commit(ctx))
	return ids
}

// TestTimeoutWithoutWorkers: a group whose timeout passes while no
// replica has a free worker still ends on time: its tasks are skipped
// by the reaper, not when a worker would get to them.
func TestTimeoutWithoutWorkers(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	n := openNode(t, dsn, cluster.Replica("w1"), cluster.MaxWorkers(1))
	busy := startOne(t, n, "busy", work{Ms: 30_000})
	running(t, openPool(t, dsn), busy, 1)
	g, err := cluster.NewGroup[mark](n, cluster.Timeout(200*time.Millisecond))
	require.NoError(t, err)
	require.NoError(t, g.Add("late", kWork.Call(work{Ms: 1})))
	res, err := g.Run(ctx30(t))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	r, _ := res.Get("late")
	require.Equal(t, skipped, r.State)
	require.Less(t, r.Waited, 2*time.Second, "skipped soon after its timeout")
	require.NoError(t, cluster.CancelGroup(ctx30(t), n, busy))
}

// TestNilValuesPanic: a nil or zero Node, Group, Plan or kind registry is
// a programming error that panics with the package's prefix, as a nil
// Pool does in package pool, not with a nil dereference deep inside; a
// zero Kinds is an empty registry.
func TestNilValuesPanic(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const node = "cluster: a zero or nil Node; open one with cluster.Open"
	for name, f := range map[string]func(){
		"Submit":      func() { _, _ = cluster.Submit(ctx, nil, kWork.Call(work{})) },
		"SubmitTx":    func() { _, _ = cluster.SubmitTx(ctx, &cluster.Node{}, nil, kWork.Call(work{})) },
		"Wait":        func() { _, _ = cluster.Wait[mark](ctx, nil, 1) },
		"NewGroup":    func() { _, _ = cluster.NewGroup[mark](nil) },
		"WaitGroup":   func() { _, _ = cluster.WaitGroup[mark](ctx, nil, "g") },
		"CancelGroup": func() { _ = cluster.CancelGroup(ctx, nil, "g") },
		"NewPlan":     func() { _, _ = cluster.NewPlan(nil) },
		"Prune":       func() { _, _ = cluster.Prune(ctx, nil, time.Hour) },
		"Close":       func() { _ = (*cluster.Node)(nil).Close() },
	} {
		require.PanicsWithValue(t, node, f, name)
	}
	var g cluster.Group[mark]
	require.PanicsWithValue(t, "cluster: a zero or nil Group; make one with cluster.NewGroup", func() { _ = g.Add("a", kWork.Call(work{})) })
	require.PanicsWithValue(t, "cluster: a zero or nil Group; make one with cluster.NewGroup", func() { _, _ = g.Start(ctx) })
	var p cluster.Plan
	require.PanicsWithValue(t, "cluster: a zero or nil Plan; make one with cluster.NewPlan", func() { _, _ = p.Start(ctx) })
	require.PanicsWithValue(t, "cluster: nil kind registry", func() { cluster.Register(nil, "x", doWork) })
	var ks cluster.Kinds
	require.Equal(t, "x", cluster.Register(&ks, "x", doWork).Name())
	var res cluster.Results[mark]
	_, _, ok := res.Winner()
	require.False(t, ok, "a zero Results has no winner")
}

// TestUnknownKindOnReplica: a task whose kind the submitter registered
// but the replica that took it did not fails there, and its error is
// ErrUnknownKind for errors.Is on any node, not just text.
func TestUnknownKindOnReplica(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	mine := cluster.NewKinds()
	only := cluster.Register(mine, "only-here", func(_ context.Context, n int) (int, error) { return n, nil })
	sub, err := cluster.Open(t.Context(), openPool(t, dsn), mine, cluster.Replica("sub"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sub.Close()) })
	openNode(t, dsn, cluster.Replica("w1"), cluster.MaxWorkers(1))
	id, err := cluster.Submit(ctx30(t), sub, only.Call(3))
	require.NoError(t, err)
	r, err := cluster.Wait[int](ctx30(t), sub, id)
	require.NoError(t, err)
	require.Equal(t, failed, r.State)
	require.ErrorIs(t, r.Err, cluster.ErrUnknownKind)
	require.Equal(t, "w1", r.Replica)
}

// TestClosedNodeTakesNoSubmission: a closed node submits nothing, as it
// waits for nothing: Submit, SubmitTx, a group's and a plan's start
// return ErrClosed, and no task is inserted.
func TestClosedNodeTakesNoSubmission(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	db := openPool(t, dsn)
	n, err := cluster.Open(t.Context(), openPool(t, dsn), kinds, cluster.Replica("closed"))
	require.NoError(t, err)
	g, err := cluster.NewGroup[mark](n)
	require.NoError(t, err)
	require.NoError(t, g.Add("a", kWork.Call(work{Ms: 1})))
	p, err := cluster.NewPlan(n)
	require.NoError(t, err)
	p.Add(cluster.Do("a", kWork.Call(work{Ms: 1})))
	require.NoError(t, n.Close())
	ctx := ctx30(t)
	_, err = cluster.Submit(ctx, n, kWork.Call(work{Ms: 1}))
	require.ErrorIs(t, err, cluster.ErrClosed)
	tx, err := db.Begin(ctx)
	require.NoError(t, err)
	_, err = cluster.SubmitTx(ctx, n, tx, kWork.Call(work{Ms: 1}))
	require.ErrorIs(t, err, cluster.ErrClosed)
	require.NoError(t, tx.Rollback(ctx))
	_, err = g.Start(ctx)
	require.ErrorIs(t, err, cluster.ErrClosed)
	_, err = p.Start(ctx)
	require.ErrorIs(t, err, cluster.ErrClosed)
	var tasks int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM braid_tasks`).Scan(&tasks))
	require.Zero(t, tasks)
}

// kPanics panics with its argument.
var kPanics = cluster.Register(kinds, "panics", func(_ context.Context, n int) (int, error) { panic(fmt.Sprint("boom ", n)) })

// TestPanicKeepsStack: a task that panics on a replica fails, triggers
// fail_fast, and its error is, for errors.As on any node, a
// *pool.PanicError with the panic's value and the stack that panicked.
func TestPanicKeepsStack(t *testing.T) {
	t.Parallel()
	n, _ := twoWorkers(t)
	g, err := cluster.NewGroup[int](n, cluster.WithStrategy(strategy.FailFast()))
	require.NoError(t, err)
	require.NoError(t, g.Add("p", kPanics.Call(7)))
	res, err := g.Run(ctx30(t))
	require.Error(t, err)
	r, _ := res.Get("p")
	require.Equal(t, failed, r.State)
	var pe *pool.PanicError
	require.ErrorAs(t, r.Err, &pe)
	require.Equal(t, "boom 7", pe.Value)
	require.Contains(t, string(pe.Stack), "group_test.go", "the stack shows the frames that panicked")
	require.Equal(t, "p", res.DecidedBy)
}

// TestStartTwice: a group starts once. A second Start returns
// ErrStarted and leaves the group started: it used to mark the group not
// started on its way out, so that Add took more calls and a third Start
// ran every task again, as a second group.
func TestStartTwice(t *testing.T) {
	t.Parallel()
	dsn := newDB(t)
	n := openNode(t, dsn, cluster.Replica("w1"), cluster.MaxWorkers(2))
	g, err := cluster.NewGroup[mark](n)
	require.NoError(t, err)
	require.NoError(t, g.Add("a", kWork.Call(work{Ms: 1})))
	_, err = g.Run(ctx30(t))
	require.NoError(t, err)
	_, err = g.Start(ctx30(t))
	require.ErrorIs(t, err, cluster.ErrStarted)
	require.ErrorIs(t, g.Add("b", kWork.Call(work{Ms: 1})), cluster.ErrStarted)
	_, err = g.Start(ctx30(t))
	require.ErrorIs(t, err, cluster.ErrStarted)
	var groups int
	require.NoError(t, openPool(t, dsn).QueryRow(ctx30(t), `SELECT count(*) FROM braid_groups`).Scan(&groups))
	require.Equal(t, 1, groups)
}
