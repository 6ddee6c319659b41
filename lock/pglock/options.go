package pglock

import (
	"fmt"
	"time"

	"github.com/braid-go/braid/lock"
)

// An Option configures a [Locker] (and the semaphores made from it).
type Option func(*config)

// config holds every setting; defaults sets them in one place.
type config struct {
	heartbeat time.Duration
	poll      time.Duration
	timeout   time.Duration
	session   time.Duration // 0: defaultSession, or twice a longer Heartbeat
	namespace string
	hashKey   []byte
	keyFunc   func(namespace, name string) int64 // tests only: replaces nameKey
	errs      []error
}

// defaultSession is the SessionTimeout unless a Heartbeat over half of it
// asks for longer.
const defaultSession = 10 * time.Second

func defaults() config {
	return config{
		heartbeat: time.Second,
		poll:      time.Second,
		timeout:   5 * time.Second,
	}
}

func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%w: "+format, append([]any{lock.ErrInvalid}, args...)...))
}

// Heartbeat sets how long a held lease's connection may stay silent before
// it is pinged, and how long the ping may take (default 1 s). A connection
// that dies is noticed at once, without waiting for a ping, because the
// lease keeps reading from it; the ping catches a server or network that
// stopped answering. A failed or late ping closes the lease's Lost channel.
func Heartbeat(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("Heartbeat(%v): must be positive", d)
		}
		c.heartbeat = d
	}
}

// PollInterval bounds how long a semaphore waiter sleeps between tries
// when no notification arrives (default 1 s). Releases notify waiters at
// once; the poll catches slots freed without a notification, when a
// holder's session ended.
func PollInterval(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("PollInterval(%v): must be positive", d)
		}
		c.poll = d
	}
}

// Timeout bounds each statement that does not wait for a lock: a
// TryAcquire, a Release, a semaphore's try (default 5 s). It also bounds
// how long a cancelled Acquire waits for the server to act on the cancel
// request before its connection is closed instead.
func Timeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("Timeout(%v): must be positive", d)
		}
		c.timeout = d
	}
}

// SessionTimeout bounds how long the server keeps the session, and the
// locks, of a client it no longer hears from: a dead host, a partition,
// a process frozen between two heartbeats (default 10 s, or twice the
// Heartbeat if that is longer). Open's
// connections carry it to the server as TCP keepalives, tcp_user_timeout
// and idle_session_timeout (see the package doc, "Failures"). It must be
// at least twice the Heartbeat, which keeps a live client's sessions
// from looking idle, and for Open at most about 24.8 days (2³¹-1 ms,
// PostgreSQL's limit), else Open fails with [lock.ErrInvalid]. Connections of FromPool's pool are left as their
// owner set them.
func SessionTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.fail("SessionTimeout(%v): must be positive", d)
		}
		c.session = d
	}
}

// Namespace keeps this Locker's lock keys apart from those of other
// applications using advisory locks on the same database: names are
// hashed together with the namespace (default ""). Every process sharing
// names must use the same namespace.
func Namespace(ns string) Option {
	return func(c *config) { c.namespace = ns }
}

// HashKey sets the secret key under which names are hashed to advisory
// lock keys (default: none). With a key that only the deployment knows,
// nobody can choose names whose keys collide, which would make them
// exclude each other: give it when names come from outside, as user or
// tenant IDs. Every process sharing names must use the same key; changing
// it is changing every key, so roll it out with every process stopped.
func HashKey(key []byte) Option {
	return func(c *config) { c.hashKey = append([]byte(nil), key...) }
}
