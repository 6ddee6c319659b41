package pool

import "fmt"

// MaxIdleLanes is how many idle lanes a Wait may leave for the next batch.
const MaxIdleLanes = maxIdleLanes

// TableSizes reports the entries in p's tree's name lanes (idle ones
// included, until swept) and in its resource lock table, for tests that
// check idle names leave nothing behind.
func TableSizes(p *Pool) (lanes, resources int) {
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	return p.tr.lanes.len(), p.tr.names.Len()
}

// LaneDump describes the lanes of p's tree, for failing tests to print.
func LaneDump(p *Pool) string {
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	s := ""
	for l := range p.tr.lanes.all() {
		s += fmt.Sprintf("%q policy=%v held=%d waiting=%d line=%d holders=%d idle=%v; ", l.key, l.policy, l.held, l.waiting, l.line.Len(), len(l.holders), l.idle)
	}
	return s
}

// Footprint reports what p's tree holds in memory for tasks: the entries
// in every pool's queues (cancelled ones included, until they are
// discarded), the entries in every name's line (withdrawn ones included),
// the watched submit contexts and the running Submit tasks tracked for a
// forced shutdown. Tests bound it: cancelled work must not pile up.
func Footprint(p *Pool) (queued, lines, watches, live int) {
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	var walk func(q *Pool)
	walk = func(q *Pool) {
		queued += q.urgent.Len() + q.normal.Len()
		watches += len(q.watches)
		live += len(q.live)
		for _, c := range q.children {
			walk(c)
		}
	}
	walk(p.tr.root)
	for l := range p.tr.lanes.all() {
		lines += l.line.Len()
	}
	return queued, lines, watches, live
}

// HoldLock takes p's tree's lock and returns the function that gives it
// back, for tests that line workers up behind it.
func HoldLock(p *Pool) (release func()) {
	p.tr.mu.Lock()
	return p.tr.mu.Unlock
}

// Returning reports the workers of p's tree that finished a task and wait
// for its lock to take the next one.
func Returning(p *Pool) int { return int(p.tr.returning.Load()) }

// SteppedAside reports how many times a worker of p's tree stepped aside
// for another that was coming back for work.
func SteppedAside(p *Pool) int {
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	return p.tr.stepped
}
