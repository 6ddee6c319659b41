package paralleltest

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/braid-go/braid/parallel/timeline"
)

// DefaultSample is how many release orders ExploreOrders tries when not
// told otherwise (see [Sample]): every order of up to 6 keys (6! = 720),
// and a random sample of 720 beyond.
const DefaultSample = 720

// Run is one run of a scenario under [ExploreOrders]: the gate whose keys
// it releases, a recorder of its own, and the order of the releases.
type Run struct {
	Gate     *Gate              // knows the explored keys; make the tasks with its Func or Wrap (other keys wait until the scenario releases them)
	Recorder *timeline.Recorder // empty; give its Hook to the pool, group or plan under test
	Order    []string           // the keys in the order this run releases them
}

// ExploreOption configures [ExploreOrders].
type ExploreOption func(*exploreConfig)

type exploreConfig struct {
	size int
	seed uint64
}

// Sample makes ExploreOrders try at most n release orders: all of them
// when there are at most n, otherwise n drawn at random with seed (the
// same n and seed give the same orders, so a failure can be replayed).
// The default is Sample(DefaultSample, 1). n < 1 fails the test.
func Sample(n int, seed uint64) ExploreOption {
	return func(c *exploreConfig) { c.size, c.seed = n, seed }
}

// ExploreOrders runs scenario once for every order in which the gated
// tasks named by keys can be released (see [Sample] for more than 6 keys),
// and reports the first order under which the scenario failed.
//
// Each run gets a fresh [Run]: a gate that knows exactly keys and a fresh
// recorder. The scenario builds what it tests (a pool, a group or a plan),
// with the recorder as its event hook and its tasks made by the gate,
// starts it, waits for it to end (Wait, Close, Run), and asserts on the
// recorder. Meanwhile ExploreOrders releases the keys one at a time in the
// run's order, waiting between two releases until every goroutine of the
// run is blocked (synctest.Wait): the run has done all it can before the
// next task is let go. So the tasks end in that order, as far as the
// policy under test lets them start: a task whose turn comes before it
// started passes the gate as soon as it starts, and one that never starts
// (skipped) is simply never seen.
//
// ExploreOrders runs inside a testing/synctest bubble: that is how it
// knows a run has settled, and it makes the whole exploration run on a
// fake clock, fast and with no goroutine left behind. Given the test's
// *testing.T, it opens the bubble itself (synctest.Test) when it is not
// already in one; given any other testing.TB, it must be called inside
// one. Releases happen at one instant of that clock; timers the scenario
// sets fire once it is waiting for nothing else.
//
// The run's gate also makes tasks of keys that are not explored: those
// wait until the scenario releases them (or their context ends), which is
// how a scenario holds a task that must never finish on its own, such as
// the one a fail_fast group is to cancel. To test a policy about what
// happens after a failure, make sure some task cannot have started before
// the failure (a limit that keeps it queued behind the failing task, or a
// step after it): a scenario in which every task has started before the
// failure passes under wait_all too, and so proves nothing.
//
// The scenario runs on a goroutine of its own with a testing.TB of the
// run's own: its errors, logs (Output included), FailNow and Skip stay
// with the run, its Cleanup functions run when the run's scenario
// returns, and its Context ends then. On the first failing order, ExploreOrders reports the order
// and what the run reported, as in
//
//	order [c a b] (3 of 6):
//	    policy_test.go:41: at most 2 tasks should run at once, but 3 did: a, b and c
//
// and stops. It returns whether every order passed.
func ExploreOrders(t testing.TB, keys []string, scenario func(t testing.TB, run *Run), opts ...ExploreOption) bool {
	t.Helper()
	cfg := exploreConfig{size: DefaultSample, seed: 1}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.size < 1 {
		t.Fatalf("paralleltest: ExploreOrders: Sample(%d, ...): the sample needs at least one order", cfg.size)
	}
	if err := checkKeys(keys); err != "" {
		t.Fatalf("paralleltest: ExploreOrders: %s", err)
	}
	if v := settle(); v != nil {
		if tt, ok := t.(*testing.T); ok {
			passed := false
			synctest.Test(tt, func(t *testing.T) { passed = exploreAll(t, keys, scenario, cfg) })
			return passed
		}
		t.Fatalf("paralleltest: ExploreOrders must be called inside a testing/synctest bubble (synctest.Test), or given a *testing.T: synctest.Wait: %v", v)
	}
	return exploreAll(t, keys, scenario, cfg)
}

// exploreAll runs the exploration, inside a bubble.
func exploreAll(t testing.TB, keys []string, scenario func(t testing.TB, run *Run), cfg exploreConfig) bool {
	t.Helper()
	total, all := orders(len(keys), cfg.size, cfg.seed)
	k := 0
	for order := range all {
		k++
		run := newRun(keys, order)
		o := newOrderT(t)
		explore(o, run, scenario)
		if o.Failed() {
			t.Errorf("order %v (%d of %d):\n%s", run.Order, k, total, indent(o.output()))
			return false
		}
	}
	return true
}

// explore runs scenario for one order, releasing its keys as it goes.
func explore(o *orderT, run *Run, scenario func(testing.TB, *Run)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.run(func() { scenario(o, run) })
	}()
	for _, key := range run.Order {
		synctest.Wait()
		run.Gate.Release(key)
	}
	<-done
}

func newRun(keys []string, order []int) *Run {
	run := &Run{Gate: new(Gate), Recorder: new(timeline.Recorder)}
	for _, key := range keys {
		run.Gate.add(key)
	}
	for _, i := range order {
		run.Order = append(run.Order, keys[i])
	}
	return run
}

func checkKeys(keys []string) string {
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			return fmt.Sprintf("key %q is given twice", k)
		}
		seen[k] = true
	}
	return ""
}

// settle waits for the bubble to settle, or returns why it cannot:
// synctest.Wait panics outside a bubble.
func settle() (v any) {
	defer func() { v = recover() }()
	synctest.Wait()
	return nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
