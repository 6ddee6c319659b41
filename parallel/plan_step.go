package parallel

import (
	"context"
	"fmt"
	"slices"
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

// StepOption configures one step: a [Thread] value, [Label] or
// [Parallelism].
type StepOption interface{ applyStep(*Step) }

type stepOption func(*Step)

func (o stepOption) applyStep(s *Step) { o(s) }

// Label names the servers a function step or a broadcast runs on: the plan's
// [Selector] (see [OnServers]) maps it to pools. A plan without servers runs
// labelled steps on its own pool. Label does not apply to an Inline step,
// whose steps carry labels of their own; validation rejects it there.
func Label(l string) StepOption {
	return stepOption(func(s *Step) { s.label, s.labelSet = l, true })
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
	label          string
	parallelism    int
	labelSet       bool
	parallelismSet bool
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
	if fn != nil {
		in := slices.Clone(inputs)
		s.input = func(i int) func(context.Context) error {
			return func(ctx context.Context) error { return fn(ctx, in[i]) }
		}
	}
	return s
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
