package cluster

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/braid-go/braid/pool"
)

// jobArgs is all River carries for a task: which task, and which attempt
// of it. Everything else lives in braid_tasks, so that a stale job (of an
// attempt the cluster already gave up on) is recognised and does nothing.
type jobArgs struct {
	Task    int64 `json:"task"`
	Attempt int   `json:"attempt"`
}

func (jobArgs) Kind() string { return "braid_task" }

// task is a task about to be inserted.
type task struct {
	key  string // its ID in its group
	kind string
	args []byte
	opts taskConfig
	line string // the line it queues on, "" for none
	lim  int
	set  bool // the task sets its line's limit
	unit int  // its unit, in a plan
	gate *gate
	then *lineRef // the name's line a plan's task enters when its unit opens
}

// lineRef is a line a task names, with the limit it asks for (set: it
// sets the line's limit, else only a new line takes it).
type lineRef struct {
	key string
	lim int
	set bool
}

// gate is a plan's hold on a line: the line belongs to a unit of the plan,
// and has limit 0 until the unit opens.
type gate struct {
	plan    string
	unit    int
	openLim int
}

// job is a task that has just become runnable: it needs a River job.
type job struct {
	id       int64
	attempt  int
	priority bool
}

// Task states as stored: pool.State's numbers.
const (
	stWaiting = 0 // River holds a job for it
	stBlocked = 1 // waiting in its line, no job yet
	stRunning = 2
	stSkipped = 6
)

// prepare checks a call against the registry and encodes its arguments.
func (n *Node) prepare(key, kind string, args any, opts taskConfig) (task, error) {
	e := n.kinds.lookup(kind)
	if e == nil {
		return task{}, fmt.Errorf("%w: %q", ErrUnknownKind, kind)
	}
	switch {
	case opts.nameLimit < 0:
		return task{}, invalid("NameLimit(%d): must be >= 0", opts.nameLimit)
	case opts.overflow < pool.Enqueue || opts.overflow > pool.KeepLatest:
		return task{}, invalid("NameOverflow(%d): unknown policy", int(opts.overflow))
	case opts.overflow != pool.Enqueue && opts.name == "":
		return task{}, invalid("NameOverflow(%v) without a Name", opts.overflow)
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return task{}, fmt.Errorf("%w: arguments of %q: %v", ErrInvalid, kind, err)
	}
	t := task{key: key, kind: kind, args: raw, opts: opts}
	if e.limit > 0 {
		t.line, t.lim, t.set = "kind:"+kind, e.limit, true
	}
	return t, nil
}

// lineFor picks the line of a task: its name's, else its group's cap,
// else its kind's limit.
func (t *task) lineFor(group string, groupWorkers int) {
	switch {
	case t.opts.name != "":
		n := t.nameLine()
		t.line, t.lim, t.set = n.key, n.lim, n.set
	case groupWorkers > 0:
		t.line, t.lim, t.set = "group:"+group, groupWorkers, true
	}
}

// nameLine is the line of the task's name.
func (t *task) nameLine() lineRef {
	return lineRef{key: "name:" + t.opts.name, lim: max(t.opts.nameLimit, 1), set: t.opts.nameLimit > 0}
}

// insert writes tasks in tx, in order, and gives River a job for each
// one that may run now. Tasks with a line enter it Blocked and the line
// is pumped, so that a task never overtakes an earlier one of its line;
// the first tasks of a line created here need no pump, since no other
// task is in it. Then the tasks' overflow policies apply. It returns the
// tasks' IDs.
func (n *Node) insert(ctx context.Context, tx pgx.Tx, group string, ts []task) ([]int64, error) {
	lines, specs := lineSpecs(ts)
	fresh, err := upsertLines(ctx, tx, lines, specs)
	if err != nil {
		return nil, err
	}
	states := make([]int16, len(ts))
	for i, t := range ts {
		if room, ok := fresh[t.line]; ok && room > 0 {
			fresh[t.line] = room - 1
		} else if t.line != "" {
			states[i] = stBlocked
		}
	}
	idx, units := make([]int32, len(ts)), make([]int32, len(ts))
	keys, kinds, args, lns, thens := make([]string, len(ts)), make([]string, len(ts)), make([]string, len(ts)), make([]string, len(ts)), make([]string, len(ts))
	prios := make([]bool, len(ts))
	for i, t := range ts {
		idx[i], keys[i], kinds[i], args[i], lns[i], prios[i], units[i] = int32(i), t.key, t.kind, string(t.args), t.line, t.opts.priority, int32(t.unit)
		if t.then != nil {
			thens[i] = t.then.key
		}
	}
	var gid *string
	if group != "" {
		gid = &group
	}
	rows, err := tx.Query(ctx, `INSERT INTO braid_tasks (group_id, idx, key, kind, args, line, then_line, priority, state, unit)
		SELECT $1, u.idx, u.key, u.kind, u.args::jsonb, NULLIF(u.line, ''), NULLIF(u.then_line, ''), u.prio, u.state, u.unit
		FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::smallint[], $9::int[], $10::text[])
			AS u (idx, key, kind, args, line, prio, state, unit, then_line)
		ORDER BY u.idx
		RETURNING id, idx`, gid, idx, keys, kinds, args, lns, prios, states, units, thens)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(ts))
	var id int64
	var i int32
	if _, err := pgx.ForEachRow(rows, []any{&id, &i}, func() error { ids[i] = id; return nil }); err != nil {
		return nil, err
	}
	var jobs []job
	for i, st := range states {
		if st == stWaiting {
			jobs = append(jobs, job{id: ids[i], attempt: 1, priority: ts[i].opts.priority})
		}
	}
	var old []string // lines that existed before: locked by upsertLines
	for _, l := range lines {
		if _, ok := fresh[l]; !ok {
			old = append(old, l)
		}
	}
	js, err := pumpLocked(ctx, tx, &pgx.Batch{}, old)
	if err != nil {
		return nil, err
	}
	if jobs, err = n.overflow(ctx, tx, ts, ids, append(jobs, js...)); err != nil {
		return nil, err
	}
	return ids, n.enqueue(ctx, tx, jobs)
}

// enqueue gives each job its River job, in tx.
func (n *Node) enqueue(ctx context.Context, tx pgx.Tx, jobs []job) error {
	if len(jobs) == 0 {
		return nil
	}
	ps := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		prio := 2
		if j.priority {
			prio = 1
		}
		ps[i] = river.InsertManyParams{Args: jobArgs{Task: j.id, Attempt: j.attempt}, InsertOpts: &river.InsertOpts{Queue: n.cfg.queue, Priority: prio}}
	}
	if len(ps) >= copyJobs {
		_, err := n.river.InsertManyFastTx(ctx, tx, ps)
		return err
	}
	_, err := n.river.InsertManyTx(ctx, tx, ps)
	return err
}

// copyJobs is how many jobs make enqueue use River's insert by COPY,
// which takes a round trip more than one INSERT statement but costs the
// server less per row: a group's start.
const copyJobs = 100
