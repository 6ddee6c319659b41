// Command sharedjob runs two processes, like two replicas of a service,
// that share a job name through PostgreSQL: each submits runs of
// "nightly-export" to a braid pool whose names come from a pglock.Locker
// (pool.NameLocker), and the runs of both processes go one at a time.
//
//	go run ./examples/sharedjob -dsn "host=/run/postgresql dbname=app"
//
// The command starts itself twice as replicas, collects the runs each one
// reports, and prints them in the order they ran, with how many
// overlapped (none should). The DSN defaults to $BRAID_PG_DSN.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/braid-go/braid/lock/pglock"
	"github.com/braid-go/braid/pool"
)

// replicaEnv tells a started copy which replica it is.
const replicaEnv = "SHAREDJOB_REPLICA"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sharedjob", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("dsn", os.Getenv("BRAID_PG_DSN"), "PostgreSQL connection string")
	runs := fs.Int("runs", 3, "runs each replica submits")
	work := fs.Duration("work", 20*time.Millisecond, "how long a run takes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if name := os.Getenv(replicaEnv); name != "" {
		err = replica(name, *dsn, *runs, *work, stdout)
	} else {
		err = launch(args, *runs, stdout)
	}
	if err != nil {
		_, _ = fmt.Fprintln(stderr, "sharedjob:", err) // stderr is the last resort: nowhere to report its own failure
		return 1
	}
	return 0
}

// replica submits runs of the shared job to a pool that takes names from
// PostgreSQL, and prints "run <replica> <n> <start> <end>" for each.
func replica(name, dsn string, runs int, work time.Duration, stdout io.Writer) error {
	ctx := context.Background()
	names, err := pglock.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer func() { _ = names.Close() }() // the runs are over and reported: closing only lets the connections go
	p, err := pool.New(pool.MaxWorkers(4), pool.NameLocker(names))
	if err != nil {
		return err
	}
	var mu sync.Mutex
	for i := 1; i <= runs; i++ {
		err := p.Go(func(ctx context.Context) error {
			start := time.Now()
			time.Sleep(work) // the export itself
			mu.Lock()
			defer mu.Unlock()
			_, err := fmt.Fprintf(stdout, "run %s %d %d %d\n", name, i, start.UnixNano(), time.Now().UnixNano())
			return err
		}, pool.Name("nightly-export"))
		if err != nil {
			return errors.Join(err, p.Wait())
		}
	}
	return p.Wait()
}

// runLine is one run as a replica reported it.
type runLine struct {
	replica    string
	n          int
	start, end int64
}

// launch starts replicas a and b of this program and prints their runs in
// the order they started.
func launch(args []string, runs int, stdout io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var (
		mu    sync.Mutex
		all   []runLine
		wg    sync.WaitGroup
		errs  = make([]error, 2)
		names = []string{"a", "b"}
	)
	for i, name := range names {
		cmd := exec.Command(exe, args...)
		cmd.Env = append(os.Environ(), replicaEnv+"="+name)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		wg.Go(func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				var r runLine
				if _, err := fmt.Sscanf(sc.Text(), "run %s %d %d %d", &r.replica, &r.n, &r.start, &r.end); err == nil {
					mu.Lock()
					all = append(all, r)
					mu.Unlock()
				}
			}
			errs[i] = cmd.Wait()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("replica %s: %w", names[i], err)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].start < all[j].start })
	out := new(strings.Builder) // written to stdout in one piece: one write error to check
	fmt.Fprintf(out, "nightly-export: %d runs from each of 2 replicas, in the order they ran:\n", runs)
	overlaps := 0
	for i, r := range all {
		if i > 0 && r.start < all[i-1].end {
			overlaps++
		}
		fmt.Fprintf(out, "  replica %s run %d\n", r.replica, r.n)
	}
	fmt.Fprintf(out, "runs: %d, overlapping: %d\n", len(all), overlaps)
	_, err = io.WriteString(stdout, out.String())
	return err
}
