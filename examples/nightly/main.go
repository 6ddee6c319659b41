// Command nightly runs braid's flagship scenario: a nightly ETL plan shaped
// like a job scheduler's threaded project.
//
//  1. extract          No    runs alone
//  2. users            Yes   ┐
//  3. orders           Yes   │ a thread block, closed by the Join
//  4. stock            Join  ┘
//  5. reports          Yes   ┐ an inlined plan whose threaded steps join the block,
//  6. rows             Yes   ┘ and a broadcast over configuration rows
//  7. notify           No    runs once all of 5 and 6 are done
//
// The plan runs with Max Threads 3, on a pool of its own. Each row declares
// the table it writes as a resource (parallel.PerItem with pool.Resources):
// two rows writing one table never overlap, and a row waiting for its table
// is Blocked, holds no thread, and is not billed for the wait. The program prints the plan's
// blocks, its progress while it runs (on standard error: a line rewritten
// in place on a terminal, plain lines in a log), the run
// as a Gantt chart, and writes it to trace.json for Perfetto
// (ui.perfetto.dev) or chrome://tracing. Work is simulated with sleeps.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
)

func main() {
	if _, err := run(context.Background(), os.Stdout, os.Stderr, "trace.json"); err != nil {
		fmt.Fprintln(os.Stderr, "nightly:", err)
		os.Exit(1)
	}
}

// row is one configuration row of the load: the table it writes.
type row struct {
	id    string
	table string
	work  time.Duration
}

var rows = []row{
	{"eu-orders", "orders", 60 * time.Millisecond},
	{"us-orders", "orders", 60 * time.Millisecond},
	{"eu-stock", "stock", 40 * time.Millisecond},
	{"us-stock", "stock", 40 * time.Millisecond},
	{"audit", "audit", 30 * time.Millisecond},
}

// work simulates a step that takes d, unless the run is cancelled.
func work(d time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// nightly builds the plan. Each row takes its table as a resource: the plan
// holds it for the row while the row runs, and a row whose table is busy
// waits for it Blocked, holding no thread.
func nightly(events func(pool.Event)) *parallel.Plan {
	reports := parallel.NewPlan().Add(
		parallel.Do("pdf", work(50*time.Millisecond), parallel.ThreadYes),
		parallel.Do("csv", work(30*time.Millisecond), parallel.ThreadYes),
	)
	writeRow := func(ctx context.Context, r row) error { return work(r.work)(ctx) }
	table := parallel.PerItem(func(r row) pool.TaskOption { return pool.Resources(r.table) })
	return parallel.NewPlan(parallel.Label("nightly"), parallel.MaxWorkers(3), parallel.OnEvent(events)).Add(
		parallel.Do("extract", work(40*time.Millisecond)),
		parallel.Do("users", work(30*time.Millisecond), parallel.ThreadYes),
		parallel.Do("orders", work(70*time.Millisecond), parallel.ThreadYes),
		parallel.Do("stock", work(50*time.Millisecond), parallel.ThreadJoin),
		parallel.Inline("reports", reports, parallel.ThreadYes),
		parallel.Broadcast("rows", rows, writeRow, parallel.Parallelism(2), table, parallel.ThreadYes),
		parallel.Do("notify", work(10*time.Millisecond)),
	)
}

// progress counts tasks by state from the run's events.
type progress struct {
	mu    sync.Mutex
	state map[uint64]pool.State
}

func (p *progress) hook(e pool.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == nil {
		p.state = make(map[uint64]pool.State)
	}
	p.state[e.Task] = e.State
}

func (p *progress) line() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var n [8]int
	done := 0
	for _, st := range p.state {
		if st.Final() {
			done++
		} else {
			n[st]++
		}
	}
	return fmt.Sprintf("running %d  waiting %d  blocked %d  done %d", n[pool.Running], n[pool.Waiting], n[pool.Blocked], done)
}

// run runs the plan, printing to out, the live progress to live, and the
// trace to tracePath ("" for none). It returns the recorded run.
func run(ctx context.Context, out, live io.Writer, tracePath string) (*timeline.Recorder, error) {
	rec := new(timeline.Recorder)
	var prog progress
	plan := nightly(func(e pool.Event) { rec.Hook(e); prog.hook(e) })
	desc, err := plan.Describe()
	if err != nil {
		return nil, err
	}
	if _, err := fmt.Fprintf(out, "The nightly plan, block by block:\n%s", desc); err != nil {
		return nil, err
	}

	stop := make(chan struct{})
	ticking := showProgress(live, prog.line, stop)
	res, runErr := plan.Run(ctx)
	close(stop)
	<-ticking

	report := new(strings.Builder) // written to out in one piece: one write error to check
	fmt.Fprintln(report, "\nThe run:")
	if err := rec.WriteGantt(report, 60); err != nil {
		return rec, err
	}
	fmt.Fprintf(report, "\nsteps: %d succeeded, %d failed, %d skipped\n",
		res.Count(pool.Succeeded), res.Count(pool.Failed), res.Count(pool.Skipped))
	for i, r := range rows {
		// A row that found its table busy waited Blocked: not running,
		// not billed, holding no thread.
		rr, _ := res.Get(fmt.Sprintf("rows[%d]", i))
		fmt.Fprintf(report, "row %-9s table %-6s blocked %-5v ran %v\n", r.id, r.table, rr.Blocked.Round(time.Millisecond), rr.Ran.Round(time.Millisecond))
	}
	if tracePath != "" {
		if err := writeTrace(rec, tracePath); err != nil {
			return rec, err
		}
		fmt.Fprintf(report, "trace written to %s: open it in ui.perfetto.dev or chrome://tracing\n", tracePath)
	}
	if _, err := io.WriteString(out, report.String()); err != nil {
		return rec, err
	}
	return rec, runErr
}

func writeTrace(rec *timeline.Recorder, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(rec.WriteTrace(f), f.Close())
}
