package cluster

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// A line is what tasks queue on for a name, a kind's or a group's limit,
// or a plan's unit: a row of braid_lines that holds its limit, and a
// transaction-level advisory lock (lockLines) that whoever changes the
// line holds, in key order when it takes several. An advisory lock
// writes nothing, where a row lock would write the row on every task's
// end. Its tasks wait Blocked, with no River job, and enter in
// the order of their IDs while the line has room: a line never holds a
// worker for a task that may not run yet.

// The line locks: advisory locks of class lockClass+2 on the hash of the
// line's key. Two keys may share a hash; then their lines wait for each
// other, which costs time, not correctness. lockLines takes the locks of
// a sorted list in its order; a task's end takes its line's in the
// statement that records it (queueEnd).
const lockLines = `SELECT pg_advisory_xact_lock(` + lineLockClass + `, hashtext(k)) FROM unnest($1::text[]) AS k`

const lineLockClass = "6451814" // lockClass + 2

// lineSpec is what the tasks of one insert ask of a line: the limit of
// the first that names it, or of the last that sets it, and its plan.
type lineSpec struct {
	lim  int
	set  bool
	gate *gate
}

// lineSpecs lists the lines the tasks name, in their order, with what
// they ask of each.
func lineSpecs(ts []task) ([]string, map[string]*lineSpec) {
	specs := map[string]*lineSpec{}
	var lines []string
	add := func(r lineRef, g *gate) {
		s, ok := specs[r.key]
		if !ok {
			s = &lineSpec{lim: r.lim, gate: g}
			specs[r.key] = s
			lines = append(lines, r.key)
		}
		if r.set {
			s.lim, s.set = r.lim, true
		}
	}
	for _, t := range ts {
		if t.line != "" {
			add(lineRef{key: t.line, lim: t.lim, set: t.set}, t.gate)
		}
		if t.then != nil {
			add(*t.then, nil)
		}
	}
	return lines, specs
}

// upsertLines locks the tasks' lines, in one order (sorted), so that two
// submitters never wait for each other's, creates those that do not
// exist yet, and sets the limits the tasks ask for. It returns the lines
// it created, with their limits: they hold no task but these, as no
// other transaction sees them before this one commits.
func upsertLines(ctx context.Context, tx pgx.Tx, lines []string, specs map[string]*lineSpec) (map[string]int, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	slices.Sort(lines)
	lims, sets := make([]int32, len(lines)), make([]bool, len(lines))
	plans, units, opens := make([]*string, len(lines)), make([]*int32, len(lines)), make([]*int32, len(lines))
	for i, l := range lines {
		s := specs[l]
		lims[i], sets[i] = int32(s.lim), s.set
		if g := s.gate; g != nil {
			u, o := int32(g.unit), int32(g.openLim)
			plans[i], units[i], opens[i] = &g.plan, &u, &o
		}
	}
	// The locks first: a line that Prune deleted after this transaction
	// saw it is created again here.
	b := &pgx.Batch{}
	b.Queue(lockLines, lines)
	b.Queue(`INSERT INTO braid_lines (key, lim, plan, unit, open_lim)
		SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::int[]) ORDER BY 1
		ON CONFLICT (key) DO NOTHING RETURNING key, lim`, lines, lims, plans, units, opens)
	if slices.Contains(sets, true) {
		b.Queue(`UPDATE braid_lines l SET lim = u.lim FROM unnest($1::text[], $2::int[], $3::bool[]) AS u (key, lim, set)
			WHERE l.key = u.key AND u.set AND l.lim <> u.lim`, lines, lims, sets)
	}
	br := tx.SendBatch(ctx, b)
	defer func() { _ = br.Close() }() // the error that matters is the one returned
	fresh := map[string]int{}
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	var key string
	var lim int
	if _, err := pgx.ForEachRow(rows, []any{&key, &lim}, func() error { fresh[key] = lim; return nil }); err != nil {
		return nil, err
	}
	return fresh, br.Close()
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
	b.Queue(lockLines, lines)
	return pumpLocked(ctx, tx, b, lines)
}

// pumpLocked is pumpLines of lines whose locks tx holds, or that b takes.
func pumpLocked(ctx context.Context, tx pgx.Tx, b *pgx.Batch, lines []string) ([]job, error) {
	if len(lines) == 0 {
		return nil, nil
	}
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
	defer func() { _ = br.Close() }() // a second Close after the one below is a no-op; on an early return it frees the connection
	for range b.Len() - 1 {
		if _, err := br.Exec(); err != nil {
			return nil, err
		}
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

// queuePump queues a pump of line, whose lock the transaction holds,
// that lets in at most most tasks; with replica set, the first of them
// is claimed for it, Running, to be run by the worker whose task just
// left the line.
func queuePump(b *pgx.Batch, line, replica string, most int) {
	b.Queue(`WITH next AS (
			SELECT id FROM braid_tasks WHERE line = $1 AND state = 1 ORDER BY id
			LIMIT least($3, greatest(0, (SELECT lim FROM braid_lines WHERE key = $1)
				- (SELECT count(*) FROM braid_tasks WHERE line = $1 AND state IN (0, 2))))
			FOR UPDATE),
		first AS (SELECT min(id) AS id FROM next WHERE $2 <> ''),
		claimed AS (
			UPDATE braid_tasks t SET state = CASE WHEN t.id = first.id THEN 2 ELSE 0 END,
				replica = CASE WHEN t.id = first.id THEN $2 END,
				started_at = CASE WHEN t.id = first.id THEN clock_timestamp() END
			FROM first WHERE t.id IN (SELECT id FROM next)
			RETURNING t.*)
		SELECT `+claimedColumns, line, replica, most)
}

// stuckLine is true when the line $1 has tasks waiting and room for one
// of them: only a pump lets them in.
const stuckLine = `SELECT EXISTS (SELECT 1 FROM braid_tasks WHERE line = $1 AND state = 1)
	AND (SELECT count(*) FROM braid_tasks WHERE line = $1 AND state IN (0, 2)) < (SELECT lim FROM braid_lines WHERE key = $1)`

// readPump reads the results of queuePump: the tasks let in, and the one
// claimed, if any.
func readPump(br pgx.BatchResults, line string) ([]job, *claimed, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("line %q: %w", line, err)
	}
	defer rows.Close()
	var jobs []job
	var next *claimed
	for rows.Next() {
		var c claimed
		var st int16
		if err := scanClaimed(rows, &c, &st); err != nil {
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
