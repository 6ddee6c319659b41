package pglock_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock/pglock"
	"github.com/braid-go/braid/lock/pglock/pgtest"
)

// proxy forwards TCP connections to a server until partition is called;
// from then on it forwards nothing, in either direction, but keeps every
// socket open, as a network that silently drops packets would look to a
// process whose peer's kernel still acknowledges them.
type proxy struct {
	ln       net.Listener
	target   string
	cut      chan struct{} // closed by partition
	cutOnce  sync.Once
	mu       sync.Mutex
	conns    []net.Conn
	wg       sync.WaitGroup
	shutdown chan struct{}
	stopOnce sync.Once
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, target: target, cut: make(chan struct{}), shutdown: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// dsn is a connection string to the server through the proxy.
func (p *proxy) dsn() string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable connect_timeout=2",
		p.ln.Addr().(*net.TCPAddr).Port)
}

func (p *proxy) partition() { p.cutOnce.Do(func() { close(p.cut) }) }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(client, server)
		go p.pipe(server, client)
	}
}

// pipe copies from src to dst until the partition, then drops what it
// reads and waits for the proxy to close.
func (p *proxy) pipe(src, dst net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-p.cut:
			<-p.shutdown
			return
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			_ = dst.(*net.TCPConn).CloseWrite()
			return
		}
	}
}

// close ends the proxy and closes every socket, as the network coming
// back would, with the peers resetting what they had given up on. A test
// calls it before its Lockers close: pgx gives a connection it abandoned
// 15 s to drain, which a silent, open socket would use up.
func (p *proxy) close() { p.stopOnce.Do(p.stop) }

func (p *proxy) stop() {
	close(p.shutdown)
	_ = p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// session is the SessionTimeout of the partition tests' far Lockers.
const session = 2 * time.Second

// partitionable starts a cluster of the test's own, listening on TCP, and
// returns it, a proxy to it, a Locker on the far side of the proxy (with
// the SessionTimeout session), and an admin connection on the near side.
func partitionable(t *testing.T) (*pgtest.Cluster, *proxy, *pglock.Locker, *admin) {
	c := pgtest.NewCluster(t, true)
	px := newProxy(t, c.TCPAddr())
	far := openDSN(t, px.dsn(), pglock.Heartbeat(200*time.Millisecond), pglock.SessionTimeout(session), pglock.Timeout(time.Second))
	return c, px, far, newAdminOn(t, c.DSN())
}

// TestPartitionedHolderBound: a holder cut off from the server by a
// partition, its sockets still open on both sides, loses its lease within
// a few Heartbeats, and the server frees the name within the
// SessionTimeout (2 s here), when a waiter on the other side gets it.
// Without a bound the server would keep the lock until TCP gave up,
// which it never does while the peer's kernel acknowledges.
func TestPartitionedHolderBound(t *testing.T) {
	t.Parallel()
	c, px, far, adm := partitionable(t)
	near := openDSN(t, c.DSN())

	lease, err := far.Acquire(t.Context(), "partition")
	require.NoError(t, err)
	got := acquireAsync(t.Context(), near, "partition")
	eventually(t, func() bool { return adm.nameLocks("partition", false) == 1 }, "the near waiter queues")

	cut := time.Now()
	px.partition()
	within(t, lease.Lost(), 5*time.Second, "the holder notices")
	lost := time.Since(cut)
	r := within(t, got, session+5*time.Second, "the near waiter")
	require.NoError(t, r.err)
	handed := time.Since(cut)
	t.Logf("partition: the holder's Lost closed after %v; the name was free for the other side after %v (SessionTimeout %v)",
		lost, handed, session)
	require.Less(t, handed, session+time.Second)
	require.NoError(t, r.lease.Release())
	px.close()
}

// TestPartitionedWaiterBound: a waiter cut off by a partition, whose
// context then ends, cannot take its cancel request to the server, and
// stays in the lock's queue; when the holder releases, the server grants
// it the name, and then ends its silent session within the
// SessionTimeout, freeing the name for the next waiter.
func TestPartitionedWaiterBound(t *testing.T) {
	t.Parallel()
	c, px, far, adm := partitionable(t)

	holder, err := openDSN(t, c.DSN()).Acquire(t.Context(), "partition-waiter")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	farGot := acquireAsync(ctx, far, "partition-waiter")
	eventually(t, func() bool { return adm.nameLocks("partition-waiter", false) == 1 }, "the far waiter queues")
	next := acquireAsync(t.Context(), openDSN(t, c.DSN()), "partition-waiter")
	eventually(t, func() bool { return adm.nameLocks("partition-waiter", false) == 2 }, "the near waiter queues behind it")

	px.partition()
	cancel()
	require.ErrorIs(t, within(t, farGot, 10*time.Second, "the far waiter's Acquire").err, context.Canceled)
	released := time.Now()
	require.NoError(t, holder.Release())
	r := within(t, next, session+5*time.Second, "the near waiter")
	require.NoError(t, r.err)
	handed := time.Since(released)
	t.Logf("partition: the name passed the cut-off waiter and reached the next one %v after the release (SessionTimeout %v)", handed, session)
	require.Less(t, handed, session+time.Second)
	require.NoError(t, r.lease.Release())
	px.close()
}
