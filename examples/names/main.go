// Command names shows braid's per-name queues on an ETL tool's job runner.
//
// The runner takes at most 3 job runs at once. The scheduler submits a
// backlog of six runs: two runs of the job load-orders, which share the
// job's name and so wait for each other; two instances of a shared job,
// export, each under a name of its own (the job name plus an instance ID),
// which run side by side; and two more jobs. A run waiting for its name
// holds no slot, so it never keeps other jobs from running. Then a user
// starts a run from the UI: it is submitted with pool.Priority, starts at
// the next free slot ahead of the scheduled backlog, and the limit of 3
// still holds.
//
// Every run waits for the program to end it, so the order of events below
// is fixed by the pool's guarantees alone, not by timing.
//
// Run it with: go run ./examples/names
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/braid-go/braid/pool"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// limit is how many runs the runner takes at once.
const limit = 3

// A job run is a task of the pool under its job's name (or, for a shared
// job, its instance's). It reports that it started, then works until the
// program ends it.
type jobRun struct {
	label string // how the log shows it
	job   string // what peaks are counted by
	end   chan struct{}
	order int // submission order, to list runs that started together
}

// runner submits job runs and keeps the log's raw material: which runs
// started, and how many runs (of each job) ran at once.
type runner struct {
	pool    *pool.Pool
	runs    map[string]*jobRun
	started chan string // labels, as runs start; buffered for every run

	mu         sync.Mutex
	now, peaks map[string]int // runs at once, by job and under "" for all
}

// submit submits a run of job under name: the job's own, or a shared job's
// instance's.
func (r *runner) submit(label, job, name string, opts ...pool.TaskOption) error {
	jr := &jobRun{label: label, job: job, end: make(chan struct{}), order: len(r.runs)}
	r.runs[label] = jr
	opts = append(opts, pool.Name(name))
	return r.pool.Go(func(context.Context) error {
		r.count(jr.job, +1)
		r.started <- jr.label
		<-jr.end
		r.count(jr.job, -1)
		return nil
	}, opts...)
}

func (r *runner) count(job string, d int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range []string{"", job} {
		r.now[k] += d
		r.peaks[k] = max(r.peaks[k], r.now[k])
	}
}

// next waits for n runs to start and lists them in submission order.
func (r *runner) next(n int) string {
	labels := make([]string, n)
	for i := range labels {
		labels[i] = <-r.started
	}
	slices.SortFunc(labels, func(a, b string) int { return r.runs[a].order - r.runs[b].order })
	return strings.Join(labels, ", ")
}

// finish ends the run with the given label and returns the run that its
// slot went to.
func (r *runner) finish(label string) string {
	close(r.runs[label].end)
	return r.next(1)
}

func (r *runner) stats() string {
	s := r.pool.Stats()
	return fmt.Sprintf("%d running, %d queued for a slot, %d waiting for its job's name", s.Running, s.Waiting, s.Blocked)
}

func run(w io.Writer) (err error) {
	out := new(strings.Builder) // the report, written to w in one piece at the end: one write, one error to check
	defer func() {
		if _, werr := io.WriteString(w, out.String()); err == nil {
			err = werr
		}
	}()
	p, err := pool.New(pool.MaxWorkers(limit))
	if err != nil {
		return err
	}
	defer func() { _ = p.Close() }() // the tasks' errors come back from Wait; Close only lets the workers go
	r := &runner{pool: p, runs: map[string]*jobRun{}, started: make(chan string, 16), now: map[string]int{}, peaks: map[string]int{}}

	backlog := []struct{ label, job, name string }{
		{"load-orders #1", "load-orders", "load-orders"}, // two runs of one job:
		{"load-orders #2", "load-orders", "load-orders"}, // one name, one at a time
		{"export@eu", "export", "export@eu"},             // a shared job: each instance
		{"export@us", "export", "export@us"},             // has an ID of its own
		{"sales-report", "sales-report", "sales-report"},
		{"inventory", "inventory", "inventory"},
	}
	labels := make([]string, len(backlog))
	for i, b := range backlog {
		if err := r.submit(b.label, b.job, b.name); err != nil {
			return err
		}
		labels[i] = b.label
	}
	fmt.Fprintf(out, "runner: %d runs at once; the scheduler submits\n   %s\n", limit, strings.Join(labels, ", "))

	fmt.Fprintf(out, "1. started %s\n   %s\n", r.next(limit), r.stats())

	// A run from the UI goes to the front of the queue.
	if err := r.submit("dedupe (UI)", "dedupe", "dedupe", pool.Priority()); err != nil {
		return err
	}
	fmt.Fprintf(out, "2. the UI submits dedupe, with priority\n   %s\n", r.stats())

	// Each step ends one run; its slot goes to the first run in the queue.
	steps := []struct{ end, note string }{
		{"load-orders #1", "; load-orders #2 has its name now and queues for a slot"},
		{"export@eu", ""},
		{"export@us", ""},
		{"dedupe (UI)", ""},
	}
	for i, s := range steps {
		fmt.Fprintf(out, "%d. %s ends: started %s%s\n", i+3, s.end, r.finish(s.end), s.note)
	}
	for _, label := range []string{"sales-report", "inventory", "load-orders #2"} {
		close(r.runs[label].end)
	}
	if err := p.Wait(); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d. sales-report, inventory and load-orders #2 end: the queue is empty\n", len(steps)+3)

	fmt.Fprintf(out, "\npeak runs at once: %d (limit %d)\n", r.peaks[""], limit)
	fmt.Fprintf(out, "peak load-orders runs at once: %d; peak export instances at once: %d\n", r.peaks["load-orders"], r.peaks["export"])
	return nil
}
