package cluster

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// schema is braid's own tables, beside River's. Task states are the
// numbers of pool.State (0 Waiting ... 7 TimedOut).
//
//   - braid_groups: one row per group: its strategy, size, deadline and
//     counters, and the decision (decided_by, decided_at) written in the
//     same transaction as the result that made it.
//   - braid_tasks: one row per task, the single source of truth for its
//     state; River's job only carries the task's ID and attempt.
//   - braid_lines: one row per name (or group or kind limit, or unit of a
//     plan) that tasks queue on, with its limit (its lock is an advisory
//     lock on the key's hash, see line.go). A plan's later units have lines of limit 0, which open (to
//     open_lim) when the unit before them has ended.
//   - groups and tasks of plans carry a unit: the block or lone step of
//     the plan, in order; braid_groups.unit is the open one. A plan's
//     task with a name waits in its unit's line (then_line is its
//     name's) until the unit opens, then in its name's.
//   - braid_replicas: the live replicas, with the key of the session
//     advisory lock that proves each one alive.
const schema = `
CREATE TABLE IF NOT EXISTS braid_groups (
	id          text PRIMARY KEY,
	strategy    smallint NOT NULL,
	tolerate    int NOT NULL DEFAULT -1,
	size        int NOT NULL,
	deadline    timestamptz,
	ended       int NOT NULL DEFAULT 0,
	succeeded   int NOT NULL DEFAULT 0,
	failed      int NOT NULL DEFAULT 0,
	unit        int NOT NULL DEFAULT -1,
	units       int NOT NULL DEFAULT 0,
	decided_by  bigint,
	decided_at  timestamptz,
	done_at     timestamptz,
	created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS braid_groups_deadline ON braid_groups (deadline) WHERE done_at IS NULL AND deadline IS NOT NULL;
CREATE TABLE IF NOT EXISTS braid_tasks (
	id           bigserial PRIMARY KEY,
	group_id     text REFERENCES braid_groups (id) ON DELETE CASCADE,
	idx          int NOT NULL DEFAULT 0,
	unit         int NOT NULL DEFAULT 0,
	key          text NOT NULL DEFAULT '',
	kind         text NOT NULL,
	args         jsonb NOT NULL,
	line         text,
	then_line    text,
	priority     boolean NOT NULL DEFAULT false,
	state        smallint NOT NULL,
	attempt      int NOT NULL DEFAULT 1,
	replica      text,
	output       jsonb,
	error        text,
	cause        text,
	submitted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	started_at   timestamptz,
	ended_at     timestamptz,
	waited_ns    bigint NOT NULL DEFAULT 0,
	ran_ns       bigint NOT NULL DEFAULT 0
);
ALTER TABLE braid_tasks ADD COLUMN IF NOT EXISTS then_line text;
ALTER TABLE braid_tasks ADD COLUMN IF NOT EXISTS panic jsonb;
CREATE INDEX IF NOT EXISTS braid_tasks_group ON braid_tasks (group_id, idx);
CREATE INDEX IF NOT EXISTS braid_tasks_blocked ON braid_tasks (line, id) WHERE state = 1;
CREATE INDEX IF NOT EXISTS braid_tasks_holding ON braid_tasks (line) WHERE state IN (0, 2);
CREATE INDEX IF NOT EXISTS braid_tasks_running ON braid_tasks (replica) WHERE state = 2;
CREATE TABLE IF NOT EXISTS braid_lines (
	key      text PRIMARY KEY,
	lim      int NOT NULL,
	plan     text,
	unit     int,
	open_lim int
);
CREATE INDEX IF NOT EXISTS braid_lines_plan ON braid_lines (plan, unit) WHERE plan IS NOT NULL;
CREATE SEQUENCE IF NOT EXISTS braid_replica_key;
CREATE TABLE IF NOT EXISTS braid_replicas (
	id       text PRIMARY KEY,
	lock_key int NOT NULL,
	beat     timestamptz NOT NULL DEFAULT clock_timestamp(),
	started  timestamptz NOT NULL DEFAULT clock_timestamp()
);
`

// lockClass is the first key of the advisory locks braid takes ("brd"):
// the replicas' liveness locks and the lock that serialises Migrate;
// lockClass+1 serialises the reaper, lockClass+2 the lines.
const lockClass = 0x627264

// Migrate brings the database up to date for this package: River's own
// migrations, then braid's tables (braid_groups, braid_tasks,
// braid_lines, braid_replicas). It is safe to call from every replica at
// start-up: an advisory lock serialises concurrent calls, and each step
// is idempotent.
func Migrate(ctx context.Context, db *pgxpool.Pool) error {
	conn, err := db.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("cluster: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, 0)`, lockClass); err != nil {
		return fmt.Errorf("cluster: migrate: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, 0)`, lockClass) //nolint:errcheck // the session ends with the connection anyway
	m, err := rivermigrate.New(riverpgxv5.New(db), nil)
	if err != nil {
		return fmt.Errorf("cluster: migrate river: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("cluster: migrate river: %w", err)
	}
	if _, err := conn.Exec(ctx, schema); err != nil {
		return fmt.Errorf("cluster: migrate: %w", err)
	}
	return nil
}
