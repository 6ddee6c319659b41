package parallel

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"

	"github.com/braid-go/braid/pool"
)

// Group runs tasks, each with an ID unique in the group and a typed
// output, under one strategy. It is used in one of two ways:
//
//   - declared, then run: Add the tasks, then [Group.Run] them once;
//   - started, then fed: [Group.Start] (or [Start]) runs the group at
//     once, and every Add starts its task as soon as the limit allows,
//     from any goroutine, tasks of the group included, until
//     [Group.Wait] has seen every task end (see [Group.Add]). This is
//     errgroup's shape, for work that is found as it goes (a crawler
//     adding the links it finds).
//
// A Group is safe for concurrent use. The zero Group is ready to use, with
// the default settings (wait_all, no limit, a pool of its own).
type Group[T any] struct {
	mu        sync.Mutex
	cfg       config
	made      bool           // by NewGroup; a zero Group has the defaults
	tasks     []member[T]    // declared; their IDs are checked by index
	indexed   int            // tasks[:indexed] are in byID
	byID      map[string]int // by ID, the task's number
	misuse    []error        // bad IDs given to Add before the run: Run reports them, with nothing run
	phase     phase
	run       *run[T]
	res       *Results[T] // once waited
	err       error
	onSuccess func(outputs map[string]T)
	onError   func(failed []Result[T], err error)
}

type phase uint8

const (
	declaring phase = iota // tasks are added, nothing runs
	running                // started: Add starts tasks at once
	waited                 // Wait or Run has returned
)

type member[T any] struct {
	id     string
	fn     func(ctx context.Context) (T, error)
	opts   *[]pool.TaskOption // nil for none: most tasks have none, and a slice takes 3 words
	output T                  // written by the task, read after it ended
	fed    bool               // handed to be run (see feeding); guarded by run.mu
}

// newMember returns a task's member.
func newMember[T any](id string, fn func(ctx context.Context) (T, error), opts []pool.TaskOption) member[T] {
	m := member[T]{id: id, fn: fn}
	if len(opts) > 0 {
		o := opts // on the heap only here: &opts would put every call's there
		m.opts = &o
	}
	return m
}

// options returns m's task options.
func (m *member[T]) options() []pool.TaskOption {
	if m.opts == nil {
		return nil
	}
	return *m.opts
}

// NewGroup returns an empty group configured by opts. It cannot fail: a
// bad option is reported by Run (or Start's Wait) as an error wrapping
// [ErrInvalid], with nothing run, so that groups are built in one
// expression, as plans are.
func NewGroup[T any](opts ...Option) *Group[T] {
	g := &Group[T]{made: true}
	g.cfg.apply(opts)
	if g.cfg.perItem != nil {
		g.cfg.fail("PerItem applies to Map and to Broadcast steps; give a group's tasks options with Add")
	}
	return g
}

// Start makes a group configured by opts and starts it with ctx: it is
// NewGroup followed by [Group.Start], errgroup.WithContext's shape. Add
// tasks to it, then Wait. ctx2 ends when the group is decided (with
// fail_fast, at the first failure) or when Wait returns; its cause is the
// error that decided it.
func Start[T any](ctx context.Context, opts ...Option) (g *Group[T], ctx2 context.Context) {
	g = NewGroup[T](opts...)
	return g, g.Start(ctx)
}

// Add adds a task with the given ID and options: [pool.Name] to serialise
// it with every task of that name, [pool.Resources] for what it uses
// exclusively, [pool.Priority], [pool.Reentrant]. A task waiting for its
// name or resources is Blocked: it holds no worker slot and, once the
// group is decided, it never starts.
//
// Add never fails for correct use, so a loop of Adds needs no error check.
// Misuse is reported where the caller looks: an empty or duplicate ID
// makes Run fail with [ErrEmptyID] or [ErrDuplicateID] (in a
// [*TaskError]) before anything runs; added while the group runs, such a
// task never starts, ends Skipped with that error, and Wait reports it.
// A nil fn, and Add after Wait or Run returned, are programming errors:
// they panic. So is an Add that races with the end of Wait: once Wait has
// seen every task end, the group is over and Add panics, though Wait may
// not have returned yet. Add from the group's own tasks, or before Wait,
// so that no Add can come after the last task ended (as errgroup's Go
// must come before Wait).
func (g *Group[T]) Add(id string, fn func(ctx context.Context) (T, error), opts ...pool.TaskOption) {
	if fn == nil {
		panic("parallel: nil task function")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch g.phase {
	case waited:
		panic("parallel: Group.Add after the group's Wait or Run returned")
	case declaring:
		// The ID is checked when the group starts (see index), against a
		// map made then at its final size: a declared task costs an append.
		if g.tasks == nil {
			g.tasks = make([]member[T], 0, 16) // not 1, 2, 4...: groups are seldom of one task
		}
		g.tasks = append(g.tasks, newMember(id, fn, opts))
		return
	}
	if g.run.over() {
		// Wait has seen every task end and is returning: the group is over
		// and its results are being made, so the task could be neither
		// run nor reported.
		panic("parallel: Group.Add after the group's Wait or Run returned")
	}
	m := newMember(id, fn, opts)
	g.run.add(&m, g.check(id)) // started: the task starts now
}

// check returns why a task may not have id, or nil. Called with g.mu held.
func (g *Group[T]) check(id string) error {
	if id == "" {
		return ErrEmptyID
	}
	if _, dup := g.lookup()[id]; dup {
		return &TaskError{ID: id, Err: ErrDuplicateID}
	}
	return nil
}

// lookup returns byID, made now if index left it out (see smallGroup).
// Called with g.mu held.
func (g *Group[T]) lookup() map[string]int {
	if g.byID == nil {
		g.byID = make(map[string]int, len(g.tasks))
		for i := range g.tasks[:g.indexed] {
			g.byID[g.tasks[i].id] = i
		}
	}
	return g.byID
}

// smallGroup is the most declared tasks whose IDs index checks against
// one another instead of through byID, which is then made only if
// something looks a task up by ID during the run (an Add; the results
// find an ID among a few by looking). For 16 IDs, making and filling the
// map takes 0.8 us, a tenth of what a hand-written race of 16 tasks costs
// in all; comparing them all, 0.4 us; comparing their hashes, 0.2 us.
const smallGroup = 16

// index checks the IDs of the tasks declared since it last ran, in the
// order they were added: a task with a bad ID is dropped and its error
// kept for Run to report; the others are numbered in byID. Called with
// g.mu held.
func (g *Group[T]) index() {
	if g.byID == nil && len(g.tasks) <= smallGroup && g.allGood() {
		g.indexed = len(g.tasks)
		return
	}
	g.lookup()
	kept := g.tasks[:g.indexed]
	for _, m := range g.tasks[g.indexed:] {
		if bad := g.check(m.id); bad != nil {
			g.misuse = append(g.misuse, bad)
			continue
		}
		g.byID[m.id] = len(kept)
		kept = append(kept, m)
	}
	clear(g.tasks[len(kept):])
	g.tasks, g.indexed = kept, len(kept)
}

// allGood reports whether every declared task (smallGroup at most) has an
// ID, and one that no other has. IDs are compared by their hashes first,
// and only IDs of the same hash by their text. Called with g.mu held.
func (g *Group[T]) allGood() bool {
	var hashes [smallGroup]uint64
	for i := range g.tasks {
		id := g.tasks[i].id
		if id == "" {
			return false
		}
		hashes[i] = maphash.String(idSeed, id)
		for j := range i {
			if hashes[j] == hashes[i] && g.tasks[j].id == id {
				return false
			}
		}
	}
	return true
}

var idSeed = maphash.MakeSeed()

// OnSuccess sets a callback that Run calls, after every task has ended,
// with the outputs of the succeeded tasks when the group succeeded. A panic
// in it becomes a [*CallbackError] in Run's error.
func (g *Group[T]) OnSuccess(fn func(outputs map[string]T)) {
	g.mu.Lock()
	g.onSuccess = fn
	g.mu.Unlock()
}

// OnError sets a callback that Run calls, after every task has ended, with
// the failed tasks and the group's error when the group failed. A panic in
// it becomes a [*CallbackError] in Run's error.
func (g *Group[T]) OnError(fn func(failed []Result[T], err error)) {
	g.mu.Lock()
	g.onError = fn
	g.mu.Unlock()
}

// Run starts every task added so far and returns when all have ended,
// with every task's result and the group's error (nil when the strategy
// says it succeeded). The results are returned even when the group failed.
// Run is Start followed by Wait.
//
// On a deciding event (a fail_fast failure, a race win, a tolerance
// exceeded, the timeout) the tasks' context is cancelled: queued tasks,
// and tasks blocked on a name or resources, never start and end Skipped;
// running ones see the cancellation. Run still waits for every started
// task to return.
//
// When ctx is the context of a running braid task, Run gives that task's
// worker slot back while it waits, so a group may be run from inside a task
// of the pool it runs on. If that task holds a name or resource that one of
// the group's tasks needs (without [pool.Reentrant]), the wait could never
// end: the group is decided instead, its tasks not started end Skipped,
// and Run's error is [pool.ErrDeadlock] (see [pool.Pool.Wait]).
func (g *Group[T]) Run(ctx context.Context) (*Results[T], error) {
	g.mu.Lock()
	mw, declared := chainRun(g.cfg.runMiddleware), g.phase == declaring
	g.mu.Unlock()
	if mw == nil || !declared {
		return g.runNow(ctx)
	}
	info := RunInfo{Group: g.cfg.label, IDs: g.ids()}
	return aroundRun(ctx, mw, info, g.runNow, func(err error) *Results[T] { return g.unstarted(ctx, err) })
}

// runNow is Run without the run middleware.
func (g *Group[T]) runNow(ctx context.Context) (*Results[T], error) {
	if _, ok := g.start(ctx); !ok {
		return nil, ErrStarted // a group runs once, whatever its middleware does
	}
	return g.Wait()
}

// ids returns the IDs of the tasks added so far.
func (g *Group[T]) ids() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.index()
	ids := make([]string, len(g.tasks))
	for i, m := range g.tasks {
		ids[i] = m.id
	}
	return ids
}

// unstarted is the result of a run that never started (its run middleware
// did not call next): every task ends Skipped with err, and says so in its
// events (see declined).
func (g *Group[T]) unstarted(ctx context.Context, err error) *Results[T] {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.index()
	res := &Results[T]{all: make([]Result[T], len(g.tasks)), byID: g.lookup()}
	ids := make([]string, len(g.tasks))
	for i, m := range g.tasks {
		res.all[i] = Result[T]{ID: m.id, State: pool.Skipped, Err: err}
		ids[i] = m.id
	}
	declined(ctx, &g.cfg, ids, func(i int) []pool.TaskOption { return g.tasks[i].options() }, err)
	return res
}

// Start runs the group: the tasks added so far start at once (as the
// limit allows), and so will every task added until Wait returns. It
// returns the group's context, which ends when the group is decided or
// when Wait returns; its cause is the error that decided the group (the
// failure, for fail_fast), [ErrTimeout] after the timeout, or ctx's.
// Starting a group twice panics. Run middleware ([WithRunMiddleware])
// wraps Run, which knows where the run ends; a group started with Start
// runs without it.
func (g *Group[T]) Start(ctx context.Context) context.Context {
	ctx2, ok := g.start(ctx)
	if !ok {
		panic("parallel: Group started twice")
	}
	return ctx2
}

// start starts the group unless it has started already.
func (g *Group[T]) start(ctx context.Context) (context.Context, bool) {
	if ctx == nil {
		panic("parallel: nil context")
	}
	g.mu.Lock()
	if g.phase != declaring {
		g.mu.Unlock()
		return nil, false
	}
	if !g.made {
		g.cfg, g.made = defaults(), true
	}
	g.index()
	g.phase = running
	r := g.newRun(ctx)
	g.run = r
	g.mu.Unlock()
	r.start()
	return r.ctx, true
}

// Wait waits until every task of a started group has ended, tasks added
// while it waits included, and returns the results and the group's error,
// as Run does; called again, it returns them again. Wait on a group never
// started starts it with context.Background. Called from inside a braid task with its context
// (see Run), it gives the task's slot back while it waits. Called from one
// of the group's own tasks, which it would wait for, it returns at once
// with nil results and an error that is pool.ErrDeadlock (and
// pool.ErrWaitsForItself); the group runs on. (A group run without a pool
// of its own, see "What a run costs", cannot tell: there it waits for
// ever.)
func (g *Group[T]) Wait() (*Results[T], error) {
	g.mu.Lock()
	if g.phase == waited {
		res, err := g.res, g.err
		g.mu.Unlock()
		return res, err
	}
	r := g.run
	g.mu.Unlock()
	if r == nil {
		g.start(context.Background())
		g.mu.Lock()
		r = g.run
		g.mu.Unlock()
	}
	over := false
	pool.Suspend(r.parent, func() { over = r.wait() })
	if !over {
		// Called from one of the group's own tasks: the group cannot end
		// before its caller does.
		return nil, errWaitsForItself
	}
	r.close()
	res, err := g.finish(r)
	g.mu.Lock()
	if g.phase != waited { // the first of concurrent Waits to get here
		g.phase, g.res, g.err = waited, res, err
	}
	res, err = g.res, g.err
	g.mu.Unlock()
	return res, err
}

// finish builds the results and the group error, and calls the callbacks.
func (g *Group[T]) finish(r *run[T]) (*Results[T], error) {
	res := r.results()
	if r.failed != nil {
		return res, r.failed
	}
	ok, err := r.verdict()
	if g.cfg.timeout > 0 && errors.Is(context.Cause(r.ctx), ErrTimeout) && cutByTimeout(res) {
		// The timeout fails the group whatever the strategy would have
		// said of the tasks that did end: it cut the others short.
		ok, err = false, errors.Join(ErrTimeout, err)
	}
	if r.stuck.Load() {
		ok, err = false, errors.Join(errDeadlock, err)
	}
	if herr := r.hookErr; herr != nil {
		ok, err = false, errors.Join(err, herr)
	}
	g.mu.Lock()
	onSuccess, onError := g.onSuccess, g.onError
	g.mu.Unlock()
	if ok && onSuccess != nil {
		err = callback("OnSuccess", func() { onSuccess(res.Outputs()) })
	}
	if !ok && onError != nil {
		if cerr := callback("OnError", func() { onError(res.Failed(), err) }); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}
	return res, err
}

// callback runs fn, turning a panic into a *CallbackError.
func callback(name string, fn func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &CallbackError{Callback: name, Err: pool.NewPanicError(v)}
		}
	}()
	fn()
	return nil
}

// cutByTimeout reports whether the group's timeout ended some task: one
// that ran ended TimedOut, or one never started because of it.
func cutByTimeout[T any](res *Results[T]) bool {
	for _, t := range res.list() {
		if t.State == pool.TimedOut || (t.State == pool.Skipped && errors.Is(t.Err, ErrTimeout)) {
			return true
		}
	}
	return false
}
