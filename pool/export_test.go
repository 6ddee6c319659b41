package pool

import "fmt"

// TableSizes reports the entries in p's tree's name lanes (idle ones
// included, until swept) and in its resource lock table, for tests that
// check idle names leave nothing behind.
func TableSizes(p *Pool) (lanes, resources int) {
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	return len(p.tr.lanes), p.tr.names.Len()
}

// LaneDump describes the lanes of p's tree, for failing tests to print.
func LaneDump(p *Pool) string {
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	s := ""
	for k, l := range p.tr.lanes {
		s += fmt.Sprintf("%q policy=%v held=%d waiting=%d line=%d holders=%d idle=%v; ", k, l.policy, l.held, l.waiting, l.line.Len(), len(l.holders), l.idle)
	}
	return s
}
