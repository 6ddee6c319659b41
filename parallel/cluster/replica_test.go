package cluster_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/cluster"
)

// A cross-process test re-executes the test binary as replica processes:
// TestMain sees replicaEnv and runs a replica with the arguments found
// there, instead of the tests. A replica prints "ready" once it takes
// work, and closes its node when its standard input closes.
const replicaEnv = "BRAID_CLUSTER_REPLICA"

// replicaArgs are a replica process's arguments.
type replicaArgs struct {
	DSN     string `json:"dsn"`
	ID      string `json:"id"`
	Workers int    `json:"workers"`
	// Submit: after it is ready, the replica submits this many tasks
	// of name Name, one transaction each, then prints "submitted".
	Submit int    `json:"submit,omitempty"`
	Name   string `json:"name,omitempty"`
}

// runReplica is a replica process's main; it returns the exit code.
func runReplica(raw string) int {
	var a replicaArgs
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		fmt.Fprintln(os.Stderr, "replica:", err)
		return 2
	}
	if err := replica(a); err != nil {
		fmt.Fprintf(os.Stderr, "replica %s: %v\n", a.ID, err)
		return 1
	}
	return 0
}

func replica(a replicaArgs) error {
	ctx := context.Background()
	db, err := pgxpool.New(ctx, a.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := cluster.Open(ctx, db, kinds, cluster.Replica(a.ID), cluster.MaxWorkers(a.Workers))
	if err != nil {
		return err
	}
	fmt.Println("ready")
	for i := range a.Submit {
		if _, err := cluster.Submit(ctx, n, kWork.Call(work{Seq: i, Ms: 1}, cluster.Name(a.Name))); err != nil {
			return err
		}
	}
	if a.Submit > 0 {
		fmt.Println("submitted")
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return n.Close()
}

// proc is a replica process.
type proc struct {
	id    string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

// startReplica starts a replica process and waits until it is ready. At
// the test's end it is closed (if not killed) and waited for.
func startReplica(t testing.TB, a replicaArgs) *proc {
	t.Helper()
	raw, err := json.Marshal(a)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), replicaEnv+"="+string(raw))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &proc{id: a.ID, cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	exited := make(chan struct{})
	go func() {
		defer close(p.lines)
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			p.lines <- strings.TrimSpace(s.Text())
		}
	}()
	t.Cleanup(func() {
		_ = p.stdin.Close()
		go func() { _ = p.cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-exited
			t.Errorf("replica %s did not stop", a.ID)
		}
		for range p.lines {
		}
	})
	p.expect(t, "ready")
	return p
}

// expect waits for the replica to print line.
func (p *proc) expect(t testing.TB, line string) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			require.True(t, ok, "replica %s exited before %q", p.id, line)
			if l == line {
				return
			}
		case <-timeout:
			t.Fatalf("replica %s: no %q within 60s", p.id, line)
		}
	}
}
