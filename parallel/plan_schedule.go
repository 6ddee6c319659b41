package parallel

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/braid-go/braid/pool"
)

// A schedule is a validated plan tree, compiled into what Run, Describe and
// the results need: the units (blocks and sequential steps) in the order
// they run, every task in plan order, and the scopes that become pools.
//
// Tasks are numbered depth-first in plan order, so the tasks of a unit, of
// a member and of an inlined plan are each a contiguous range: skipping any
// of them is skipping a range.
type schedule struct {
	units  []unit
	tasks  []task
	ids    []string
	byID   map[string]int
	scopes []scope // parents before children; scopes[0] is the plan run
}

// A task is what runs a function: a function step, or one input of a
// broadcast.
type task struct {
	fn     func(context.Context) error
	scope  int
	server string            // the key of the servers it runs on (see OnServer)
	opts   []pool.TaskOption // its name, resources, priority... (see TaskOptions)
}

// A scope is a plan, or a broadcast, with its own limit: a sub-pool of its
// parent's at run time, so that it counts against every enclosing limit.
type scope struct{ parent, limit int }

// A unit runs after the previous one has finished: a block of members that
// run together, or a single member.
type unit struct {
	members []part
	lo, hi  int // its tasks
}

// A part is one member of a unit: one step, whose tasks are lo to hi-1.
// An Inline step that runs its plan as one member has the plan's units,
// run by a task in scope that holds no thread while it waits for them.
type part struct {
	name   string // the step's path
	lo, hi int
	scope  int
	units  []unit
	// A broadcast's inputs and parallelism, for Describe; inputs is -1
	// for other steps.
	inputs, parallelism int
}

// An item is a part with its Thread property, before items are grouped
// into units.
type item struct {
	thread Thread
	m      part
}

// compile validates p and builds its schedule, or returns every problem
// found, each a *PlanError.
func (p *Plan) compile() (*schedule, error) {
	c := &compiler{s: schedule{byID: make(map[string]int)}}
	c.checkRun(p.cfg)
	items := c.plan(p, "", c.scope(-1, p.cfg.limit))
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	c.s.units = blocks(items)
	return &c.s, nil
}

// compiler walks a plan tree depth-first, in plan order.
type compiler struct {
	s     schedule
	errs  []error
	stack []*Plan // the plans being walked, outermost first
}

func (c *compiler) fail(path string, err error) {
	c.errs = append(c.errs, &PlanError{Step: path, Err: err})
}

func (c *compiler) scope(parent, limit int) int {
	c.s.scopes = append(c.s.scopes, scope{parent: parent, limit: limit})
	return len(c.s.scopes) - 1
}

func (c *compiler) task(id string, fn func(context.Context) error, scope int, server string, opts []pool.TaskOption) {
	if _, dup := c.s.byID[id]; dup {
		c.fail(id, ErrDuplicateID) // a safety net: names are unique per plan and hold no "/" or "["
		return
	}
	c.s.byID[id] = len(c.s.tasks)
	c.s.ids = append(c.s.ids, id)
	c.s.tasks = append(c.s.tasks, task{fn: fn, scope: scope, server: server, opts: opts})
}

// plan compiles the steps of p, found at path at, into items.
func (c *compiler) plan(p *Plan, at string, scope int) []item {
	steps := p.snapshot()
	if p.cfg.err != nil {
		c.fail(at, p.cfg.err)
	}
	if len(steps) == 0 {
		c.fail(at, ErrEmptyPlan)
	}
	c.stack = append(c.stack, p)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()
	names := make(map[string]bool, len(steps))
	var items []item
	for i, st := range steps {
		path := join(at, st.name, i)
		if c.check(&st, path, names) {
			items = append(items, c.step(&st, path, scope)...)
		}
	}
	return items
}

func (c *compiler) step(st *Step, path string, scope int) []item {
	lo := len(c.s.tasks)
	m := part{name: path, inputs: -1}
	switch st.kind {
	case inlineStep:
		return c.inline(st, path, scope)
	case broadcastStep:
		bs := c.scope(scope, st.parallelism)
		for i := range st.inputs {
			c.task(fmt.Sprintf("%s[%d]", path, i), st.input(i), bs, st.server, st.inputOptions(i))
		}
		m.inputs, m.parallelism = st.inputs, st.parallelism
	default:
		c.task(path, st.fn, scope, st.server, st.opts)
	}
	m.lo, m.hi = lo, len(c.s.tasks)
	return []item{{st.thread, m}}
}

// inline compiles an Inline step: its plan's items in place of the step
// when the enclosing block continues into it, else one member that runs
// the plan's own units.
func (c *compiler) inline(st *Step, path string, scope int) []item {
	if slices.Contains(c.stack, st.plan) {
		c.fail(path, ErrCycle)
		return nil
	}
	lo := len(c.s.tasks)
	items := c.plan(st.plan, path, c.scope(scope, st.plan.cfg.limit))
	if st.thread == ThreadYes && len(items) > 0 && items[0].thread != ThreadNo {
		return items
	}
	m := part{name: path, lo: lo, hi: len(c.s.tasks), scope: scope, units: blocks(items), inputs: -1}
	return []item{{st.thread, m}}
}

// blocks groups items into units: a maximal run of ThreadYes items, with
// the ThreadJoin item that closes it, is a block; every other item (a No,
// a Join with no Yes before it, a lone Yes) is a unit of its own.
func blocks(items []item) []unit {
	var units []unit
	for i := 0; i < len(items); {
		j := i + 1
		if items[i].thread == ThreadYes {
			for j < len(items) && items[j].thread == ThreadYes {
				j++
			}
			if j < len(items) && items[j].thread == ThreadJoin {
				j++
			}
		}
		u := unit{lo: items[i].m.lo, hi: items[j-1].m.hi}
		for _, it := range items[i:j] {
			u.members = append(u.members, it.m)
		}
		units = append(units, u)
		i = j
	}
	return units
}

// join makes the path of the step named name, at position i of the plan
// found at path at. A step with no name gets its position, for messages.
func join(at, name string, i int) string {
	if name == "" {
		name = fmt.Sprintf("#%d", i+1)
	}
	if at == "" {
		return name
	}
	return at + "/" + name
}
