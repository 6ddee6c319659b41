package pglock

// NameKey, SlotKeys and Channel expose the advisory lock keys and the
// channel of a Locker with the given options, so that tests can find a
// lock, its holder and its waiters in pg_locks and pg_stat_activity.
func NameKey(namespace, name string, opts ...Option) int64 {
	cfg, _ := configure(append(opts, Namespace(namespace)))
	return cfg.nameKey(name)
}

func SlotKeys(namespace, name string, size int) []int64 {
	cfg, _ := configure([]Option{Namespace(namespace)})
	return cfg.slotKeys(name, size)
}

// KeyFunc replaces the hash of names by f, so that a test can make two
// names collide.
func KeyFunc(f func(namespace, name string) int64) Option {
	return func(c *config) { c.keyFunc = f }
}
