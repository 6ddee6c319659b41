package pool

import "slices"

// A lane is a name in use: how many tasks hold it, and the line of tasks
// waiting for it. Lanes live in the tree, under tr.mu, so that taking and
// giving back a name costs no lock of its own, no allocation on the common
// path and no callback: a worker that finishes a task of a name hands the
// name to the next in line in the same critical section in which it
// accounts for the task. A lane exists only while its name is held or
// waited for; an idle name costs nothing.
//
// A lane's line holds tasks that are Blocked: they hold no worker slot,
// and a task of another name is never behind them (no head-of-line
// blocking), because only tasks that hold their name enter the queue.
type lane struct {
	key     string
	limit   int
	policy  Overflow
	bound   int
	held    int
	waiting []*named // FIFO
	holders []*named // kept for CancelRunning only
	idle    bool     // nobody holds or waits for it: swept later (see forgetLane)
}

// laneSettings are a name's settings from NameLimit, NameOverflow and
// NameQueueSize.
type laneSettings struct {
	limit  int
	policy Overflow
	bound  int
}

// laneConfig returns the settings of key being configured, made on first
// use.
func (c *config) laneConfig(key, option string) *laneSettings {
	if key == "" {
		c.fail(invalid("%s: empty name", option))
	}
	if c.lanes == nil {
		c.lanes = make(map[string]*laneSettings)
	}
	k := namePrefix + key
	s := c.lanes[k]
	if s == nil {
		s = &laneSettings{limit: 1}
		c.lanes[k] = s
	}
	return s
}

// maxFreeLanes bounds the idle lane structs kept for reuse.
const maxFreeLanes = 64

// lane returns the lane of key, making it if the name is not in use.
func (tr *tree) lane(key string) *lane {
	if l := tr.lanes[key]; l != nil {
		tr.revive(l)
		return l
	}
	var l *lane
	if n := len(tr.freeLanes); n > 0 {
		l = tr.freeLanes[n-1]
		tr.freeLanes = tr.freeLanes[:n-1]
	} else {
		l = &lane{}
	}
	l.key, l.limit, l.policy, l.bound = key, 1, Enqueue, 0
	if s := tr.settings[key]; s != nil {
		l.limit, l.policy, l.bound = s.limit, s.policy, s.bound
	}
	if tr.lanes == nil {
		tr.lanes = make(map[string]*lane)
	}
	tr.lanes[key] = l
	return l
}

// revive puts an idle lane back in use.
func (tr *tree) revive(l *lane) {
	if l.idle {
		l.idle = false
		tr.idleLanes--
	}
}

// full reports whether a newcomer would wait in a line at its bound. Any
// waiter means a newcomer waits too (the line is FIFO), so a full line is
// an exact answer. l may be nil: a name not in use.
func (l *lane) full() bool { return l != nil && l.bound > 0 && len(l.waiting) >= l.bound }

// free reports whether a newcomer may take the name now: it has room and
// nobody waits (the line is FIFO).
func (l *lane) free() bool { return l.held < l.limit && len(l.waiting) == 0 }

func (l *lane) take(n *named) {
	l.held++
	n.hasName = true
	if l.policy == CancelRunning {
		l.holders = append(l.holders, n)
	}
}

func (l *lane) unwait(n *named) {
	if i := slices.Index(l.waiting, n); i >= 0 {
		l.waiting = slices.Delete(l.waiting, i, i+1)
	}
}

// releaseName gives back n's name and hands it to the tasks first in line,
// as many as it has room for. A task handed its name goes on to its
// resources and the queue, or ends Skipped if its context ended while it
// waited. Called with tr.mu held.
func (tr *tree) releaseName(n *named) {
	l := n.lane
	n.hasName = false
	l.held--
	if l.policy == CancelRunning {
		l.holders = slices.DeleteFunc(l.holders, func(h *named) bool { return h == n })
	}
	for l.held < l.limit && len(l.waiting) > 0 {
		next := l.waiting[0]
		l.waiting[0] = nil
		l.waiting = l.waiting[1:]
		p := next.pool
		e := next.leaveLane()
		if cause := p.startCause(e); cause != nil {
			p.skip(e, cause) // it holds nothing yet
			continue
		}
		l.take(next)
		p.admitResources(e)
	}
	if l.held == 0 && len(l.waiting) == 0 {
		tr.forgetLane(l)
	}
}

// forgetLane marks an idle lane. Idle lanes stay in the table until there
// are many of them (more than maxIdleLanes, and more than the lanes in use)
// or Wait or Close sweeps them: a name used over and over, going idle
// between uses, then costs no map insertion and deletion each time, and
// idle names still cost at most as much as the names in use.
func (tr *tree) forgetLane(l *lane) {
	l.idle = true
	tr.idleLanes++
	if tr.idleLanes > maxIdleLanes && tr.idleLanes > len(tr.lanes)/2 {
		tr.sweepLanes()
	}
}

// maxIdleLanes is how many idle lanes may wait for a sweep.
const maxIdleLanes = 1024

// sweepLanes drops the idle lanes, keeping some of their structs for reuse.
func (tr *tree) sweepLanes() {
	if tr.idleLanes == 0 {
		return
	}
	for key, l := range tr.lanes {
		if !l.idle {
			continue
		}
		delete(tr.lanes, key)
		if len(tr.freeLanes) < maxFreeLanes {
			l.waiting, l.holders, l.idle = l.waiting[:0], l.holders[:0], false
			tr.freeLanes = append(tr.freeLanes, l)
		}
	}
	tr.idleLanes = 0
}

// endLaneWaiters ends p's tasks waiting in name lines, for an abort, and
// reports how many there were. The lanes stay: whoever holds them does.
// Called with tr.mu held.
func (tr *tree) endLaneWaiters(p *Pool, cause error) int {
	var ended []*named
	for _, l := range tr.lanes {
		l.waiting = slices.DeleteFunc(l.waiting, func(w *named) bool {
			if w.pool == p {
				ended = append(ended, w)
				return true
			}
			return false
		})
	}
	for _, w := range ended {
		p.endWaiting(w, cause)
	}
	return len(ended)
}
