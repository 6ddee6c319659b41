package pool

// TableSizes reports the entries in p's tree's name lanes (idle ones
// included, until swept) and in its resource lock table, for tests that
// check idle names leave nothing behind.
func TableSizes(p *Pool) (lanes, resources int) {
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	return len(p.tr.lanes), p.tr.names.Len()
}
