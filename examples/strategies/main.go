// Command strategies shows braid's four group strategies on a workflow
// engine's parallel task.
//
// A trip planner asks three services at once (max_workers 3), and they
// answer in turn: the geocoder fails, then the weather service answers,
// then the traffic service. The same three tasks run under each strategy:
//
//   - wait_all runs all three to the end and fails with the geocoder's error;
//   - fail_fast stops at that failure and cancels the other two;
//   - best_effort runs all three and succeeds, since two succeeded;
//   - race lets the first success win (a failure is no win) and cancels
//     the rest.
//
// The group's on_success and on_error callbacks (Group.OnSuccess,
// Group.OnError) report the outputs or the failed tasks. Last, the wait_all
// group again, on a day the traffic service hangs, with a timeout: traffic
// is cut off and the group fails with an error that is
// context.DeadlineExceeded.
//
// The turns come from the group's event hook (parallel.OnEvent): the
// geocoder answers once all three tasks are running, and each other
// service once the group has seen the task before it end, so whatever the
// strategy does about that end (cancel the rest, or not) is done by then.
// That fixes the output without relying on timing, except that the timeout
// must not pass before the first two answers; the test runs the program in
// a testing/synctest bubble, where it cannot.
//
// Run it with: go run ./examples/strategies
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// A service is one task of the group: what it answers when its turn comes.
type service struct {
	id     string
	output string
	err    error
}

// services answer in this order.
var services = []service{
	{"geocoder", "", errors.New("503 service unavailable")},
	{"weather", "12°C, light rain", nil},
	{"traffic", "A1 clear, 25 min", nil},
}

// ask returns the task that waits for the service's turn and answers,
// unless its context is done by then.
func (s service) ask(turn <-chan struct{}) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		select {
		case <-turn:
		case <-ctx.Done():
		}
		if err := ctx.Err(); err != nil {
			return "", err
		}
		return s.output, s.err
	}
}

func run(w io.Writer) (err error) {
	out := new(strings.Builder) // the report, written to w in one piece at the end: one write, one error to check
	defer func() {
		if _, werr := io.WriteString(w, out.String()); err == nil {
			err = werr
		}
	}()
	for _, s := range []strategy.Strategy{strategy.WaitAll(), strategy.FailFast(), strategy.BestEffort(), strategy.Race()} {
		if err := runGroup(out, s.String(), "", parallel.WithStrategy(s)); err != nil {
			return err
		}
		fmt.Fprintln(out)
	}
	return runGroup(out, "wait_all with a timeout of 100ms, traffic hangs", "traffic", parallel.Timeout(100*time.Millisecond))
}

// runGroup runs the services as a group configured by opts and prints how it
// went. The service named by hung never gets its turn.
func runGroup(out *strings.Builder, title, hung string, opts ...parallel.Option) error {
	turns := make([]chan struct{}, len(services))
	for i := range turns {
		turns[i] = make(chan struct{})
	}
	// The first service answers once every task is running; each next one
	// once the group has seen the one before it end.
	running := 0
	next := func(e pool.Event) {
		i := slices.IndexFunc(services, func(s service) bool { return s.id == e.ID })
		switch {
		case e.State == pool.Running:
			if running++; running == len(services) {
				close(turns[0])
			}
		case e.Final() && i >= 0 && i+1 < len(services) && services[i+1].id != hung:
			close(turns[i+1])
		}
	}
	g := parallel.NewGroup[string](append(opts, parallel.MaxWorkers(3), parallel.OnEvent(next))...)
	for i, s := range services {
		g.Add(s.id, s.ask(turns[i]))
	}
	var callback string // printed after the tasks
	g.OnSuccess(func(outputs map[string]string) {
		callback = "on_success: outputs of " + strings.Join(slices.Sorted(maps.Keys(outputs)), ", ")
	})
	g.OnError(func(failed []parallel.Result[string], _ error) {
		ids := make([]string, len(failed))
		for i, f := range failed {
			ids[i] = f.ID
		}
		callback = fmt.Sprintf("on_error: %d failed: %s", len(failed), strings.Join(ids, ", "))
	})

	res, err := g.Run(context.Background())
	if err == nil {
		fmt.Fprintf(out, "%s: the group succeeded\n", title)
	} else {
		fmt.Fprintf(out, "%s: the group failed: %s\n", title, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	for _, r := range res.All() {
		fmt.Fprintf(out, "  %-9s %-10s", r.ID, r.State)
		switch {
		case r.Err != nil:
			fmt.Fprintf(out, " %v", r.Err)
		case r.Output != "":
			fmt.Fprintf(out, " %s", r.Output)
		}
		fmt.Fprintln(out)
	}
	if id, output, ok := res.Winner(); ok {
		fmt.Fprintf(out, "  winner: %s (%s)\n", id, output)
	}
	fmt.Fprintf(out, "  %s\n", callback)
	if errors.Is(err, parallel.ErrTimeout) {
		fmt.Fprintf(out, "  errors.Is(err, context.DeadlineExceeded): %t\n", errors.Is(err, context.DeadlineExceeded))
	}
	return nil
}
