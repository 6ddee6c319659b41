package lock

import (
	"context"
	"slices"
	"sync"
)

// Names is the in-process lock table: a lock per name, each with a
// capacity (1 by default: a mutex), FIFO waiters, and acquisition of
// several names at once, all or nothing.
//
// Fairness and deadlock freedom: a request joins the waiting line of every
// name it needs, all at once, and is granted only when it is at the head of
// each of those lines and every name has room. The oldest waiting request is
// therefore at the head of all its lines and is granted as soon as its names
// have room: requests for several names never deadlock, whatever order the
// names are given in, and are never starved by a stream of requests for one
// of them, which queue behind it.
//
// Names costs nothing for a name nobody holds or waits for: its entry is
// removed as soon as it is idle. The zero value is not usable; use
// [NewNames]. Names is safe for concurrent use.
type Names struct {
	limit  int
	limits map[string]int

	mu    sync.Mutex
	names map[string]*name
	free  []*name // forgotten entries kept for reuse, at most maxFree
	token uint64
}

const maxFree = 64

type name struct {
	held    int
	waiting []*request // FIFO
}

type request struct {
	names   []string
	granted bool
	ready   chan struct{} // closed when granted (Acquire, AcquireAll)
	onGrant func(Lease)   // called when granted, outside t.mu (AcquireFunc)
	lease   *lease
	// withdrawn: the request gave up; guarded by t.mu.
	withdrawn bool
}

// NamesOption configures a [Names] table.
type NamesOption func(*Names) error

// Limit sets how many holders each name admits at once (default 1). A name
// with a limit above 1 lets that many runs proceed side by side.
func Limit(n int) NamesOption {
	return func(t *Names) error {
		if n < 1 {
			return invalid("Limit(%d): a name admits at least 1 holder", n)
		}
		t.limit = n
		return nil
	}
}

// NameLimit sets the limit of one name, overriding Limit for it.
func NameLimit(key string, n int) NamesOption {
	return func(t *Names) error {
		if key == "" {
			return invalid("NameLimit: empty name")
		}
		if n < 1 {
			return invalid("NameLimit(%q, %d): a name admits at least 1 holder", key, n)
		}
		if t.limits == nil {
			t.limits = make(map[string]int)
		}
		t.limits[key] = n
		return nil
	}
}

// NewNames returns an empty lock table.
func NewNames(opts ...NamesOption) (*Names, error) {
	t := &Names{limit: 1, names: make(map[string]*name)}
	for _, o := range opts {
		if err := o(t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Acquire waits for key, FIFO among the waiters for it, until ctx is done.
func (t *Names) Acquire(ctx context.Context, key string) (Lease, error) {
	if l, err := t.tryOne(key); l != nil || err != nil {
		return l, err
	}
	return t.AcquireAll(ctx, key)
}

// TryAcquire takes key if it is free now and nobody waits for it.
func (t *Names) TryAcquire(key string) (Lease, error) {
	if l, err := t.tryOne(key); l != nil || err != nil {
		return l, err
	}
	return nil, ErrBusy
}

// tryOne is the uncontended path for one name: no request, no sorting, a
// reused entry. It returns nil, nil when key is not free now.
func (t *Names) tryOne(key string) (Lease, error) {
	if key == "" {
		return nil, invalid("empty name")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.names[key]
	if n != nil && (n.held >= t.limitOf(key) || len(n.waiting) > 0) {
		return nil, nil
	}
	if n == nil {
		n = t.newName()
		t.names[key] = n
	}
	n.held++
	t.token++
	return &lease{t: t, one: key, token: t.token}, nil
}

// newName returns an entry for a name, reusing one forgotten earlier: a
// name that is taken and released over and over costs no allocation for
// its entry.
func (t *Names) newName() *name {
	if k := len(t.free); k > 0 {
		n := t.free[k-1]
		t.free = t.free[:k-1]
		return n
	}
	return &name{}
}

// AcquireAll waits until it holds every one of keys, then returns one lease
// for all of them. It never holds some while waiting for others. Duplicate
// keys count once. If ctx ends first it returns ctx's error, holds nothing
// and leaves no trace in the table; if the request was granted at the very
// moment ctx ended, it returns the lease (like x/sync's semaphore).
func (t *Names) AcquireAll(ctx context.Context, keys ...string) (Lease, error) {
	r, now, err := t.enqueue(keys, true, nil)
	if err != nil {
		return nil, err
	}
	if now {
		return r.lease, nil
	}
	select {
	case <-r.ready:
		return r.lease, nil
	case <-ctx.Done():
	}
	t.mu.Lock()
	if r.granted {
		t.mu.Unlock()
		return r.lease, nil
	}
	later := t.withdraw(r)
	t.mu.Unlock()
	notify(later)
	return nil, ctx.Err()
}

// TryAcquireAll takes every one of keys if all are free now and nobody
// waits for any of them, else returns ErrBusy and takes nothing.
func (t *Names) TryAcquireAll(keys ...string) (Lease, error) {
	r, now, err := t.enqueue(keys, false, nil)
	if err != nil {
		return nil, err
	}
	if !now {
		return nil, ErrBusy
	}
	return r.lease, nil
}

// AcquireFunc asks for every one of keys, like AcquireAll, without a
// goroutine waiting: granted is called with the lease once all are held,
// either before AcquireFunc returns (they were free) or later from the
// goroutine whose Release or withdrawal let the request through. It is
// called without any lock of the table held, and must not block: a worker
// pool uses it to queue a task once its names are free, so that a task
// waiting for a name holds neither a worker nor a goroutine.
//
// withdraw gives up a request that has not been granted yet and reports
// whether it did; once it reports false, granted has been called or is
// being called, and the lease must be released as usual.
func (t *Names) AcquireFunc(keys []string, granted func(Lease)) (withdraw func() bool, err error) {
	if granted == nil {
		panic("lock: nil granted function")
	}
	r, now, err := t.enqueue(keys, true, granted)
	if err != nil {
		return nil, err
	}
	if now {
		granted(r.lease)
		return func() bool { return false }, nil
	}
	return func() bool {
		t.mu.Lock()
		if r.granted || r.withdrawn {
			t.mu.Unlock()
			return false
		}
		r.withdrawn = true
		later := t.withdraw(r)
		t.mu.Unlock()
		notify(later)
		return true
	}, nil
}

// Limit returns how many holders key admits at once.
func (t *Names) Limit(key string) int { return t.limitOf(key) }

// Len reports how many names are held or waited for. Idle names are not
// kept, so it is 0 whenever nothing is held.
func (t *Names) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.names)
}

// enqueue validates keys and either grants them at once (now == true) or,
// when wait is set, queues the request behind every name it needs. Once
// queued, r is granted under t.mu by another goroutine: read r.granted only
// with t.mu held.
func (t *Names) enqueue(keys []string, wait bool, onGrant func(Lease)) (r *request, now bool, err error) {
	if len(keys) == 0 {
		return nil, false, invalid("no name to acquire")
	}
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if keys[0] == "" {
		return nil, false, invalid("empty name")
	}
	r = &request{names: keys, onGrant: onGrant}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.grantable(r, false) {
		t.grant(r)
		return r, true, nil
	}
	if !wait {
		return r, false, nil
	}
	if onGrant == nil {
		r.ready = make(chan struct{})
	}
	for _, k := range keys {
		n := t.names[k]
		if n == nil {
			n = t.newName()
			t.names[k] = n
		}
		n.waiting = append(n.waiting, r)
	}
	return r, false, nil
}

func (t *Names) limitOf(key string) int {
	if n, ok := t.limits[key]; ok {
		return n
	}
	return t.limit
}

// grantable reports whether r can be granted now: every name has room and,
// if r is queued, r is at the head of every line; if r is not queued, no
// line has anyone in it.
func (t *Names) grantable(r *request, queued bool) bool {
	for _, k := range r.names {
		n := t.names[k]
		if n == nil {
			continue
		}
		if n.held >= t.limitOf(k) {
			return false
		}
		if queued && n.waiting[0] != r || !queued && len(n.waiting) > 0 {
			return false
		}
	}
	return true
}

func (t *Names) grant(r *request) {
	t.token++
	r.granted = true
	r.lease = &lease{t: t, names: r.names, token: t.token}
	for _, k := range r.names {
		n := t.names[k]
		if n == nil {
			n = t.newName()
			t.names[k] = n
		}
		n.held++
	}
}

// withdraw removes a cancelled waiter from its lines and serves whoever it
// was holding back.
func (t *Names) withdraw(r *request) []*request {
	for _, k := range r.names {
		n := t.names[k]
		n.waiting = slices.DeleteFunc(n.waiting, func(w *request) bool { return w == r })
	}
	return t.serve(r.names)
}

// serve grants every request at the head of the lines of keys that can be
// granted, and of the lines those grants touch, until nothing changes, and
// forgets idle names. It returns the granted requests that wait for a
// callback; the caller runs them with notify once it has released t.mu.
func (t *Names) serve(keys []string) (later []*request) {
	work := append(make([]string, 0, 8), keys...)
	for len(work) > 0 {
		k := work[len(work)-1]
		work = work[:len(work)-1]
		n := t.names[k]
		if n == nil || len(n.waiting) == 0 {
			t.forget(k)
			continue
		}
		head := n.waiting[0]
		if !t.grantable(head, true) {
			continue
		}
		for _, hk := range head.names {
			hn := t.names[hk]
			hn.waiting = hn.waiting[1:]
		}
		t.grant(head)
		if head.onGrant != nil {
			later = append(later, head)
		} else {
			close(head.ready)
		}
		work = append(work, head.names...)
	}
	return later
}

// notify runs the callbacks of requests that serve granted. Called without
// t.mu: a callback may take other locks, or this table again.
func notify(granted []*request) {
	for _, r := range granted {
		r.onGrant(r.lease)
	}
}

func (t *Names) forget(key string) {
	if n := t.names[key]; n != nil && n.held == 0 && len(n.waiting) == 0 {
		delete(t.names, key)
		if len(t.free) < maxFree {
			n.waiting = n.waiting[:0]
			t.free = append(t.free, n)
		}
	}
}

// lease is a grant from a Names table: of one name (one) or of several
// (names).
type lease struct {
	t        *Names
	one      string
	names    []string
	token    uint64
	released bool // guarded by t.mu
}

func (l *lease) Release() error {
	t := l.t
	t.mu.Lock()
	if l.released {
		t.mu.Unlock()
		return nil
	}
	l.released = true
	keys := l.names
	if keys == nil {
		keys = []string{l.one}
	}
	for _, k := range keys {
		t.names[k].held--
	}
	later := t.serve(keys)
	t.mu.Unlock()
	notify(later)
	return nil
}

// Lost returns nil: an in-process lease ends only with Release.
func (l *lease) Lost() <-chan struct{} { return nil }

func (l *lease) Token() uint64 { return l.token }
