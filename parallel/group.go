package parallel

import (
	"context"
	"errors"
	"sync"

	"github.com/braid-go/braid/pool"
)

// Group runs a set of tasks, each with an ID unique in the group and a
// typed output, under one strategy. Add the tasks, then Run them once.
//
// A Group is safe for concurrent use: Add may be called from several
// goroutines before Run.
type Group[T any] struct {
	cfg       config
	mu        sync.Mutex
	tasks     []member[T]
	byID      map[string]int
	started   bool
	onSuccess func(outputs map[string]T)
	onError   func(failed []Result[T], err error)
}

type member[T any] struct {
	id     string
	fn     func(ctx context.Context) (T, error)
	output T
}

// NewGroup returns an empty group configured by opts. It returns an error
// wrapping [ErrInvalid] for a bad option.
func NewGroup[T any](opts ...Option) (*Group[T], error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.pool != nil && cfg.hook != nil {
		cfg.fail("OnEvent with OnPool: set the hook on the pool (pool.OnEvent)")
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	return &Group[T]{cfg: cfg, byID: make(map[string]int)}, nil
}

// Add adds a task. It returns [ErrEmptyID] or [ErrDuplicateID] for a bad
// ID and [ErrStarted] once Run has begun; a nil fn panics, as a programming
// error.
func (g *Group[T]) Add(id string, fn func(ctx context.Context) (T, error)) error {
	if fn == nil {
		panic("parallel: nil task function")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.started:
		return ErrStarted
	case id == "":
		return ErrEmptyID
	}
	if _, dup := g.byID[id]; dup {
		return &TaskError{ID: id, Err: ErrDuplicateID}
	}
	g.byID[id] = len(g.tasks)
	g.tasks = append(g.tasks, member[T]{id: id, fn: fn})
	return nil
}

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

// Run starts every task and returns when all have ended, with every task's
// result and the group's error (nil when the strategy says it succeeded).
// The results are returned even when the group failed.
//
// On a deciding event (a fail_fast failure, a race win, a tolerance
// exceeded, the timeout) the tasks' context is cancelled: queued tasks
// never start and end Skipped, running ones see the cancellation. Run still
// waits for every started task to return.
//
// When ctx is the context of a running braid task, Run gives that task's
// worker slot back while it waits, so a group may be run from inside a task
// of the pool it runs on.
func (g *Group[T]) Run(ctx context.Context) (*Results[T], error) {
	g.mu.Lock()
	if g.started {
		g.mu.Unlock()
		return nil, ErrStarted
	}
	g.started = true
	g.mu.Unlock()
	if mw := chainRun(g.cfg.runMiddleware); mw != nil {
		info := RunInfo{Group: g.cfg.name, IDs: make([]string, len(g.tasks))}
		for i := range g.tasks {
			info.IDs[i] = g.tasks[i].id
		}
		once := false
		return aroundRun(ctx, mw, info, func(ctx context.Context) (*Results[T], error) {
			if once {
				return nil, ErrStarted // a group runs once, whatever its middleware does
			}
			once = true
			return g.run(ctx)
		}, g.unstarted)
	}
	return g.run(ctx)
}

// run is Run once the group is marked started.
func (g *Group[T]) run(ctx context.Context) (*Results[T], error) {
	r, err := g.newRun(ctx)
	if err != nil {
		return g.unstarted(err), err
	}
	defer r.close()
	r.start()
	pool.Suspend(ctx, r.wait)
	return g.finish(r)
}

// finish builds the results and the group error, and calls the callbacks.
func (g *Group[T]) finish(r *run[T]) (*Results[T], error) {
	res := r.results()
	ok, err := r.verdict()
	if g.cfg.timeout > 0 && cutByTimeout(res) {
		// The timeout fails the group whatever the strategy would have
		// said of the tasks that did end: it cut the others short.
		ok, err = false, errors.Join(ErrTimeout, err)
	}
	if ok && g.onSuccess != nil {
		err = callback("OnSuccess", func() { g.onSuccess(res.Outputs()) })
	}
	if !ok && g.onError != nil {
		if cerr := callback("OnError", func() { g.onError(res.Failed(), err) }); cerr != nil {
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
	for _, t := range res.all {
		if t.State == pool.TimedOut || (t.State == pool.Skipped && errors.Is(t.Err, ErrTimeout)) {
			return true
		}
	}
	return false
}

// unstarted is the result of a group that could not start (the pool it was
// to run on is closed): every task ends Skipped with that error.
func (g *Group[T]) unstarted(err error) *Results[T] {
	res := &Results[T]{all: make([]Result[T], len(g.tasks)), byID: g.byID, winner: -1}
	for i, m := range g.tasks {
		res.all[i] = Result[T]{ID: m.id, State: pool.Skipped, Err: err}
	}
	return res
}
