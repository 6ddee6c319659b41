package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/braid-go/braid/pool"
)

// Thread is a plan step's Thread property, with the meaning it has in
// package parallel's plans: ThreadNo runs the step alone; adjacent
// ThreadYes steps run together as a block, which a ThreadJoin step closes
// (and belongs to).
type Thread uint8

const (
	ThreadNo Thread = iota
	ThreadYes
	ThreadJoin
)

func (t Thread) String() string {
	switch t {
	case ThreadNo:
		return "No"
	case ThreadYes:
		return "Yes"
	case ThreadJoin:
		return "Join"
	}
	return fmt.Sprintf("Thread(%d)", uint8(t))
}

func (t Thread) applyStep(s *Step) { s.thread = t }

// StepOption configures a plan step: a [Thread] value, [Parallelism],
// or a [TaskOption] (such as [Name]) for every call of the step.
type StepOption interface{ applyStep(*Step) }

func (o TaskOption) applyStep(s *Step) { s.opts = append(s.opts, o) }

type parallelism int

func (p parallelism) applyStep(s *Step) { s.parallelism = int(p) }

// Parallelism sets how many inputs of a [Broadcast] run at once across
// the cluster: 1, the default, one after another; 0, no limit of its own.
func Parallelism(n int) StepOption { return parallelism(n) }

// Step is one step of a [Plan]: one call ([Do]) or one kind over many
// inputs ([Broadcast]).
type Step struct {
	name        string
	thread      Thread
	calls       []erased
	broadcast   bool
	parallelism int
	opts        []TaskOption // for every call, after the call's own
}

// erased is a call with its result type forgotten: a plan's steps may be
// of different kinds.
type erased struct {
	kind string
	args any
	opts taskConfig
}

// Do returns a step that makes one call.
func Do[R any](name string, c Call[R], opts ...StepOption) Step {
	s := Step{name: name, calls: []erased{{c.kind, c.args, c.opts}}, parallelism: 1}
	for _, o := range opts {
		o.applyStep(&s)
	}
	return s
}

// Broadcast returns a step that calls k once per input, each a task named
// "name[i]", at most [Parallelism] at a time (default 1).
func Broadcast[A, R any](name string, k Kind[A, R], inputs []A, opts ...StepOption) Step {
	s := Step{name: name, broadcast: true, parallelism: 1}
	for _, in := range inputs {
		c := k.Call(in)
		s.calls = append(s.calls, erased(c))
	}
	for _, o := range opts {
		o.applyStep(&s)
	}
	return s
}

// Plan is an ordered list of steps run across the cluster the way package
// parallel runs a plan in one process: thread blocks and lone steps in
// order, each block's members together, under the plan's strategy, Max
// Threads ([GroupMaxWorkers]) and timeout. A plan is a group whose tasks
// are released unit by unit: the replica that records the end of a
// unit's last task opens the next unit in the same transaction, so a plan
// goes on when the replica that started it dies, and any node can wait
// for it by its ID ([WaitGroup] with json.RawMessage, or [WaitPlan]).
type Plan struct {
	n     *Node
	cfg   groupConfig
	steps []Step
}

// NewPlan returns an empty plan of node n; the group options apply to it
// (GroupMaxWorkers is its Max Threads). It returns an error wrapping
// [ErrInvalid] for a bad option.
func NewPlan(n *Node, opts ...GroupOption) (*Plan, error) {
	n.use()
	var cfg groupConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	return &Plan{n: n, cfg: cfg}, nil
}

// Add appends steps and returns the plan.
func (p *Plan) Add(steps ...Step) *Plan {
	p.steps = append(p.steps, steps...)
	return p
}

// units groups the steps: a maximal run of ThreadYes steps with the
// ThreadJoin that closes it is a block; every other step is a unit of
// its own.
func units(steps []Step) [][]Step {
	var us [][]Step
	for i := 0; i < len(steps); {
		j := i + 1
		if steps[i].thread == ThreadYes {
			for j < len(steps) && steps[j].thread == ThreadYes {
				j++
			}
			if j < len(steps) && steps[j].thread == ThreadJoin {
				j++
			}
		}
		us = append(us, steps[i:j])
		i = j
	}
	return us
}

// tasks checks the plan and lays out its tasks, each on the line of its
// unit (a broadcast on one of its own, for its parallelism); the lines
// of later units start closed.
func (p *Plan) tasks(id string) ([]task, int, error) {
	unlimited := func(n int) int {
		if n <= 0 {
			return math.MaxInt32
		}
		return n
	}
	names := map[string]bool{}
	var ts []task
	us := units(p.steps)
	for u, members := range us {
		for _, st := range members {
			switch {
			case st.name == "" || strings.ContainsAny(st.name, "[]"):
				return nil, 0, invalid("plan step name %q: must be non-empty, without '[' or ']'", st.name)
			case names[st.name]:
				return nil, 0, invalid("plan step name %q used twice", st.name)
			case st.parallelism < 0:
				return nil, 0, invalid("step %q: Parallelism(%d)", st.name, st.parallelism)
			}
			names[st.name] = true
			line, lim := fmt.Sprintf("plan:%s:%d", id, u), unlimited(p.cfg.workers)
			if st.broadcast {
				line, lim = line+":"+st.name, min(unlimited(st.parallelism), lim)
			}
			for i, c := range st.calls {
				for _, o := range st.opts {
					o(&c.opts)
				}
				if c.opts.overflow != pool.Enqueue {
					return nil, 0, invalid("step %q: a plan's calls take no NameOverflow: the plan orders them", st.name)
				}
				key := st.name
				if st.broadcast {
					key = fmt.Sprintf("%s[%d]", st.name, i)
				}
				t, err := p.n.prepare(key, c.kind, c.args, c.opts)
				if err != nil {
					return nil, 0, err
				}
				ts = append(ts, p.place(t, id, u, line, lim))
			}
		}
	}
	return ts, len(us), nil
}

// place puts a plan's task of unit u on the unit's line, open (with
// limit lim) for the first unit, closed for the others. A task with a
// Name waits there only until its unit opens, then in its name's line
// (then), whose limit bounds it instead of the plan's Max Threads, as a
// Name wins over a group's cap.
func (p *Plan) place(t task, id string, u int, line string, lim int) task {
	open := lim
	if u > 0 {
		open = 0
	}
	t.line, t.lim, t.set, t.unit = line, open, true, u
	t.gate = &gate{plan: id, unit: u, openLim: lim}
	if t.opts.name != "" {
		n := t.nameLine()
		if u == 0 {
			t.line, t.lim, t.set, t.gate = n.key, n.lim, n.set, nil
		} else {
			t.then = &n
		}
	}
	return t
}

// Start inserts the plan and all its tasks in one transaction, opens its
// first unit, and returns the plan's ID. It returns [ErrClosed] once the
// plan's node is closed.
func (p *Plan) Start(ctx context.Context) (string, error) {
	if p == nil || p.n == nil {
		panic("cluster: a zero or nil Plan; make one with cluster.NewPlan")
	}
	var id string
	err := p.n.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		id, err = p.StartTx(ctx, tx)
		return err
	})
	return id, err
}

// StartTx is Start inside the caller's transaction.
func (p *Plan) StartTx(ctx context.Context, tx pgx.Tx) (string, error) {
	if p == nil || p.n == nil {
		panic("cluster: a zero or nil Plan; make one with cluster.NewPlan")
	}
	if p.n.closed.Load() {
		return "", ErrClosed
	}
	id := p.cfg.id
	if id == "" {
		id = newID()
	}
	ts, nunits, err := p.tasks(id)
	if err != nil {
		return "", err
	}
	if err := createGroup(ctx, tx, id, p.cfg, len(ts), nunits); err != nil {
		return "", err
	}
	if _, err := p.n.insert(ctx, tx, id, ts); err != nil {
		return "", err
	}
	// A plan may begin with empty units (a broadcast of no inputs).
	g, err := lockGroup(ctx, tx, id)
	if err != nil {
		return "", err
	}
	jobs, err := advance(ctx, tx, g)
	if err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `UPDATE braid_groups SET unit = $2, done_at = CASE WHEN ended >= size THEN clock_timestamp() END WHERE id = $1`, id, g.unit); err != nil {
		return "", err
	}
	return id, p.n.enqueue(ctx, tx, jobs)
}

// Run starts the plan and waits for it ([WaitPlan]).
func (p *Plan) Run(ctx context.Context) (*Results[json.RawMessage], error) {
	id, err := p.Start(ctx)
	if err != nil {
		return nil, err
	}
	return WaitPlan(ctx, p.n, id)
}

// WaitPlan waits for the plan id, from any node. Each result's Output is
// the step's output as JSON, since a plan's steps return different types.
func WaitPlan(ctx context.Context, n *Node, id string) (*Results[json.RawMessage], error) {
	return WaitGroup[json.RawMessage](ctx, n, id)
}

// advance opens the plan's next units while the open one has no task
// left to end: their lines take their limits, and their first tasks get
// River jobs. It runs under the group's lock, so exactly one transaction
// opens each unit.
func advance(ctx context.Context, tx pgx.Tx, g *groupRow) ([]job, error) {
	var jobs []job
	for g.unit < g.units {
		var open bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM braid_tasks WHERE group_id = $1 AND unit = $2 AND state < 3)`,
			g.id, g.unit).Scan(&open)
		if err != nil || open {
			return jobs, err
		}
		g.unit++
		if g.unit == g.units {
			return jobs, nil
		}
		// The unit's lines open, and its tasks with a name move to their
		// names' lines; the pump takes all those lines' locks.
		rows, err := tx.Query(ctx, `WITH opened AS (
				UPDATE braid_lines SET lim = open_lim WHERE plan = $1 AND unit = $2 RETURNING key),
			moved AS (
				UPDATE braid_tasks SET line = then_line, then_line = NULL
				WHERE group_id = $1 AND unit = $2 AND then_line IS NOT NULL AND state = 1 RETURNING line)
			SELECT key FROM opened UNION SELECT line FROM moved`, g.id, g.unit)
		if err != nil {
			return nil, err
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, err
		}
		js, err := pumpLines(ctx, tx, lines)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, js...)
	}
	return jobs, nil
}
