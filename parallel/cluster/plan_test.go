package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/parallel/cluster"
	"github.com/braid-go/braid/strategy"
)

// The plan of the plan tests: a lone step, a thread block of three, a
// broadcast over 5 rows two at a time, and a last lone step.
var planUnits = [][]string{{"a"}, {"b", "c", "d"}, {"rows[0]", "rows[1]", "rows[2]", "rows[3]", "rows[4]"}, {"e"}}

var planRows = []work{{Seq: 0, Ms: 60}, {Seq: 1, Ms: 60}, {Seq: 2, Ms: 60}, {Seq: 3, Ms: 60}, {Seq: 4, Ms: 60}}

// checkPlanOrder checks a run of the plan, by the marks of its tasks:
// each unit starts after the one before it ended, the block's members ran
// together, and the broadcast ran its rows exactly two at a time.
func checkPlanOrder(t *testing.T, marks map[string]mark) {
	t.Helper()
	for i := 1; i < len(planUnits); i++ {
		var lastEnd, firstStart int64
		for _, id := range planUnits[i-1] {
			lastEnd = max(lastEnd, marks[id].End)
		}
		firstStart = marks[planUnits[i][0]].Start
		for _, id := range planUnits[i] {
			firstStart = min(firstStart, marks[id].Start)
		}
		require.LessOrEqual(t, lastEnd, firstStart, "unit %d started before unit %d ended", i, i-1)
	}
	block := []mark{marks["b"], marks["c"], marks["d"]}
	require.Equal(t, 3, peak(block), "the block's members ran together")
	var rows []mark
	for _, id := range planUnits[2] {
		rows = append(rows, marks[id])
	}
	require.Equal(t, 2, peak(rows), "Parallelism(2)")
}

// TestPlanAcrossReplicas: the plan runs across 3 replica processes with
// the same block order as package parallel's plan in process.
func TestPlanAcrossReplicas(t *testing.T) {
	t.Parallel()
	// In process, with package parallel.
	var mu sync.Mutex
	local := map[string]mark{}
	step := func(id string, w work) func(context.Context) error {
		return func(ctx context.Context) error {
			m, err := doWork(ctx, w)
			mu.Lock()
			local[id] = m
			mu.Unlock()
			return err
		}
	}
	inProcess := parallel.NewPlan(parallel.MaxWorkers(4)).Add(
		parallel.Do("a", step("a", work{Ms: 20})),
		parallel.Do("b", step("b", work{Ms: 150}), parallel.ThreadYes),
		parallel.Do("c", step("c", work{Ms: 150}), parallel.ThreadYes),
		parallel.Do("d", step("d", work{Ms: 150}), parallel.ThreadJoin),
		parallel.Broadcast("rows", planRows, func(ctx context.Context, w work) error {
			return step(fmt.Sprintf("rows[%d]", w.Seq), w)(ctx)
		}, parallel.Parallelism(2)),
		parallel.Do("e", step("e", work{Ms: 20})),
	)
	_, err := inProcess.Run(ctx30(t))
	require.NoError(t, err)
	checkPlanOrder(t, local)

	// Across the cluster.
	dsn := newDB(t)
	startReplicas(t, dsn, 3, 2)
	n := openNode(t, dsn, cluster.Replica("driver"))
	p, err := cluster.NewPlan(n, cluster.GroupMaxWorkers(4), cluster.GroupID("plan"))
	require.NoError(t, err)
	p.Add(
		cluster.Do("a", kWork.Call(work{Ms: 20})),
		cluster.Do("b", kWork.Call(work{Ms: 150}), cluster.ThreadYes),
		cluster.Do("c", kWork.Call(work{Ms: 150}), cluster.ThreadYes),
		cluster.Do("d", kWork.Call(work{Ms: 150}), cluster.ThreadJoin),
		cluster.Broadcast("rows", kWork, planRows, cluster.Parallelism(2)),
		cluster.Do("e", kWork.Call(work{Ms: 20})),
	)
	res, err := p.Run(ctx30(t))
	require.NoError(t, err)
	remote := map[string]mark{}
	replicas := map[string]bool{}
	for _, r := range res.All() {
		var m mark
		require.NoError(t, json.Unmarshal(r.Output, &m))
		remote[r.ID] = m
		replicas[r.Replica] = true
	}
	require.Len(t, remote, 10)
	checkPlanOrder(t, remote)
	require.Greater(t, len(replicas), 1, "the plan spread over replicas")
	t.Logf("plan ran on %v", replicas)
}

// TestPlanFailFast: a fail_fast plan whose block fails skips every later
// unit, on every replica, and a plan with a bad step name is refused.
func TestPlanFailFast(t *testing.T) {
	t.Parallel()
	n, _ := twoWorkers(t)
	p, err := cluster.NewPlan(n, cluster.WithStrategy(strategy.FailFast()))
	require.NoError(t, err)
	p.Add(
		cluster.Do("a", kWork.Call(work{Ms: 1})),
		cluster.Do("b", kWork.Call(work{Ms: 5, Fail: true}), cluster.ThreadYes),
		cluster.Do("c", kWork.Call(work{Ms: 5_000}), cluster.ThreadJoin),
		cluster.Broadcast("rows", kWork, planRows),
		cluster.Do("e", kWork.Call(work{Ms: 1})),
	)
	res, err := p.Run(ctx30(t))
	require.ErrorContains(t, err, errTaskFailed.Error())
	require.Equal(t, "b", res.DecidedBy)
	var states []string
	for _, r := range res.All() {
		states = append(states, r.ID+":"+r.State.String())
	}
	require.Equal(t, []string{"a:Succeeded", "b:Failed", "c:Canceled", "rows[0]:Skipped", "rows[1]:Skipped",
		"rows[2]:Skipped", "rows[3]:Skipped", "rows[4]:Skipped", "e:Skipped"}, states)

	bad, err := cluster.NewPlan(n)
	require.NoError(t, err)
	bad.Add(cluster.Do("x", kWork.Call(work{})), cluster.Do("x", kWork.Call(work{})))
	_, err = bad.Start(ctx30(t))
	require.ErrorIs(t, err, cluster.ErrInvalid)
	empty, err := cluster.NewPlan(n)
	require.NoError(t, err)
	res, err = empty.Add(cluster.Broadcast("none", kWork, nil)).Run(ctx30(t))
	require.NoError(t, err)
	require.Empty(t, res.All())
}

// TestPlanNamedSteps: a plan's step with a Name waits for its unit, then
// for its name (held by a task outside the plan) with no worker held,
// and the plan goes on in order once it ran; a Name for a broadcast makes
// its inputs run one at a time, whatever its Parallelism.
func TestPlanNamedSteps(t *testing.T) {
	t.Parallel()
	n, _ := twoWorkers(t)
	ctx := ctx30(t)
	holder := hold(t, n, "db")
	p, err := cluster.NewPlan(n)
	require.NoError(t, err)
	p.Add(
		cluster.Do("first", kWork.Call(work{Ms: 1}, cluster.Name("free"))),
		cluster.Do("named", kWork.Call(work{Ms: 1}), cluster.Name("db")),
		cluster.Broadcast("rows", kWork, []work{{Ms: 30}, {Ms: 30}, {Ms: 30}}, cluster.Parallelism(0), cluster.Name("serial")),
		cluster.Do("last", kWork.Call(work{Ms: 1})),
	)
	id, err := p.Start(ctx)
	require.NoError(t, err)
	eventually(t, func() bool {
		s, err := n.ClusterStats(ctx)
		require.NoError(t, err)
		return s.Running == 1 && s.Waiting == 0 && s.Blocked == 5 // all but "first", which ended
	}, "the named step waits for its name, holding no worker, and the rest for it")
	require.NoError(t, cluster.CancelGroup(ctx, n, holder))
	res, err := cluster.WaitPlan(ctx, n, id)
	require.NoError(t, err)
	marks := map[string]mark{}
	for _, r := range res.All() {
		require.Equal(t, succeeded, r.State, r.ID)
		var m mark
		require.NoError(t, json.Unmarshal(r.Output, &m))
		marks[r.ID] = m
	}
	require.LessOrEqual(t, marks["first"].End, marks["named"].Start)
	rows := []mark{marks["rows[0]"], marks["rows[1]"], marks["rows[2]"]}
	for _, r := range rows {
		require.LessOrEqual(t, marks["named"].End, r.Start)
		require.LessOrEqual(t, r.End, marks["last"].Start)
	}
	require.Equal(t, 1, peak(rows), "one name: one at a time")
}
