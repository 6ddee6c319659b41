package parallel

import (
	"context"
	"fmt"
	"slices"

	"github.com/braid-go/braid/pool"
)

// Thread is a step's Thread property, as in a job scheduler's threaded
// steps: No (runs alone), Yes (runs with adjacent Yes steps) or Join
// (closes a block of Yes steps). It is
// also a [StepOption]: Do("load", load, ThreadYes).
type Thread uint8

const (
	// ThreadNo, the default: the step runs alone, after everything before
	// it has finished, and it ends any block before it.
	ThreadNo Thread = iota
	// ThreadYes: the step runs together with the adjacent ThreadYes steps
	// (a block needs at least two; a lone one runs alone).
	ThreadYes
	// ThreadJoin: the step closes the block of ThreadYes steps just before
	// it and runs as one of its members. With no ThreadYes step before it,
	// it is an ordinary sequential step.
	ThreadJoin
)

var threadNames = [...]string{"No", "Yes", "Join"}

func (t Thread) String() string {
	if int(t) < len(threadNames) {
		return threadNames[t]
	}
	return fmt.Sprintf("Thread(%d)", t)
}

func (t Thread) applyStep(s *Step) { s.thread = t }

// StepOption configures one step: a [Thread] value, [OnServer],
// [Parallelism], [TaskOptions] or [PerItem].
type StepOption interface{ applyStep(*Step) }

type stepOption func(*Step)

func (o stepOption) applyStep(s *Step) { o(s) }

// OnServer names the servers a function step or a broadcast runs on: the
// plan's [Selector] (see [OnServers]) maps the key to pools. A plan without
// servers runs such steps on its own pool. OnServer does not apply to an
// Inline step, whose steps choose servers of their own; validation rejects
// it there.
func OnServer(key string) StepOption {
	return stepOption(func(s *Step) { s.server, s.serverSet = key, true })
}

// Parallelism sets how many of a [Broadcast]'s inputs run at once: 1, the
// default, runs them one after another; 0 means no limit of the broadcast's
// own. The plan's Max Threads bound them too. It applies to broadcasts
// only; validation rejects it elsewhere, and rejects a negative n.
func Parallelism(n int) StepOption {
	return stepOption(func(s *Step) { s.parallelism, s.parallelismSet = n, true })
}

type stepKind uint8

const (
	noStep stepKind = iota // the zero Step
	funcStep
	inlineStep
	broadcastStep
)

// Step is one step of a [Plan], made by [Do], [Inline] or [Broadcast]. A
// Step is a plain value; the zero Step is invalid.
type Step struct {
	name   string
	kind   stepKind
	thread Thread
	fn     func(context.Context) error // Do
	plan   *Plan                       // Inline
	inputs int                         // Broadcast: how many inputs
	// input returns the run of a broadcast's input i; nil when the
	// broadcast's function is nil.
	input          func(i int) func(context.Context) error
	server         string
	parallelism    int
	serverSet      bool
	parallelismSet bool
	opts           []pool.TaskOption           // for every task of the step (see TaskOptions)
	perItem        any                         // PerItem's function, until Broadcast checks its type
	itemOpts       func(i int) pool.TaskOption // a broadcast input's own options (see PerItem)
	err            error                       // a problem found while building the step
}

func newStep(name string, kind stepKind, opts []StepOption) Step {
	s := Step{name: name, kind: kind, parallelism: 1}
	for _, o := range opts {
		o.applyStep(&s)
	}
	return s
}

// Do returns a step that runs fn. A nil fn is reported by validation
// ([ErrNilStep]); nothing panics, so that a plan assembled from
// configuration reports all its problems at once. A step's name (of any
// kind of step) must be unique in its plan and may not contain '/', '['
// or ']', which make up the paths of inlined steps and broadcast inputs.
func Do(name string, fn func(ctx context.Context) error, opts ...StepOption) Step {
	s := newStep(name, funcStep, opts)
	s.fn = fn
	return s
}

// Inline returns a step that runs plan as part of the enclosing one, as a
// job scheduler inlines one project into another. Its steps are named by path: step "pdf" of
// an Inline step "reports" is "reports/pdf".
//
// When the step is ThreadYes and plan's first step is threaded (Yes or
// Join), the enclosing block continues into plan: plan's leading threaded
// steps run as members of that block, until one of them is a Join or a No
// step ends it, exactly as if plan's steps stood in place of the Inline
// step. Otherwise the Inline step is one member (or one sequential step)
// that runs plan's blocks in order; while it waits for them it holds no
// thread. plan's steps count against plan's Max Threads and every
// enclosing plan's.
func Inline(name string, plan *Plan, opts ...StepOption) Step {
	s := newStep(name, inlineStep, opts)
	s.plan = plan
	return s
}

// Broadcast returns a step that runs fn once per input (a data
// platform's configuration rows, say), at most [Parallelism] at a time, by default one
// after another. Each input is a task of its own, named "name[i]" in the
// results and counted by the plan's strategy like any step; the inputs are
// copied. No inputs is valid: the step has nothing to do.
func Broadcast[E any](name string, inputs []E, fn func(ctx context.Context, input E) error, opts ...StepOption) Step {
	s := newStep(name, broadcastStep, opts)
	s.inputs = len(inputs)
	in := slices.Clone(inputs)
	if fn != nil {
		s.input = func(i int) func(context.Context) error {
			return func(ctx context.Context) error { return fn(ctx, in[i]) }
		}
	}
	if s.perItem != nil {
		key, ok := s.perItem.(func(E) pool.TaskOption)
		if !ok {
			// PerItem is generic over the item type, Broadcast over the
			// input type; the compiler cannot tie the two, so a mismatch
			// is found here and reported by validation.
			s.err = invalidf("PerItem takes %T; the inputs are %T", s.perItem, in)
		} else {
			s.itemOpts = func(i int) pool.TaskOption { return key(in[i]) }
		}
	}
	return s
}

// inputOptions returns the task options of broadcast input i: the step's,
// then the input's own (see PerItem).
func (s *Step) inputOptions(i int) []pool.TaskOption {
	if s.itemOpts == nil {
		return s.opts
	}
	return append(s.opts[:len(s.opts):len(s.opts)], s.itemOpts(i))
}

// TaskOptions gives every task of a step the options a pool task takes:
// [pool.Name] to serialise it with every task of the same name,
// [pool.Resources] for the things it uses exclusively, [pool.Priority],
// [pool.Reentrant]. A task waiting for its name or resources is Blocked
// and holds no thread of the plan. On a Broadcast they apply to every
// input; [PerItem] derives options from each input. On an Inline step
// they apply to nothing (its steps take their own): validation rejects
// them there.
func TaskOptions(opts ...pool.TaskOption) StepOption {
	return stepOption(func(s *Step) { s.opts = append(s.opts, opts...) })
}

// runnable reports whether s has something to run.
func (s *Step) runnable() bool {
	switch s.kind {
	case funcStep:
		return s.fn != nil
	case inlineStep:
		return s.plan != nil
	case broadcastStep:
		return s.input != nil
	}
	return false
}
