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
// removed as soon as it is idle. The zero value is ready to use: a mutex
// per name, as NewNames() with no option makes. Names is safe for
// concurrent use.
type Names struct {
	limit  int
	limits map[string]int

	mu    sync.Mutex
	names map[string]*name
	free  []*name // forgotten entries kept for reuse, at most maxFree
	peak  int     // the most entries names held since it was last made
	token uint64
}

const maxFree = 64

// shrinkAbove is the size above which an emptied map is dropped for a new
// one (see forget).
const shrinkAbove = 1024

// name is the entry of a name that is held or waited for. A request keeps
// pointers to its entries, which stay valid while it waits or holds them:
// an entry is forgotten only when nobody holds or waits for it.
type name struct {
	key     string
	limit   int
	held    int
	waiting []*request // FIFO
}

// request is one acquisition: waiting, then granted, then released. Once
// granted it is its own Lease.
type request struct {
	t       *Names
	key     string   // the name, when there is one
	keys    []string // the names, sorted and unique, when there are several
	entries []*name  // resolved from key or keys under t.mu
	one     [1]*name // backing array of entries for a single name
	granted bool     // guarded by t.mu
	gone    bool     // withdrawn or released; guarded by t.mu
	ready   chan struct{}
	notify  Grantee // called when granted, outside t.mu (AcquireNotify)
	token   uint64
}

// NamesOption configures a [Names] table at [NewNames]. Like every option
// in braid it is a function of an unexported configuration: only this
// package makes them, and a bad value is reported by the constructor.
type NamesOption func(*namesConfig)

// namesConfig holds a table's settings and their defaults in one place.
type namesConfig struct {
	limit  int
	limits map[string]int
	err    error // the first bad option
}

func (c *namesConfig) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// Limit sets how many holders each name admits at once (default 1). A name
// with a limit above 1 lets that many runs proceed side by side.
func Limit(n int) NamesOption {
	return func(c *namesConfig) {
		if n < 1 {
			c.fail(invalid("Limit(%d): a name admits at least 1 holder", n))
		}
		c.limit = n
	}
}

// NameLimit sets the limit of one name, overriding Limit for it.
func NameLimit(key string, n int) NamesOption {
	return func(c *namesConfig) {
		switch {
		case key == "":
			c.fail(invalid("NameLimit: empty name"))
		case n < 1:
			c.fail(invalid("NameLimit(%q, %d): a name admits at least 1 holder", key, n))
		}
		if c.limits == nil {
			c.limits = make(map[string]int)
		}
		c.limits[key] = n
	}
}

// NewNames returns an empty lock table, or an error wrapping [ErrInvalid]
// for a bad option.
func NewNames(opts ...NamesOption) (*Names, error) {
	c := namesConfig{limit: 1}
	for _, o := range opts {
		o(&c)
	}
	if c.err != nil {
		return nil, c.err
	}
	return &Names{limit: c.limit, limits: c.limits, names: make(map[string]*name)}, nil
}

// Limit returns how many holders key admits at once.
func (t *Names) Limit(key string) int {
	if n, ok := t.limits[key]; ok {
		return n
	}
	return max(t.limit, 1) // a zero Names: a mutex per name
}

// Len reports how many names are held or waited for. Idle names are not
// kept, so it is 0 whenever nothing is held.
func (t *Names) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.names)
}

// Acquire waits for key, FIFO among the waiters for it, until ctx is done.
func (t *Names) Acquire(ctx context.Context, key string) (Lease, error) {
	return t.AcquireAll(ctx, key)
}

// TryAcquire takes key if it is free now and nobody waits for it.
func (t *Names) TryAcquire(key string) (Lease, error) {
	return t.TryAcquireAll(key)
}

// AcquireAll waits until it holds every one of keys, then returns one lease
// for all of them. It never holds some while waiting for others. Duplicate
// keys count once. If ctx ends first it returns ctx's error, holds nothing
// and leaves no trace in the table; if the request was granted at the very
// moment ctx ended, it returns the lease (like x/sync's semaphore).
func (t *Names) AcquireAll(ctx context.Context, keys ...string) (Lease, error) {
	r, err := t.request(keys)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	if t.grantable(r, false) {
		t.grant(r)
		t.mu.Unlock()
		return r, nil
	}
	r.ready = make(chan struct{})
	t.enqueue(r)
	t.mu.Unlock()
	select {
	case <-r.ready:
		return r, nil
	case <-ctx.Done():
	}
	t.mu.Lock()
	if r.granted {
		t.mu.Unlock()
		return r, nil
	}
	later := t.withdraw(r)
	t.mu.Unlock()
	notify(later)
	return nil, ctx.Err()
}

// TryAcquireAll takes every one of keys if all are free now and nobody
// waits for any of them, else returns ErrBusy and takes nothing.
func (t *Names) TryAcquireAll(keys ...string) (Lease, error) {
	r, err := t.request(keys)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.grantable(r, false) {
		t.drop(r)
		return nil, ErrBusy
	}
	t.grant(r)
	return r, nil
}

// A Grantee receives the lease of a request made with
// [Names.AcquireNotify].
type Grantee interface {
	// Granted is called once, with the lease, when every name is held. It
	// is called without any lock of the table held and must not block.
	Granted(Lease)
}

// GranteeFunc adapts a function to a Grantee.
type GranteeFunc func(Lease)

// Granted calls f.
func (f GranteeFunc) Granted(l Lease) { f(l) }

// Request is a pending acquisition made with [Names.AcquireNotify].
type Request struct{ r *request }

// Withdraw gives up the request if it has not been granted yet and reports
// whether it did. Once it reports false, Granted has been called or is
// being called, and the lease must be released as usual.
func (q Request) Withdraw() bool {
	r := q.r
	if r == nil {
		return false
	}
	t := r.t
	t.mu.Lock()
	if r.granted || r.gone {
		t.mu.Unlock()
		return false
	}
	r.gone = true
	later := t.withdraw(r)
	t.mu.Unlock()
	notify(later)
	return true
}

// AcquireNotify asks for every one of keys, like AcquireAll, without a
// goroutine waiting: g.Granted is called with the lease once all are held,
// either before AcquireNotify returns (they were free) or later from the
// goroutine whose Release or withdrawal let the request through. A worker
// pool uses it to queue a task once its names are free, so that a task
// waiting for a name holds neither a worker nor a goroutine. Withdraw the
// returned Request to give up waiting.
func (t *Names) AcquireNotify(keys []string, g Grantee) (Request, error) {
	l, q, err := t.Enqueue(keys, g)
	if l != nil {
		g.Granted(l)
	}
	return q, err
}

// Enqueue is AcquireNotify that never calls g before it returns: if every
// one of keys is free now it returns the lease (and g is never called),
// else it queues the request, in arrival order, and g.Granted is called
// later, from the goroutine whose Release or withdrawal let it through. It
// may therefore be called while holding a lock that g takes: a worker pool
// queues a task behind its resources under its own lock, so that tasks
// join the lines in the order they were submitted.
func (t *Names) Enqueue(keys []string, g Grantee) (Lease, Request, error) {
	if g == nil {
		panic("lock: nil Grantee")
	}
	r, err := t.request(keys)
	if err != nil {
		return nil, Request{}, err
	}
	r.notify = g
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.grantable(r, false) {
		t.grant(r)
		return r, Request{}, nil
	}
	t.enqueue(r)
	return nil, Request{r}, nil
}

// AcquireFunc is AcquireNotify with a function, and a withdraw function in
// place of the Request.
func (t *Names) AcquireFunc(keys []string, granted func(Lease)) (withdraw func() bool, err error) {
	if granted == nil {
		panic("lock: nil granted function")
	}
	q, err := t.AcquireNotify(keys, GranteeFunc(granted))
	if err != nil {
		return nil, err
	}
	return q.Withdraw, nil
}

// request validates keys and builds a request for them. Duplicate keys
// count once. Its entries are resolved under t.mu, by grantable.
func (t *Names) request(keys []string) (*request, error) {
	switch len(keys) {
	case 0:
		return nil, invalid("no name to acquire")
	case 1:
		if keys[0] == "" {
			return nil, invalid("empty name")
		}
		return &request{t: t, key: keys[0]}, nil
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	if sorted[0] == "" {
		return nil, invalid("empty name")
	}
	return &request{t: t, keys: sorted}, nil
}

// resolve looks up (or creates) r's entries in the table, once. Called
// with t.mu held.
func (t *Names) resolve(r *request) {
	if r.entries != nil {
		return
	}
	if r.keys == nil {
		r.one[0] = t.entry(r.key)
		r.entries = r.one[:]
		return
	}
	r.entries = make([]*name, len(r.keys))
	for i, k := range r.keys {
		r.entries[i] = t.entry(k)
	}
}

func (t *Names) entry(key string) *name {
	n := t.names[key]
	if n == nil {
		n = t.newName(key)
		if t.names == nil {
			t.names = make(map[string]*name) // a zero Names, or one emptied
		}
		t.names[key] = n
		t.peak = max(t.peak, len(t.names))
	}
	return n
}

// newName returns an entry for key, reusing a forgotten one when it can.
func (t *Names) newName(key string) *name {
	var n *name
	if k := len(t.free); k > 0 {
		n = t.free[k-1]
		t.free = t.free[:k-1]
	} else {
		n = &name{}
	}
	n.key, n.limit = key, t.Limit(key)
	return n
}

// grantable reports whether r can be granted now: every name has room and,
// if r is queued, r is at the head of every line; if r is not queued, no
// line has anyone in it. It resolves r's entries.
func (t *Names) grantable(r *request, queued bool) bool {
	t.resolve(r)
	for _, n := range r.entries {
		if n.held >= n.limit {
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
	r.granted, r.token = true, t.token
	for _, n := range r.entries {
		n.held++
	}
}

func (t *Names) enqueue(r *request) {
	for _, n := range r.entries {
		n.waiting = append(n.waiting, r)
	}
}

// drop forgets the entries a refused request created.
func (t *Names) drop(r *request) {
	for _, n := range r.entries {
		t.forget(n)
	}
}

// withdraw removes a waiter from its lines and serves whoever it was
// holding back.
func (t *Names) withdraw(r *request) []*request {
	for _, n := range r.entries {
		n.waiting = slices.DeleteFunc(n.waiting, func(w *request) bool { return w == r })
	}
	return t.serve(r.entries)
}

// serve grants every request at the head of the lines of entries that can
// be granted, and of the lines those grants touch, until nothing changes,
// and forgets idle names. It returns the granted requests that wait for a
// Grantee; the caller runs them with notify once it has released t.mu.
func (t *Names) serve(entries []*name) (later []*request) {
	work := append(make([]*name, 0, 8), entries...)
	for len(work) > 0 {
		n := work[len(work)-1]
		work = work[:len(work)-1]
		if len(n.waiting) == 0 {
			t.forget(n)
			continue
		}
		head := n.waiting[0]
		if !t.grantable(head, true) {
			continue
		}
		for _, hn := range head.entries {
			hn.waiting[0] = nil
			hn.waiting = hn.waiting[1:]
		}
		t.grant(head)
		if head.notify != nil {
			later = append(later, head)
		} else {
			close(head.ready)
		}
		work = append(work, head.entries...)
	}
	return later
}

// notify runs the Grantees of requests that serve granted. Called without
// t.mu: a Grantee may take other locks, or this table again.
func notify(granted []*request) {
	for _, r := range granted {
		r.notify.Granted(r)
	}
}

func (t *Names) forget(n *name) {
	if n.held != 0 || len(n.waiting) != 0 || t.names[n.key] != n {
		return
	}
	delete(t.names, n.key)
	if len(t.names) == 0 && t.peak > shrinkAbove {
		// Go maps never give back their buckets: a table that held a
		// million names at once would keep their memory for ever. Once
		// it is empty, start afresh.
		t.names, t.peak = nil, 0
	}
	if len(t.free) < maxFree {
		n.waiting = n.waiting[:0]
		t.free = append(t.free, n)
	}
}

// Release gives the names back. A second call is a no-op.
func (r *request) Release() error {
	t := r.t
	t.mu.Lock()
	if r.gone || !r.granted {
		t.mu.Unlock()
		return nil
	}
	r.gone = true
	for _, n := range r.entries {
		n.held--
	}
	later := t.serve(r.entries)
	t.mu.Unlock()
	notify(later)
	return nil
}

// Lost returns nil: an in-process lease ends only with Release.
func (r *request) Lost() <-chan struct{} { return nil }

// Token is the fencing token of the grant.
func (r *request) Token() uint64 { return r.token }
