package pool

// Stats is a snapshot of a pool, taken without stopping it.
//
// Its gauges, Running, Waiting and Blocked, count the tasks of the pool
// and of every sub-pool below it, as the pool's limit does: a root pool's
// snapshot covers its whole tree, and a task counts in its own pool and in
// every ancestor. Its cumulative counts are of the pool's own tasks.
type Stats struct {
	Limit   int // the pool's own limit; 0 means none
	Running int // tasks of the pool and its sub-pools running now: the slots in use
	Waiting int // tasks of the pool and its sub-pools queued for a slot
	Blocked int // tasks of the pool and its sub-pools waiting with no slot: for a name, resources or a backend lease, or suspended (see Suspend)
	Workers int // worker goroutines alive, shared by the whole tree of pools
	Names   int // names and resources held or waited for, in the whole tree; idle ones cost nothing

	// Cumulative counts of this pool's own tasks. Every submitted task ends
	// in exactly one final state, so once the pool is idle
	// Submitted == Succeeded + Failed + Canceled + Skipped + TimedOut.
	Submitted, Succeeded, Failed, Canceled, Skipped, TimedOut uint64

	// Dropped counts the Skipped tasks that their name's overflow policy
	// ended (see [Overflow]): dropped, replaced, or superseded before they
	// started.
	Dropped uint64

	// Events of the whole tree (see OnEvent): dropped because the hook fell
	// behind by more than the buffer, and hook panics.
	EventsDropped, HookPanics uint64
}

// Stats returns a snapshot of p.
func (p *Pool) Stats() Stats {
	p.check()
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	s := p.stats
	s.Limit, s.Running, s.Workers = p.limit, p.running, p.tr.workers
	s.Waiting, s.Blocked = p.waitingBlocked()
	s.Names = p.tr.lanes.len() - p.tr.idleLanes + p.tr.names.Len()
	if ev := p.tr.ev; ev != nil {
		s.EventsDropped, s.HookPanics = ev.dropped, ev.npanics
	}
	return s
}

func (s *Stats) count(st State) {
	switch st {
	case Succeeded:
		s.Succeeded++
	case Failed:
		s.Failed++
	case Canceled:
		s.Canceled++
	case TimedOut:
		s.TimedOut++
	}
}

// waitingBlocked counts the queued and the blocked tasks of p and its
// sub-pools. Called with tr.mu held.
func (p *Pool) waitingBlocked() (waiting, blocked int) {
	waiting, blocked = p.queued, p.blocked
	for _, c := range p.children {
		w, b := c.waitingBlocked()
		waiting += w
		blocked += b
	}
	return waiting, blocked
}
