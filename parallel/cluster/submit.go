package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
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
	if opts.nameLimit < 0 {
		return task{}, invalid("NameLimit(%d): must be >= 0", opts.nameLimit)
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
		t.line, t.lim, t.set = "name:"+t.opts.name, max(t.opts.nameLimit, 1), t.opts.nameLimit > 0
		if !t.set {
			t.lim = 1
		}
	case groupWorkers > 0:
		t.line, t.lim, t.set = "group:"+group, groupWorkers, true
	}
}

// insert writes tasks in tx, in order, and gives River a job for each
// one that may run now. Tasks with a line enter it Blocked and the line
// is pumped, so that a task never overtakes an earlier one of its line.
// It returns the tasks' IDs, and how many were dropped.
func (n *Node) insert(ctx context.Context, tx pgx.Tx, group string, ts []task) ([]int64, int, error) {
	states := make([]int16, len(ts))
	causes := make([]string, len(ts))
	byLine := map[string]int{} // the line's first task
	var lines []string
	for i, t := range ts {
		if t.line == "" {
			continue
		}
		states[i] = stBlocked
		if _, ok := byLine[t.line]; !ok {
			byLine[t.line] = i
			lines = append(lines, t.line)
		}
	}
	if err := upsertLines(ctx, tx, ts, lines, byLine); err != nil {
		return nil, 0, err
	}
	dropped := 0
	for i, t := range ts {
		if t.line == "" || !t.opts.drop {
			continue
		}
		var busy bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM braid_tasks WHERE line = $1 AND state = 1)
			OR (SELECT count(*) FROM braid_tasks WHERE line = $1 AND state IN (0, 2)) >= (SELECT lim FROM braid_lines WHERE key = $1)`,
			t.line).Scan(&busy)
		if err != nil {
			return nil, 0, err
		}
		if busy {
			states[i], causes[i] = stSkipped, causeDropped
			dropped++
		}
	}

	idx, units := make([]int32, len(ts)), make([]int32, len(ts))
	keys, kinds, args, lns := make([]string, len(ts)), make([]string, len(ts)), make([]string, len(ts)), make([]string, len(ts))
	prios := make([]bool, len(ts))
	for i, t := range ts {
		idx[i], keys[i], kinds[i], args[i], lns[i], prios[i], units[i] = int32(i), t.key, t.kind, string(t.args), t.line, t.opts.priority, int32(t.unit)
	}
	var gid *string
	if group != "" {
		gid = &group
	}
	rows, err := tx.Query(ctx, `INSERT INTO braid_tasks (group_id, idx, key, kind, args, line, priority, state, cause, error, ended_at, unit)
		SELECT $1, u.idx, u.key, u.kind, u.args::jsonb, NULLIF(u.line, ''), u.prio, u.state, NULLIF(u.cause, ''),
			CASE WHEN u.cause <> '' THEN $10 END, CASE WHEN u.state = 6 THEN clock_timestamp() END, u.unit
		FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], $8::smallint[], $9::text[], $11::int[])
			AS u (idx, key, kind, args, line, prio, state, cause, unit)
		ORDER BY u.idx
		RETURNING id, idx`, gid, idx, keys, kinds, args, lns, prios, states, causes, ErrDropped.Error(), units)
	if err != nil {
		return nil, 0, err
	}
	ids := make([]int64, len(ts))
	for rows.Next() {
		var id int64
		var i int32
		if err := rows.Scan(&id, &i); err != nil {
			rows.Close()
			return nil, 0, err
		}
		ids[i] = id
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var jobs []job
	for i, st := range states {
		if st == stWaiting {
			jobs = append(jobs, job{id: ids[i], attempt: 1, priority: ts[i].opts.priority})
		}
	}
	js, err := pumpLines(ctx, tx, lines)
	if err != nil {
		return nil, 0, err
	}
	jobs = append(jobs, js...)
	return ids, dropped, n.enqueue(ctx, tx, jobs)
}

// upsertLines creates the tasks' lines, or locks them if they exist, in
// one order (sorted), so that two submitters never wait for each other's;
// then it sets the limits the tasks ask for.
func upsertLines(ctx context.Context, tx pgx.Tx, ts []task, lines []string, byLine map[string]int) error {
	if len(lines) == 0 {
		return nil
	}
	slices.Sort(lines)
	lims, sets := make([]int32, len(lines)), make([]bool, len(lines))
	plans, units, opens := make([]*string, len(lines)), make([]*int32, len(lines)), make([]*int32, len(lines))
	at := make(map[string]int, len(lines))
	for i, l := range lines {
		at[l] = i
		t := ts[byLine[l]]
		lims[i] = int32(t.lim)
		if g := t.gate; g != nil {
			u, o := int32(g.unit), int32(g.openLim)
			plans[i], units[i], opens[i] = &g.plan, &u, &o
		}
	}
	for _, t := range ts {
		if t.line != "" && t.set {
			lims[at[t.line]], sets[at[t.line]] = int32(t.lim), true
		}
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO braid_lines (key, lim, plan, unit, open_lim)
		SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::int[]) ORDER BY 1
		ON CONFLICT (key) DO UPDATE SET lim = braid_lines.lim`, lines, lims, plans, units, opens)
	b.Queue(`UPDATE braid_lines l SET lim = u.lim FROM unnest($1::text[], $2::int[], $3::bool[]) AS u (key, lim, set)
		WHERE l.key = u.key AND u.set AND l.lim <> u.lim`, lines, lims, sets)
	return tx.SendBatch(ctx, b).Close()
}

// pumpLines pumps every line, in one round trip: it locks them in
// order, then lets in, per line, the first Blocked tasks that fit, with
// the same counting as queuePump.
func pumpLines(ctx context.Context, tx pgx.Tx, lines []string) ([]job, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	slices.Sort(lines)
	b := &pgx.Batch{}
	b.Queue(`SELECT 1 FROM braid_lines WHERE key = ANY($1) ORDER BY key FOR UPDATE`, lines)
	// The state = 1 in the outer WHERE is checked again on a row that a
	// concurrent decision skipped while this statement waited for it.
	b.Queue(`WITH room AS (
			SELECT l.key, l.lim - (SELECT count(*) FROM braid_tasks t WHERE t.line = l.key AND t.state IN (0, 2)) AS room
			FROM braid_lines l WHERE l.key = ANY($1)),
		ranked AS (
			SELECT t.id, row_number() OVER (PARTITION BY t.line ORDER BY t.id) AS rank, r.room
			FROM braid_tasks t JOIN room r ON t.line = r.key WHERE t.state = 1)
		UPDATE braid_tasks SET state = 0 WHERE state = 1 AND id IN (SELECT id FROM ranked WHERE rank <= room)
		RETURNING id, attempt, priority`, lines)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (job, error) {
		var j job
		return j, r.Scan(&j.id, &j.attempt, &j.priority)
	})
	if err != nil {
		return nil, err
	}
	return jobs, br.Close()
}

// pumpClaim lets the line's first Blocked tasks run while the line has
// room: they become Waiting, and the caller gives each a River job in the
// same transaction. For a non-empty replica, the first task let in is
// claimed for that replica instead: it is Running, and has no job. The
// line's row is its lock; the room is counted from the tasks themselves,
// so no counter can drift.
//
// The lock and the release are sent together, but run one after the
// other: the release's snapshot is taken once the line is locked, so it
// counts the room right. A Blocked task that someone else has locked is
// being skipped by its group's decision: FOR UPDATE waits for it and
// leaves it out, and the decider pumps the line itself once this
// transaction is over, so no room stays unused.
func pumpClaim(ctx context.Context, tx pgx.Tx, line, replica string) ([]job, *claimed, error) {
	b := &pgx.Batch{}
	queuePump(b, line, replica)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	jobs, next, err := readPump(br, line)
	if err != nil {
		return nil, nil, err
	}
	return jobs, next, br.Close()
}

// queuePump queues the two statements of a pump of line.
func queuePump(b *pgx.Batch, line, replica string) {
	b.Queue(`SELECT lim FROM braid_lines WHERE key = $1 FOR UPDATE`, line)
	b.Queue(`WITH next AS (
			SELECT id FROM braid_tasks WHERE line = $1 AND state = 1 ORDER BY id
			LIMIT greatest(0, (SELECT lim FROM braid_lines WHERE key = $1)
				- (SELECT count(*) FROM braid_tasks WHERE line = $1 AND state IN (0, 2)))
			FOR UPDATE),
		first AS (SELECT min(id) AS id FROM next WHERE $2 <> '')
		UPDATE braid_tasks t SET state = CASE WHEN t.id = first.id THEN 2 ELSE 0 END,
			replica = CASE WHEN t.id = first.id THEN $2 END,
			started_at = CASE WHEN t.id = first.id THEN clock_timestamp() END
		FROM first WHERE t.id IN (SELECT id FROM next)
		RETURNING t.id, t.attempt, t.priority, t.state, coalesce(t.group_id, ''), t.key, t.kind, t.args, t.line,
			(SELECT deadline FROM braid_groups g WHERE g.id = t.group_id)`, line, replica)
}

// readPump reads the results of queuePump: the tasks let in, and the one
// claimed, if any.
func readPump(br pgx.BatchResults, line string) ([]job, *claimed, error) {
	var lim int
	if err := br.QueryRow().Scan(&lim); err != nil {
		return nil, nil, fmt.Errorf("line %q: %w", line, err)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var jobs []job
	var next *claimed
	for rows.Next() {
		var c claimed
		var st int16
		if err := rows.Scan(&c.id, &c.attempt, &c.priority, &st, &c.group, &c.key, &c.kind, &c.args, &c.line, &c.deadline); err != nil {
			return nil, nil, err
		}
		if st == stRunning {
			next = &c
		} else {
			jobs = append(jobs, job{id: c.id, attempt: c.attempt, priority: c.priority})
		}
	}
	return jobs, next, rows.Err()
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
	_, err := n.river.InsertManyTx(ctx, tx, ps)
	return err
}
