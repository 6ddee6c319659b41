package parallel

import (
	"context"
	"sync"
)

// Output is a typed value that one step of a plan produces ([Produce])
// and that later steps and the caller read: [Output.From] inside a step,
// with the step's context, and [Output.In] on the plan's results.
//
// Why a key and not a variable the steps close over: a plan is a
// declaration that may run many times, also at once, so a variable shared
// by its steps would be shared by every run, a data race between runs; and
// nothing would tie the type a step writes to the type another reads. An
// Output is declared once, next to the plan; each run keeps its own value
// for it, reachable from that run's tasks through their context, and the
// compiler checks that producer and readers agree on T.
//
// A step sees the value of a producer that finished before it started:
// one in an earlier block or sequential step (blocks run in order, so
// that is a happens-before edge). A step in the producer's own block may
// or may not see it, as it may run before or after the producer.
type Output[T any] struct {
	key *outputKey
}

type outputKey struct{ name string }

// NewOutput declares an output; name is for messages.
func NewOutput[T any](name string) Output[T] {
	return Output[T]{key: &outputKey{name: name}}
}

// Name returns the name the output was declared with.
func (o Output[T]) Name() string {
	if o.key == nil {
		return ""
	}
	return o.key.name
}

// From returns the value produced for o in the plan run that ctx belongs
// to (the context a step receives, or one derived from it). ok is false
// when the producing step has not succeeded (yet), or ctx is not a plan
// step's.
func (o Output[T]) From(ctx context.Context) (v T, ok bool) {
	if ctx == nil {
		panic("parallel: nil context")
	}
	outs, _ := ctx.Value(outputsKey{}).(*outputs)
	return lookup[T](outs, o.key)
}

// In returns the value produced for o in the plan run whose results res
// are. ok is false when the producing step did not succeed.
func (o Output[T]) In(res *Results[struct{}]) (v T, ok bool) {
	if res == nil {
		return v, false
	}
	return lookup[T](res.outputs, o.key)
}

func lookup[T any](outs *outputs, key *outputKey) (v T, ok bool) {
	if outs == nil || key == nil {
		return v, false
	}
	outs.mu.Lock()
	defer outs.mu.Unlock()
	v, ok = outs.m[key].(T) // set only by Produce[T] for this key: the type holds
	return v, ok
}

// Produce returns a step that runs fn and, when it succeeds, keeps its
// value as out's for the rest of the run. It is a [Do] step in every other
// way: it takes the same options, and its error counts as any step's.
func Produce[T any](name string, out Output[T], fn func(ctx context.Context) (T, error), opts ...StepOption) Step {
	var run func(context.Context) error
	if fn != nil {
		run = func(ctx context.Context) error {
			v, err := fn(ctx)
			if err == nil {
				outs, _ := ctx.Value(outputsKey{}).(*outputs)
				outs.set(out.key, v)
			}
			return err
		}
	}
	s := Do(name, run, opts...)
	if out.key == nil {
		s.err = invalidf("Produce with an Output not made by NewOutput")
	}
	return s
}

// outputs holds the values of one plan run's Output keys.
type outputs struct {
	mu sync.Mutex
	m  map[*outputKey]any
}

type outputsKey struct{}

func (o *outputs) set(key *outputKey, v any) {
	if o == nil {
		return // run outside a plan (a test calling the step's function): nowhere to keep it
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = make(map[*outputKey]any)
	}
	o.m[key] = v
}
