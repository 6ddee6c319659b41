// Command failover runs a plan across three replicas of a service, each
// a process of its own, and kills one of them (SIGKILL) while it runs a
// step: the step runs again, from the start, on another replica.
//
//	go run ./examples/failover -dsn "host=/run/postgresql dbname=app"
//
// The command migrates the database, starts itself three times as
// replicas (2 workers each), runs the plan from a node of its own, and
// prints which replica ran each step, on which attempt, and how long
// after the kill the killed step started again. The DSN defaults to
// $BRAID_PG_DSN.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/braid-go/braid/parallel/cluster"
)

// replicaEnv tells a started copy which replica it is.
const replicaEnv = "FAILOVER_REPLICA"

// The one kind of this example: a step that works for Ms milliseconds and
// reports where it ran.
type stepArgs struct {
	Ms int `json:"ms"`
}

type ran struct {
	Replica string `json:"replica"`
	Attempt int    `json:"attempt"`
}

var (
	kinds = cluster.NewKinds()
	kStep = cluster.Register(kinds, "step", func(ctx context.Context, a stepArgs) (ran, error) {
		info, _ := cluster.Running(ctx)
		t := time.NewTimer(time.Duration(a.Ms) * time.Millisecond)
		defer t.Stop()
		select {
		case <-t.C:
			return ran{Replica: info.Replica, Attempt: info.Attempt}, nil
		case <-ctx.Done():
			return ran{}, ctx.Err()
		}
	})
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("failover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("dsn", os.Getenv("BRAID_PG_DSN"), "PostgreSQL connection string")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if id := os.Getenv(replicaEnv); id != "" {
		err = replica(id, *dsn)
	} else {
		err = launch(args, *dsn, stdout)
	}
	if err != nil {
		_, _ = fmt.Fprintln(stderr, "failover:", err)
		return 1
	}
	return 0
}

// replica runs a worker node until its standard input closes.
func replica(id, dsn string) error {
	ctx := context.Background()
	db, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := cluster.Open(ctx, db, kinds, cluster.Replica(id), cluster.MaxWorkers(2))
	if err != nil {
		return err
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return n.Shutdown(ctx)
}

// proc is a started replica.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// start starts replica id and waits until it takes work.
func start(args []string, id string) (*proc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), replicaEnv+"="+id)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if sc := bufio.NewScanner(out); !sc.Scan() || sc.Text() != "ready" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("replica %s did not start", id)
	}
	return &proc{cmd: cmd, stdin: stdin}, nil
}

func launch(args []string, dsn string, stdout io.Writer) error {
	ctx := context.Background()
	db, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := cluster.Migrate(ctx, db); err != nil {
		return err
	}
	procs := map[string]*proc{}
	defer func() {
		for _, p := range procs {
			_ = p.stdin.Close()
			_ = p.cmd.Wait()
		}
	}()
	for _, id := range []string{"replica-1", "replica-2", "replica-3"} {
		p, err := start(args, id)
		if err != nil {
			return err
		}
		procs[id] = p
	}
	n, err := cluster.Open(ctx, db, kinds, cluster.Replica("launcher"))
	if err != nil {
		return err
	}
	defer func() { _ = n.Close() }() // a replica that ends here has nothing left to report

	plan, err := cluster.NewPlan(n, cluster.GroupMaxWorkers(4))
	if err != nil {
		return err
	}
	rows := []stepArgs{{50}, {50}, {50}, {50}, {50}}
	plan.Add(
		cluster.Do("extract", kStep.Call(stepArgs{50})),
		cluster.Do("users", kStep.Call(stepArgs{100}), cluster.ThreadYes),
		cluster.Do("orders", kStep.Call(stepArgs{1500}), cluster.ThreadYes),
		cluster.Do("stock", kStep.Call(stepArgs{100}), cluster.ThreadJoin),
		cluster.Broadcast("rows", kStep, rows, cluster.Parallelism(2)),
		cluster.Do("report", kStep.Call(stepArgs{50})),
	)
	id, err := plan.Start(ctx)
	if err != nil {
		return err
	}

	// Kill the replica that runs "orders", once it runs.
	victim, err := poll(ctx, func() (string, error) {
		var r string
		err := db.QueryRow(ctx, `SELECT replica FROM braid_tasks WHERE group_id = $1 AND key = 'orders' AND state = 2`, id).Scan(&r)
		return r, err
	})
	if err != nil {
		return err
	}
	killed := time.Now()
	if err := procs[victim].cmd.Process.Kill(); err != nil {
		return err
	}
	_ = procs[victim].cmd.Wait()
	delete(procs, victim)
	_, _ = fmt.Fprintf(stdout, "killed %s while it ran orders\n", victim)
	restarted, err := poll(ctx, func() (time.Time, error) {
		var t time.Time
		err := db.QueryRow(ctx, `SELECT started_at FROM braid_tasks WHERE group_id = $1 AND key = 'orders' AND state >= 2 AND attempt = 2`, id).Scan(&t)
		return t, err
	})
	if err != nil {
		return err
	}

	res, err := cluster.WaitPlan(ctx, n, id)
	if err != nil {
		return err
	}
	for _, r := range res.All() {
		var out ran
		if err := json.Unmarshal(r.Output, &out); err != nil {
			return err
		}
		_, _ = fmt.Fprintf(stdout, "%-8s %-9s on %s, attempt %d\n", r.ID, r.State, out.Replica, out.Attempt)
	}
	orders, _ := res.Get("orders")
	_, _ = fmt.Fprintf(stdout, "rerun: orders started again on %s %v after the kill\n", orders.Replica, restarted.Sub(killed).Round(10*time.Millisecond))
	return nil
}

// poll calls get every 10 ms until it succeeds, for up to a minute.
func poll[T any](ctx context.Context, get func() (T, error)) (T, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		v, err := get()
		if err == nil || time.Now().After(deadline) {
			return v, err
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return v, errors.Join(err, ctx.Err())
		}
	}
}
