package pglock_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock/pglock"
	"github.com/braid-go/braid/lock/pglock/pgtest"
)

// A cross-process test re-executes the test binary as worker processes:
// TestMain sees workerEnv and runs the role named there with the
// arguments in argsEnv, instead of the tests.
const (
	workerEnv = "BRAID_PGLOCK_WORKER"
	argsEnv   = "BRAID_PGLOCK_ARGS"
)

// workerArgs are a worker's arguments.
type workerArgs struct {
	Name string        // the name or semaphore
	N    int           // acquisitions
	Size int           // the semaphore's size
	File string        // the shared record of entries and exits
	Work time.Duration // how long each holder keeps the slots
}

var roles = map[string]func(context.Context, *pglock.Locker, workerArgs) error{
	"mutex":   mutexWorker,
	"sem":     semWorker,
	"hold":    holdWorker,
	"wait":    holdWorker, // the same, run while another process holds the name
	"handoff": handoffWorker,
}

// runWorker runs a role and returns the process's exit code.
func runWorker(role string) int {
	var args workerArgs
	if err := json.Unmarshal([]byte(os.Getenv(argsEnv)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 2
	}
	ctx := context.Background()
	l, err := pglock.Open(ctx, os.Getenv(pgtest.EnvDSN), pglock.PollInterval(100*time.Millisecond))
	if err == nil {
		err = roles[role](ctx, l, args)
		if cerr := l.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "worker %s: %v\n", role, err)
		return 1
	}
	return 0
}

// mutexWorker takes the name N times and records each hold: "enter" once
// it holds the name, "exit" before it releases it.
func mutexWorker(ctx context.Context, l *pglock.Locker, a workerArgs) error {
	rec, err := newRecorder(a.File)
	if err != nil {
		return err
	}
	defer rec.Close()
	for range a.N {
		lease, err := l.Acquire(ctx, a.Name)
		if err != nil {
			return err
		}
		rec.record("enter", lease.Token(), 1)
		rec.record("exit", lease.Token(), 1)
		if err := lease.Release(); err != nil {
			return err
		}
	}
	return rec.err
}

// semWorker takes 1 or 2 slots of the semaphore N times, holds them for
// Work, and records each hold as mutexWorker does.
func semWorker(ctx context.Context, l *pglock.Locker, a workerArgs) error {
	s, err := l.NewSemaphore(a.Name, a.Size)
	if err != nil {
		return err
	}
	rec, err := newRecorder(a.File)
	if err != nil {
		return err
	}
	defer rec.Close()
	for i := range a.N {
		weight := 1 + i%2
		lease, err := s.Acquire(ctx, weight)
		if err != nil {
			return err
		}
		rec.record("enter", lease.Token(), weight)
		time.Sleep(a.Work) // simulated work while holding the slots, not a wait for an event
		rec.record("exit", lease.Token(), weight)
		if err := lease.Release(); err != nil {
			return err
		}
	}
	return rec.err
}

// holdWorker takes the name, says so on stdout, and holds it until its
// standard input closes, or it is killed.
func holdWorker(ctx context.Context, l *pglock.Locker, a workerArgs) error {
	lease, err := l.Acquire(ctx, a.Name)
	if err != nil {
		return err
	}
	fmt.Println("held")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return lease.Release()
}

// handoffWorker says "ready", waits for a line on stdin, then takes and
// releases the name N times, contending with the benchmark's process.
func handoffWorker(ctx context.Context, l *pglock.Locker, a workerArgs) error {
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return err
	}
	for range a.N {
		lease, err := l.Acquire(ctx, a.Name)
		if err != nil {
			return err
		}
		if err := lease.Release(); err != nil {
			return err
		}
	}
	return nil
}

// recorder appends lines "kind pid token weight unixnano" to a file shared
// by the workers. Each line is one write to a file opened O_APPEND, so
// the file's order is the order of the writes, across processes.
type recorder struct {
	f   *os.File
	err error
}

func newRecorder(path string) (*recorder, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	return &recorder{f: f}, err
}

func (r *recorder) record(kind string, token uint64, weight int) {
	line := fmt.Sprintf("%s %d %d %d %d\n", kind, os.Getpid(), token, weight, time.Now().UnixNano())
	if _, err := r.f.WriteString(line); err != nil && r.err == nil {
		r.err = err
	}
}

func (r *recorder) Close() { _ = r.f.Close() }

// entry is a parsed line of a recorder's file.
type entry struct {
	kind     string
	pid      int
	token    uint64
	weight   int
	unixNano int64
	line     string
	lineNo   int // from 1
}

func readRecord(t *testing.T, path string) []entry {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var es []entry
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e entry
		_, err := fmt.Sscanf(line, "%s %d %d %d %d", &e.kind, &e.pid, &e.token, &e.weight, &e.unixNano)
		require.NoError(t, err, line)
		e.line, e.lineNo = line, i+1
		es = append(es, e)
	}
	return es
}

// worker is a running worker process.
type worker struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // its standard output, line by line
	stderr bytes.Buffer
}

// startWorker starts the test binary as a worker playing role.
func startWorker(t testing.TB, role string, args workerArgs) *worker {
	t.Helper()
	pgtest.DSN(t) // skips without a server; workers find it in the environment
	exe, err := os.Executable()
	require.NoError(t, err)
	js, err := json.Marshal(args)
	require.NoError(t, err)
	w := &worker{cmd: exec.Command(exe), lines: make(chan string, 16)}
	w.cmd.Env = append(os.Environ(), workerEnv+"="+role, argsEnv+"="+string(js))
	w.cmd.Stderr = &w.stderr
	w.stdin, err = w.cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := w.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, w.cmd.Start())
	go func() {
		defer close(w.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
	}()
	return w
}

// wait waits for the worker to end and fails t unless it succeeded.
func (w *worker) wait(t testing.TB) {
	t.Helper()
	_ = w.stdin.Close()
	for range w.lines { // the reader ends when the worker's stdout closes
	}
	require.NoError(t, w.cmd.Wait(), "worker: %s", w.stderr.String())
}
