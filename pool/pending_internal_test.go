package pool

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// TestCompactionCountsPendingEntries: pending Go tasks are live entries of
// a queue that p.queued does not count; cancelled Submit tasks beside a
// thousand of them must not make every ninth cancellation walk the queue.
func TestCompactionCountsPendingEntries(t *testing.T) {
	root, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = root.Close() }()
	a, _ := root.Sub(MaxWorkers(1))
	b, _ := root.Sub()
	gate, started := make(chan struct{}), make(chan struct{}, 2)
	hold := func(context.Context) error { started <- struct{}{}; <-gate; return nil }
	_ = b.Go(hold, Name("K")) // holds K
	_ = a.Go(hold)            // fills a
	<-started
	<-started
	const pending = 1000
	for range pending {
		_ = a.Go(func(context.Context) error { return nil }, Name("K")) // pends in a's queue
	}
	compactions, walked := 0, 0
	for range 90 {
		task, err := a.Submit(context.Background(), func(context.Context) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		root.tr.mu.Lock()
		before := a.normal.Len()
		root.tr.mu.Unlock()
		task.Cancel() // dropped while queued: a dead entry
		root.tr.mu.Lock()
		if a.dead == 0 {
			compactions++ // dropped() walked the whole queue
			walked += before
		}
		root.tr.mu.Unlock()
	}
	close(gate)
	if err := root.Wait(); err != nil {
		t.Fatal(err)
	}
	if walked > 2*90 {
		t.Fatalf("%d compactions walked %d queue entries for 90 cancellations (%d live pending entries in the queue): not amortised O(1)", compactions, walked, pending)
	}
}

// idleState checks, with the tree idle, that no counter or lane leaked.
func idleState(p *Pool) error {
	tr := p.tr
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var walk func(q *Pool) error
	walk = func(q *Pool) error {
		if q.blocked != 0 || q.keyed != 0 || q.queued != 0 || q.queueLen() != 0 || q.running != 0 {
			return fmt.Errorf("pool %q: blocked=%d keyed=%d queued=%d queueLen=%d running=%d dead=%d", q.label, q.blocked, q.keyed, q.queued, q.queueLen(), q.running, q.dead)
		}
		for _, c := range q.children {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(tr.root); err != nil {
		return err
	}
	for l := range tr.lanes.all() {
		k := l.key
		if tr.lanes.get(k, laneHash(k)) != l {
			return fmt.Errorf("lane %q not found by its name", k)
		}
		if !l.idle || l.held != 0 || l.waiting != 0 || l.pending != 0 || l.late || l.lastEarly != 0 || l.pendPool != nil || l.line.Len() != 0 || l.running != 0 {
			return fmt.Errorf("lane %q: idle=%v held=%d waiting=%d pending=%d late=%v lastEarly=%d line=%d dead=%d running=%d", k, l.idle, l.held, l.waiting, l.pending, l.late, l.lastEarly, l.line.Len(), l.dead, l.running)
		}
	}
	if tr.lines.used != 0 {
		return fmt.Errorf("lines.used=%d", tr.lines.used)
	}
	if len(tr.active) != 0 {
		return fmt.Errorf("active=%d", len(tr.active))
	}
	return nil
}

type stressTracker struct {
	mu      sync.Mutex
	order   map[string][]uint64
	inName  map[string]*atomic.Int32
	maxName map[string]int32
	inPool  map[*Pool]*atomic.Int32
	errs    []string
	ran     sync.Map
	who     map[*Pool]map[uint64]string
}

func (r *stressTracker) enter(ctx context.Context, p *Pool, name string) func() {
	info, _ := CurrentTask(ctx)
	if _, dup := r.ran.LoadOrStore(info.Task, true); dup {
		r.fail("task %d ran twice", info.Task)
	}
	var pools []*Pool
	for q := p; q != nil; q = q.parent {
		pools = append(pools, q)
		n := r.inPool[q].Add(1)
		r.mu.Lock()
		r.who[q][info.Task] = p.label + "/" + name
		desc := fmt.Sprint(r.who[q])
		r.mu.Unlock()
		q.tr.mu.Lock()
		lim := q.limit
		q.tr.mu.Unlock()
		if lim > 0 && int(n) > lim {
			r.fail("pool %q: %d running, limit %d: %s", q.label, n, lim, desc)
		}
	}
	if name != "" {
		n := r.inName[name].Add(1)
		if n > r.maxName[name] {
			r.fail("name %q: %d running, limit %d", name, n, r.maxName[name])
		}
		r.mu.Lock()
		r.order[name] = append(r.order[name], info.Task)
		r.mu.Unlock()
	}
	return func() {
		for _, q := range pools {
			r.inPool[q].Add(-1)
			r.mu.Lock()
			delete(r.who[q], info.Task)
			r.mu.Unlock()
		}
		if name != "" {
			r.inName[name].Add(-1)
		}
	}
}

// stepOut takes the task of ctx, of pool p, out of the running counts
// while it waits and has given its slot back; stepIn puts it back.
func (r *stressTracker) stepOut(ctx context.Context, p *Pool) {
	info, _ := CurrentTask(ctx)
	for q := p; q != nil; q = q.parent {
		r.inPool[q].Add(-1)
		r.mu.Lock()
		delete(r.who[q], info.Task)
		r.mu.Unlock()
	}
}

func (r *stressTracker) stepIn(ctx context.Context, p *Pool, name string) {
	info, _ := CurrentTask(ctx)
	for q := p; q != nil; q = q.parent {
		r.mu.Lock()
		r.who[q][info.Task] = "resumed " + p.label + "/" + name
		r.mu.Unlock()
		r.inPool[q].Add(1)
	}
}

func (r *stressTracker) fail(f string, a ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(f, a...))
	r.mu.Unlock()
}

// TestPendingStress: random rounds of three submitters over a tree of five
// pools (limits 1 and 2, one with a context cancelled mid-round), tasks of
// names A and B (limit 1) and C (limit 2) or none, as plain Go tasks,
// Priority ones, ones with a resource, Submit tasks cancelled at random;
// tasks that submit and wait for others (giving their slot back); random
// forced shutdowns of sub-pools. It checks every pool's and name's limit
// at every start, that no task runs twice, that A's and B's tasks start in
// submission order, and, once the tree is idle, that no count, queue,
// line or lane is left over.
func TestPendingStress(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 30
	}
	for seed := 0; seed < rounds; seed++ {
		if err := pendingStressRound(uint64(seed)); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}

func pendingStressRound(seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 99))
	var rmu sync.Mutex
	rint := func(n int) int { rmu.Lock(); defer rmu.Unlock(); return rng.IntN(n) }
	opts := []Option{NameLimit("C", 2), PoolLabel("root")}
	if rint(2) == 0 {
		opts = append(opts, MaxWorkers(1+rint(4)))
	}
	if rint(3) == 0 {
		opts = append(opts, IdleTimeout(0))
	}
	root, err := New(opts...)
	if err != nil {
		return err
	}
	a, _ := root.Sub(MaxWorkers(1), PoolLabel("a"))
	b, _ := root.Sub(PoolLabel("b"))
	c, _ := a.Sub(MaxWorkers(2), PoolLabel("c"))
	pctx, pcancel := context.WithCancel(context.Background())
	d, _ := root.Sub(MaxWorkers(2), PoolLabel("d"), WithContext(pctx))
	pools := []*Pool{root, a, b, c, d}
	r := &stressTracker{order: map[string][]uint64{}, inName: map[string]*atomic.Int32{}, maxName: map[string]int32{"A": 1, "B": 1, "C": 2}, inPool: map[*Pool]*atomic.Int32{}}
	r.who = map[*Pool]map[uint64]string{}
	for _, q := range pools {
		r.inPool[q] = new(atomic.Int32)
		r.who[q] = map[uint64]string{}
	}
	for _, n := range []string{"A", "B", "C"} {
		r.inName[n] = new(atomic.Int32)
	}
	names := []string{"A", "B", "C", "A", "A", "A"}
	var cancels []context.CancelFunc
	var cmu sync.Mutex
	var tasks []*Task
	var submit func(depth int)
	submit = func(depth int) {
		sp := pools[rint(len(pools))]
		name := names[rint(len(names))]
		if rint(8) == 0 {
			name = ""
		}
		kind := rint(12)
		fn := func(ctx context.Context) error {
			leave := r.enter(ctx, sp, name)
			defer leave()
			switch rint(6) {
			case 0:
				runtime.Gosched()
			case 1:
				if depth < 2 {
					// A submit to a full bounded queue gives the slot back.
					r.stepOut(ctx, sp)
					submit(depth + 1)
					r.stepIn(ctx, sp, name)
				}
			case 2:
				if depth < 2 {
					// Wait for a child: gives the slot back meanwhile.
					ch, err := sp.Submit(ctx, func(ctx context.Context) error { return nil })
					if err == nil {
						r.stepOut(ctx, sp)
						_ = ch.Wait(ctx)
						r.stepIn(ctx, sp, name)
					}
				}
			}
			return nil
		}
		var opts []TaskOption
		if name != "" {
			opts = append(opts, Name(name))
		}
		switch {
		case kind < 6:
			_ = sp.Go(fn, opts...)
		case kind < 7:
			_ = sp.Go(fn, append(opts, Priority())...)
		case kind < 8:
			_ = sp.Go(fn, append(opts, Resources("r"+strconv.Itoa(rint(3))))...)
		default:
			ctx, cancel := context.WithCancel(context.Background())
			tk, err := sp.Submit(ctx, fn, opts...)
			cmu.Lock()
			cancels = append(cancels, cancel)
			if err == nil {
				tasks = append(tasks, tk)
			}
			cmu.Unlock()
		}
		if rint(3) == 0 {
			cmu.Lock()
			if len(cancels) > 0 {
				i := rint(len(cancels))
				cancels[i]()
			}
			cmu.Unlock()
		}
		if rint(150) == 0 {
			victim := []*Pool{a, b, c, d}[rint(4)]
			ended, cancel := context.WithCancel(context.Background())
			cancel()
			_ = victim.Shutdown(ended)
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 80; i++ {
				submit(0)
			}
		}()
	}
	if rint(4) == 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				runtime.Gosched()
			}
			pcancel()
		}()
	}
	wg.Wait()
	shut := rint(4) == 0
	if shut {
		ended, cancel := context.WithCancel(context.Background())
		cancel()
		_ = c.Shutdown(ended)
	}
	settle := func() {
		prev := uint64(1 << 62)
		for {
			for _, q := range []*Pool{c, a, b, d, root} {
				_ = q.Wait()
			}
			var sum uint64
			for _, q := range pools {
				sum += q.Stats().Submitted
			}
			if sum == prev {
				return
			}
			prev = sum
		}
	}
	settle()
	cmu.Lock()
	for _, cf := range cancels {
		cf()
	}
	all := append([]*Task(nil), tasks...)
	cmu.Unlock()
	for _, tk := range all {
		<-tk.Done()
	}
	settle()
	pcancel()
	if err := idleState(root); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) > 0 {
		return fmt.Errorf("%v", r.errs[:min(5, len(r.errs))])
	}
	for _, n := range []string{"A", "B"} {
		o := r.order[n]
		for i := 1; i < len(o); i++ {
			if o[i] < o[i-1] {
				return fmt.Errorf("name %s out of order: %v", n, o)
			}
		}
	}
	_ = root.Close()
	return nil
}
