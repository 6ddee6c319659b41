package cluster

import (
	"context"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/braid-go/braid/pool"
)

// overflow applies the overflow policies of tasks just inserted (with
// IDs ids) in submission order, once they have entered their lines and
// the lines were pumped: a task still Blocked then is one whose name was
// busy when it arrived, as the pool decides it. Each policy acts only on
// tasks of the line older than its own. tx holds the lines' locks. jobs
// are the tasks let in so far; overflow returns them without the tasks
// it ended, with those it let in.
func (n *Node) overflow(ctx context.Context, tx pgx.Tx, ts []task, ids []int64, jobs []job) ([]job, error) {
	in := make(map[int64]bool, len(jobs))
	for _, j := range jobs {
		in[j.id] = true
	}
	ended := map[int64]string{} // task -> group, "" for a lone task
	for i, t := range ts {
		busy := !in[ids[i]]
		var where, cause string
		var why error
		switch t.opts.overflow {
		case pool.DropNewest:
			where, cause, why = `id = $2 AND state = 1`, causeDropped, ErrDropped
		case pool.KeepLatest:
			where, cause, why = `state = 1 AND id < $2`, causeReplaced, ErrReplaced
		case pool.CancelRunning:
			where, cause, why = `state = 0 AND id < $2`, causeSuperseded, ErrSuperseded
		default:
			continue
		}
		if !busy {
			continue // nothing waits, and there was room: it runs
		}
		rows, err := tx.Query(ctx, `UPDATE braid_tasks SET state = 6, cause = $3, error = $4, ended_at = clock_timestamp()
			WHERE line = $1 AND `+where+` RETURNING id, coalesce(group_id, '')`, t.line, ids[i], cause, why.Error())
		if err != nil {
			return nil, err
		}
		var id int64
		var group string
		skipped := 0
		if _, err := pgx.ForEachRow(rows, []any{&id, &group}, func() error { ended[id] = group; skipped++; return nil }); err != nil {
			return nil, err
		}
		if t.opts.overflow != pool.CancelRunning {
			continue
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify('braid', 's:' || id) FROM braid_tasks WHERE line = $1 AND state = 2`, t.line); err != nil {
			return nil, err
		}
		if skipped > 0 { // they held room in the line
			js, err := pumpLocked(ctx, tx, &pgx.Batch{}, []string{t.line})
			if err != nil {
				return nil, err
			}
			for _, j := range js {
				in[j.id] = true
			}
			jobs = append(jobs, js...)
		}
	}
	jobs = slices.DeleteFunc(jobs, func(j job) bool { _, gone := ended[j.id]; return gone })
	js, err := n.settle(ctx, tx, ended)
	return append(jobs, js...), err
}

// settle counts tasks that overflow ended in their groups, which may end
// the groups or open a plan's next unit, and tells Wait of lone ones.
func (n *Node) settle(ctx context.Context, tx pgx.Tx, ended map[int64]string) ([]job, error) {
	counts := map[string]int{}
	var lone []string
	for id, g := range ended {
		if g == "" {
			lone = append(lone, "t:"+strconv.FormatInt(id, 10))
		} else {
			counts[g]++
		}
	}
	if len(lone) > 0 {
		if _, err := tx.Exec(ctx, `SELECT pg_notify('braid', p) FROM unnest($1::text[]) p`, lone); err != nil {
			return nil, err
		}
	}
	groups := make([]string, 0, len(counts))
	for g := range counts {
		groups = append(groups, g)
	}
	slices.Sort(groups) // one order of group locks
	var jobs []job
	for _, id := range groups {
		g, err := countSkipped(ctx, tx, id, counts[id])
		if err != nil {
			return nil, err
		}
		js, _, err := n.observe(ctx, tx, g, 0, stateSkipped, nil)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, js...)
	}
	return jobs, nil
}
