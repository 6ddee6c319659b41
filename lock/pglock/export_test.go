package pglock

// NameKey and SemGroup expose the advisory lock keys, so that tests can
// find a lock, its holder and its waiters in pg_locks.
var (
	NameKey  = nameKey
	SemGroup = semGroup
)
