package paralleltest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/parallel/paralleltest"
	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// printT stands in for a test's *testing.T here: it prints the first line
// of each error (the rest is the run's chart, which depends on timing).
type printT struct{ testing.TB }

func (printT) Helper() {}

func (printT) Errorf(format string, args ...any) {
	msg, _, _ := strings.Cut(fmt.Sprintf(format, args...), "\n")
	fmt.Println("error:", msg)
}

// A gate decides when each task finishes, and tells when each starts.
func ExampleGate() {
	var g paralleltest.Gate
	p, _ := pool.New(pool.MaxWorkers(1))
	_ = p.Go(g.Func("first"))
	_ = p.Go(g.Func("second"))

	<-g.Started("first")
	fmt.Println("held:", g.Held()) // second waits for the only slot
	g.Release("first")
	<-g.Started("second")
	fmt.Println("held:", g.Held())
	g.ReleaseAll()
	fmt.Println("wait:", p.Wait())
	// Output:
	// held: [first]
	// held: [second]
	// wait: <nil>
}

// A pool meant to run at most 2 tasks at once, configured with 3 by
// mistake: the assertion says which tasks ran together.
func ExampleAssertMaxConcurrent() {
	var rec timeline.Recorder
	var g paralleltest.Gate
	p, _ := pool.New(pool.MaxWorkers(3), pool.OnEvent(rec.Hook))
	for _, id := range []string{"t1", "t2", "t3", "t4"} {
		_ = p.Go(g.Func(id), pool.Label("", id))
	}
	<-g.Started("t1")
	<-g.Started("t2")
	<-g.Started("t3")
	g.ReleaseAll()
	_ = p.Wait()

	var t printT // in a test: the test's t
	fmt.Println(paralleltest.AssertMaxConcurrent(t, &rec, 3))
	fmt.Println(paralleltest.AssertMaxConcurrent(t, &rec, 2))
	// Output:
	// true
	// error: at most 2 tasks should run at once, but 3 did: t1, t2 and t3
	// false
}

// ExploreOrders proves a policy over every completion order: here, that a
// fail_fast group of four tasks, two at a time, starts nothing after a
// task fails, whichever tasks end before it. Given the test's *testing.T,
// ExploreOrders opens the synctest bubble itself. The scenario can fail:
// with two slots, c and d cannot both start before b fails, so under
// wait_all one of them would start after the failure. It needs a test's
// *testing.T, so this example is a test function's body and is not run
// here.
func ExampleExploreOrders() {
	testFailFast := func(t *testing.T) {
		boom := errors.New("boom")
		paralleltest.ExploreOrders(t, []string{"a", "b", "c", "d"}, func(t testing.TB, run *paralleltest.Run) {
			g := parallel.NewGroup[int](parallel.MaxWorkers(2),
				parallel.WithStrategy(strategy.FailFast()), parallel.OnEvent(run.Recorder.Hook))
			for _, id := range run.Gate.Keys() {
				task := run.Gate.Func(id)
				if id == "b" {
					task = run.Gate.Wrap(id, func(context.Context) error { return boom })
				}
				g.Add(id, func(ctx context.Context) (int, error) { return 0, task(ctx) })
			}
			_, _ = g.Run(t.Context())
			paralleltest.AssertNothingStartedAfter(t, run.Recorder, "b")
			paralleltest.AssertFinal(t, run.Recorder, "b", pool.Failed)
		})
	}
	_ = testFailFast // in a _test.go file: func TestFailFast(t *testing.T) { ... }
}
