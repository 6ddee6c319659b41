package pglock_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProcessesNeverOverlap: two processes take one name 500 times each;
// their holds, recorded in a shared file, never overlap, and the fencing
// tokens grow from each hold to the next.
func TestProcessesNeverOverlap(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "holds")
	args := workerArgs{Name: "xproc-mutex", N: 500, File: file}
	ws := []*worker{startWorker(t, "mutex", args), startWorker(t, "mutex", args)}
	for _, w := range ws {
		w.wait(t)
	}
	es := readRecord(t, file)
	require.Len(t, es, 2*2*args.N)
	perPid := map[int]int{}
	for i := 0; i < len(es); i += 2 {
		enter, exit := es[i], es[i+1]
		require.Equal(t, "enter", enter.kind, enter.line)
		require.Equal(t, "exit", exit.kind, "line %d: a hold of another process began before %q ended", exit.lineNo, enter.line)
		require.Equal(t, enter.pid, exit.pid)
		require.Equal(t, enter.token, exit.token)
		if i > 0 {
			prev := es[i-1]
			require.Greater(t, enter.token, prev.token, "tokens grow")
			require.GreaterOrEqual(t, enter.unixNano, prev.unixNano, "holds are disjoint in time")
		}
		perPid[enter.pid]++
	}
	require.Len(t, perPid, 2)
	for _, n := range perPid {
		require.Equal(t, args.N, n)
	}
}

// TestClusterWideLimit: four processes share a semaphore of 3 slots,
// taking 1 or 2 at a time; the slots held at once, summed over the shared
// record, never exceed 3.
func TestClusterWideLimit(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "holds")
	args := workerArgs{Name: "xproc-limit", N: 30, Size: 3, File: file, Work: 2 * time.Millisecond}
	var ws []*worker
	for range 4 {
		ws = append(ws, startWorker(t, "sem", args))
	}
	for _, w := range ws {
		w.wait(t)
	}
	es := readRecord(t, file)
	require.Len(t, es, 4*2*args.N)
	held, peak := 0, 0
	for _, e := range es {
		if e.kind == "enter" {
			held += e.weight
		} else {
			held -= e.weight
		}
		require.LessOrEqual(t, held, args.Size, "line %d: %d slots held at once", e.lineNo, held)
		peak = max(peak, held)
	}
	require.Zero(t, held)
	require.Greater(t, peak, 1, "the processes did hold slots side by side")
	t.Logf("peak: %d of %d slots", peak, args.Size)
}

// TestKilledHolder: when a process holding a name is killed (SIGKILL), a
// waiter in another process gets the name within 2 s: the server ends the
// dead client's session, and with it its locks, as soon as the socket
// closes.
func TestKilledHolder(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	w := startWorker(t, "hold", workerArgs{Name: "xproc-kill"})
	require.Equal(t, "held", within(t, w.lines, 30*time.Second, "worker holds the name"))
	got := acquireAsync(t.Context(), open(t), "xproc-kill")
	eventually(t, func() bool { return adm.nameLocks("xproc-kill", false) == 1 }, "waiting")

	killed := time.Now()
	require.NoError(t, w.cmd.Process.Kill())
	r := within(t, got, 2*time.Second, "the waiter after the holder was killed")
	took := time.Since(killed)
	require.NoError(t, r.err)
	require.Less(t, took, 2*time.Second)
	t.Logf("acquired %v after the kill", took)
	require.NoError(t, r.lease.Release())
	require.Error(t, w.cmd.Wait(), "killed")
}

// TestKilledWaiter: a process killed while it waits for a name leaves no
// phantom waiter in the server's queue. The server learns of a vanished
// client only when it next talks to it, which a waiting backend does not;
// Open's connections ask it to check every Heartbeat
// (client_connection_check_interval), so the dead waiter leaves the queue
// within about a second, and before the name is released.
func TestKilledWaiter(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	holder, err := open(t).Acquire(t.Context(), "xproc-waiter")
	require.NoError(t, err)
	w := startWorker(t, "wait", workerArgs{Name: "xproc-waiter"})
	eventually(t, func() bool { return adm.nameLocks("xproc-waiter", false) == 1 }, "the worker waits")
	killed := time.Now()
	require.NoError(t, w.cmd.Process.Kill())
	require.Error(t, w.cmd.Wait(), "killed")
	eventually(t, func() bool { return adm.nameLocks("xproc-waiter", false) == 0 }, "the dead waiter left the queue")
	t.Logf("the dead waiter left the queue %v after the kill", time.Since(killed))
	require.NoError(t, holder.Release())
	again, err := open(t).TryAcquire("xproc-waiter")
	require.NoError(t, err, "nobody got the name in between")
	require.NoError(t, again.Release())
}
