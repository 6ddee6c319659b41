// Command limits shows braid's run limits on a remote engine that runs
// data-integration tasks.
//
// The engine runs at most 3 task runs at once, the product's default, and
// 0 lifts the limit (pool.MaxWorkers). Runs of different tasks run side by
// side, but runs of one task wait for each other unless the task allows
// parallel runs: here only sync-crm does, up to 2 at once
// (pool.NameLimit); every other task keeps the default of 1. Each run
// first deploys its task into a directory that all runs of the task
// share, and parallel runs could overwrite each other's deployment, so
// deploying is a critical section under a lock per task (a lock.Names
// table used as a keyed mutex).
//
// The same eight runs go to an engine with the default limit and to one
// without a limit. Every run waits, once deployed, until as many runs are
// going as the limits allow, so the peaks printed are fixed by the limits,
// not by timing.
//
// Run it with: go run ./examples/limits
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/braid-go/braid/lock"
	"github.com/braid-go/braid/pool"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// A task is what the engine runs, as often as it is triggered.
type task struct {
	name     string
	runs     int // how many runs are triggered
	parallel int // how many of them may run at once: 1 unless the task allows parallel runs
}

var tasks = []task{
	{"sync-crm", 3, 2},
	{"billing", 2, 1},
	{"report", 2, 1},
	{"cleanup", 1, 1},
}

// defaultLimit is the engine's concurrent-run limit out of the box.
const defaultLimit = 3

func run(w io.Writer) (err error) {
	out := new(strings.Builder) // the report, written to w in one piece at the end: one write, one error to check
	defer func() {
		if _, werr := io.WriteString(w, out.String()); err == nil {
			err = werr
		}
	}()
	triggered := make([]string, len(tasks))
	for i, t := range tasks {
		triggered[i] = fmt.Sprintf("%s x%d", t.name, t.runs)
		if t.parallel > 1 {
			triggered[i] += fmt.Sprintf(" (parallel runs allowed, %d at once)", t.parallel)
		}
	}
	fmt.Fprintf(out, "runs triggered: %s\n\n", strings.Join(triggered, ", "))

	limits := []int{defaultLimit, 0}
	seen := make([]*engineRun, len(limits))
	for i, limit := range limits {
		e, err := engine(limit)
		if err != nil {
			return err
		}
		seen[i] = e
	}

	const format = "%-34s%18v%14v\n"
	row := func(what string, peak func(*engineRun) int) {
		fmt.Fprintf(out, format, what, peak(seen[0]), peak(seen[1]))
	}
	fmt.Fprintf(out, format, "peaks", fmt.Sprintf("limit %d (default)", limits[0]), "no limit (0)")
	row("runs at once", func(e *engineRun) int { return e.peaks[""] })
	for _, t := range tasks {
		row(fmt.Sprintf("%s runs at once (allowed %d)", t.name, t.parallel), func(e *engineRun) int { return e.peaks[t.name] })
	}
	row("deploys of one task at once", func(e *engineRun) int {
		n := 0
		for _, t := range tasks {
			n = max(n, e.peaks["deploy "+t.name])
		}
		return n
	})
	row("deployments overwritten", func(e *engineRun) int { return e.overwritten })

	_, refused := pool.New(pool.MaxWorkers(-1))
	fmt.Fprintf(out, "\na limit of -1 is refused: %v\n", refused)
	return nil
}

// engine runs every task's runs on a pool with the given limit and returns
// what it saw.
func engine(limit int) (*engineRun, error) {
	opts := []pool.Option{pool.MaxWorkers(limit)}
	for _, t := range tasks {
		if t.parallel > 1 {
			opts = append(opts, pool.NameLimit(t.name, t.parallel))
		}
	}
	p, err := pool.New(opts...)
	if err != nil {
		return nil, err
	}
	// The tasks' errors come back from Wait; Close only lets the workers go.
	defer func() { _ = p.Close() }()
	deploys, err := lock.NewNames() // one lock per task name
	if err != nil {
		return nil, err
	}

	e := &engineRun{
		going: make(chan struct{}, 16), finish: make(chan struct{}),
		shared: map[string]int{}, now: map[string]int{}, peaks: map[string]int{},
	}
	id := 0
	for _, t := range tasks {
		for range t.runs {
			id++
			if err := p.Go(e.run(deploys, t.name, id), pool.Name(t.name)); err != nil {
				return nil, err
			}
		}
	}
	// Wait until as many runs are going as the limits let start at once,
	// then let every run finish.
	for range startable(limit) {
		<-e.going
	}
	close(e.finish)
	return e, p.Wait()
}

// startable is how many runs the limits let start at once: each task's
// allowance, capped by the engine's limit.
func startable(limit int) int {
	n := 0
	for _, t := range tasks {
		n += min(t.runs, t.parallel)
	}
	if limit > 0 {
		n = min(n, limit)
	}
	return n
}

// engineRun is what one engine's runs share: the signals that order them,
// the deployment directories, and the counts of what runs at once.
type engineRun struct {
	going  chan struct{} // a run is deployed and going
	finish chan struct{} // closed to let every run finish

	mu          sync.Mutex
	shared      map[string]int // task name -> the run whose deployment its directory holds
	overwritten int
	now, peaks  map[string]int // by task name, "" for all runs, "deploy "+name for its deploys
}

// run returns run number id of the named task.
func (e *engineRun) run(deploys *lock.Names, name string, id int) func(context.Context) error {
	return func(ctx context.Context) error {
		// A run waiting for the deploy lock keeps its worker slot: the
		// wait is short. Wrapped in pool.Suspend, the wait would give the
		// slot back, and another run could start meanwhile.
		lease, err := deploys.Acquire(ctx, name)
		if err != nil {
			return err
		}
		e.deploy(name, id)
		_ = lease.Release() // an in-process lease is never lost

		e.count(+1, "", name)
		e.going <- struct{}{}
		<-e.finish
		e.count(-1, "", name)
		return nil
	}
}

// deploy stands in for unpacking a task into the directory its runs share:
// it writes there, lets other goroutines run, and checks that what it wrote
// is still there.
func (e *engineRun) deploy(name string, id int) {
	e.count(+1, "deploy "+name)
	e.mu.Lock()
	e.shared[name] = id
	e.mu.Unlock()
	runtime.Gosched()
	e.mu.Lock()
	if e.shared[name] != id {
		e.overwritten++
	}
	e.mu.Unlock()
	e.count(-1, "deploy "+name)
}

func (e *engineRun) count(d int, keys ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, k := range keys {
		e.now[k] += d
		e.peaks[k] = max(e.peaks[k], e.now[k])
	}
}
