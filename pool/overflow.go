package pool

import "errors"

// Overflow says what happens to a task that arrives while its name is busy:
// every holder the name admits is taken, or other tasks already wait for it.
// Set it per name with [NameOverflow].
type Overflow int

const (
	// Enqueue makes the arriving task wait in line behind the name, FIFO.
	// It is the default. [NameQueueSize] bounds the line.
	Enqueue Overflow = iota
	// DropNewest ends the arriving task at once, Skipped with [ErrDropped]:
	// a run that finds one of its kind in progress is not needed.
	DropNewest
	// CancelRunning cancels the context of the task holding the name (cause
	// [ErrSuperseded]) and makes the arriving task wait in line: the newest
	// run supersedes the one in progress.
	CancelRunning
	// KeepLatest keeps at most one task waiting for the name: the arriving
	// task takes the place of the one waiting, which ends Skipped with
	// [ErrReplaced]. The one in progress runs on.
	KeepLatest
	overflowEnd
)

var overflowNames = [...]string{"Enqueue", "DropNewest", "CancelRunning", "KeepLatest"}

func (o Overflow) String() string {
	if o >= 0 && o < overflowEnd {
		return overflowNames[o]
	}
	return "Overflow(invalid)"
}

// Errors that overflow policies end tasks with. A task ended by its name's
// policy is Skipped (it never ran) or Canceled (it was running), with one
// of these as its error; nothing disappears.
var (
	// ErrDropped ends a task that arrived while its DropNewest name was busy.
	ErrDropped = errors.New("pool: dropped: the name was busy")
	// ErrReplaced ends a task that waited for its KeepLatest name until a
	// newer task took its place.
	ErrReplaced = errors.New("pool: replaced by a newer task of the same name")
	// ErrSuperseded is the cancellation cause of a task holding a
	// CancelRunning name when a newer task of the name arrives.
	ErrSuperseded = errors.New("pool: superseded by a newer task of the same name")
	// ErrNameQueueFull is returned by a submit when the line of a name with
	// a bound (see [NameQueueSize]) is full. Nothing was submitted.
	ErrNameQueueFull = errors.New("pool: name queue full")
)

// NameOverflow sets the overflow policy of the name key. Like [NameLimit]
// it applies to a whole tree of pools, so it is for [New] only. An unknown
// policy is an [ErrInvalid] error.
func NameOverflow(key string, o Overflow) Option {
	return func(c *config) {
		if o < 0 || o >= overflowEnd {
			c.fail(invalid("NameOverflow(%q, %d): unknown policy", key, int(o)))
		}
		c.laneConfig(key, "NameOverflow").policy = o
	}
}

// NameQueueSize bounds how many tasks may wait for the name key at once
// (under the Enqueue policy). A submit that would exceed it returns
// [ErrNameQueueFull] and submits nothing; it never blocks. n < 1 is an
// [ErrInvalid] error. For [New] only.
func NameQueueSize(key string, n int) Option {
	return func(c *config) {
		if n < 1 {
			c.fail(invalid("NameQueueSize(%q, %d): the bound must be >= 1", key, n))
		}
		c.laneConfig(key, "NameQueueSize").bound = n
	}
}

// overflow applies the lane's policy to e, whose name is busy, and reports
// whether e should wait in the line. Called with tr.mu held.
func (p *Pool) overflow(e *entry, l *lane) bool {
	switch l.policy {
	case DropNewest:
		p.drop(*e, ErrDropped)
		return false
	case CancelRunning:
		for _, h := range l.holders {
			h.supersede()
		}
	case KeepLatest:
		l.endWaiters(func(waiter) bool { return true }, ErrReplaced)
	}
	return true
}

// supersede cancels a holder of a CancelRunning name: its context if it
// runs, or its start if it is still queued. Called with tr.mu held.
func (n *named) supersede() {
	n.superseded = true
	switch {
	case n.task != nil:
		n.task.cancel(ErrSuperseded)
		n.task.dropQueued(ErrSuperseded) // if it has not started yet: dropped, as drop counts
	case n.cancel != nil:
		n.cancel(ErrSuperseded)
	}
	// A queued Go task is dropped when it reaches the front (see next).
}

// drop ends a task that never ran because of its name's policy. Called
// with tr.mu held. Unlike skip, it says nothing about the pool: a Go task
// dropped by policy is counted in Stats, not returned by Wait.
func (p *Pool) drop(e entry, cause error) {
	p.emit(&e, Skipped, cause)
	p.releaseHold(&e, false)
	p.stats.Skipped++
	p.stats.Dropped++
	if e.t != nil {
		e.t.end(Skipped, cause)
	}
	p.ended(e.seq)
}
