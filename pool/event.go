package pool

import (
	"time"

	"github.com/braid-go/braid/internal/deque"
)

// Event is one state change of one task: it was queued (Waiting), it
// waits for a name, a lock or its own subtasks (Blocked), it runs
// (Running), or it ended (one of the final states). A tree of pools with a
// hook (see [OnEvent]) reports every state change of every task, in the
// order the changes happened.
type Event struct {
	Task  uint64 // the task's number: unique in its tree of pools, in submission order
	ID    string // the ID its submitter gave it (see [Label]): a group's task ID, a plan step's path
	Group string // the group or plan it belongs to (see [Label])
	Name  string // its name (see [Name]); "" when it has none
	// Resources are those it declared (see [Resources]), shared by all its
	// events: read them, do not change them.
	Resources []string
	Pool      string    // its pool's label (see [PoolLabel])
	State     State     // the state it entered
	Time      time.Time // when
	Holder    uint64    // Blocked on its name: the number of a task holding the name; 0 otherwise
	Err       error     // a final state's error: the task's own, or why it was skipped; for a Blocked event of a retry's backoff, the failed attempt's (see [Retry])

	// Attempt is, on the Running event that starts a retry (see [Retry]),
	// the number of the attempt it starts: 2 for the first retry. It is 0
	// on every other event.
	Attempt int
}

// Final reports whether the event is the task's last.
func (e Event) Final() bool { return e.State.Final() }

// DefaultEventBuffer is how many events may wait for a slow hook before
// new ones are dropped (see [OnEvent]).
const DefaultEventBuffer = 1 << 16

// OnEvent sets a hook that receives every [Event] of every task of the
// tree of pools, for [New] only.
//
// Delivery is buffered: events are recorded under the pool's lock, in the
// order the changes happen, and handed to hook one at a time, in that
// order, by a goroutine of the pool's that runs only while events are
// waiting. A slow hook therefore never stalls a worker and never sees a
// task's events out of order. If more events wait than the buffer holds
// (see [EventBuffer]), new events are dropped and counted in
// [Stats].EventsDropped; nothing else is lost. A hook that panics does not
// stop the pool or the delivery of later events: its panics are counted in
// Stats.HookPanics and the first is returned, as a [*HookError], by the next
// Wait or Close. Wait and Close return only once every event of the tasks
// they waited for has been delivered. The hook must not call Wait or Close.
func OnEvent(hook func(Event)) Option {
	return func(c *config) {
		if hook == nil {
			c.fail(invalid("OnEvent(nil)"))
		}
		c.hook = hook
	}
}

// EventBuffer sets how many events may wait for a slow hook (see
// [OnEvent]) before new ones are dropped; the default is
// [DefaultEventBuffer]. n must be positive. Like OnEvent it applies to a
// whole tree of pools, so it is for [New] only; Sub fails with
// [ErrInvalid] when given it.
func EventBuffer(n int) Option {
	return func(c *config) {
		if n <= 0 {
			c.fail(invalid("EventBuffer(%d): must be > 0", n))
		}
		c.eventBuffer, c.eventBufferSet = n, true
	}
}

// PoolLabel names the pool in its events (see [Event]).
func PoolLabel(label string) Option {
	return func(c *config) { c.label = label }
}

// Label gives a task the ID and group that its events carry: package
// parallel labels each task with its group or plan and its ID there. It
// changes nothing else.
func Label(group, id string) TaskOption { return TaskOption{group: group, id: id} }

// HookError reports a panic of an event hook: the pool went on, and so did
// the delivery of later events.
type HookError struct {
	Panic *PanicError // the first panic
	Count int         // how many panics since the previous report
}

func (e *HookError) Error() string {
	if e.Panic == nil {
		return "pool: event hook panicked"
	}
	return "pool: event hook panicked: " + e.Panic.Error()
}

// Unwrap returns the panic, for errors.As.
func (e *HookError) Unwrap() error { return e.Panic }

// events is a tree's event delivery: a FIFO under tr.mu and a goroutine
// that empties it while it is non-empty.
type events struct {
	hook    func(Event)
	limit   int
	queue   deque.Deque[Event]
	running bool // a delivery goroutine is on its way
	// Events are numbered as they are recorded; sent counts those handed
	// to the hook (or dropped). A Wait waits for the events recorded before
	// it (upTo), not for an empty queue, which steady load may never leave.
	recorded, sent uint64
	upTo           uint64
	reached        chan struct{} // closed when sent reaches upTo
	panics         []*PanicError // since the last Wait
	dropped        uint64
	npanics        uint64
}

// emit records an event of e's task entering st, if the tree has a hook.
// Called with tr.mu held. Small enough to inline: a tree without a hook
// pays a nil check per state change.
func (p *Pool) emit(e *entry, st State, err error) {
	if p.tr.ev != nil {
		p.record(e, st, err, 0)
	}
}

func (p *Pool) record(e *entry, st State, err error, attempt int) {
	event := Event{Task: e.seq, Pool: p.label, State: st, Time: time.Now(), Err: err, Attempt: attempt}
	if n := e.n; n != nil {
		event.ID, event.Group, event.Resources = n.id, n.group, n.shown
		event.Name = n.name
	}
	if e.lane != nil {
		event.Name = e.lane.key
	}
	p.tr.record(event)
}

// emitBlocked records that a task waits in the line of l.
func (p *Pool) emitBlocked(e *entry, l *lane) {
	if p.tr.ev == nil {
		return
	}
	event := Event{Task: e.seq, Pool: p.label, State: Blocked, Time: time.Now(), Name: l.key, Holder: l.holder}
	if n := e.n; n != nil {
		event.ID, event.Group, event.Resources = n.id, n.group, n.shown
	}
	p.tr.record(event)
}

// displayResources returns resource keys as their submitter gave them,
// for events.
func displayResources(keys []string) []string {
	if len(keys) == 0 {
		return nil
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k[len(resourcePrefix):]
	}
	return out
}

// record queues an event for delivery, starting the delivery goroutine if
// none is on its way. Called with tr.mu held.
func (tr *tree) record(event Event) {
	ev := tr.ev
	ev.recorded++
	if ev.queue.Len() >= ev.limit {
		ev.dropped++
		ev.sent++ // it will never be sent: a waiter need not wait for it
		return
	}
	ev.queue.PushBack(event)
	if !ev.running {
		ev.running = true
		go tr.deliver()
	}
}

// deliver hands queued events to the hook, outside tr.mu, until none is
// left, then exits.
func (tr *tree) deliver() {
	ev := tr.ev
	tr.mu.Lock()
	for ev.queue.Len() > 0 {
		event := ev.queue.PopFront()
		tr.mu.Unlock()
		perr := callHook(ev.hook, event)
		tr.mu.Lock()
		if perr != nil {
			ev.npanics++
			ev.panics = append(ev.panics, perr)
		}
		ev.sent++
		if ev.reached != nil && ev.sent >= ev.upTo {
			close(ev.reached)
			ev.reached = nil
		}
	}
	ev.running = false
	if ev.reached != nil { // everything recorded is delivered
		close(ev.reached)
		ev.reached = nil
	}
	tr.mu.Unlock()
}

func callHook(hook func(Event), event Event) (perr *PanicError) {
	defer func() {
		if v := recover(); v != nil {
			perr = NewPanicError(v)
		}
	}()
	hook(event)
	return nil
}

// eventsDelivered returns a channel closed once every recorded event has
// been delivered. Called with tr.mu held.
func (tr *tree) eventsDelivered() <-chan struct{} {
	ev := tr.ev
	if ev == nil || !ev.running || ev.sent >= ev.recorded {
		return closedChan
	}
	// Every event recorded so far: those of the tasks the caller waited
	// for, and perhaps some of later tasks, but not the stream of events
	// that steady load keeps adding.
	// One target serves every waiter: raising it for a later waiter makes
	// an earlier one wait for a few more events, never for fewer.
	ev.upTo = ev.recorded
	if ev.reached == nil {
		ev.reached = make(chan struct{})
	}
	return ev.reached
}

// hookError takes the hook panics since the last call, as one error.
// Called with tr.mu held.
func (tr *tree) hookError() error {
	ev := tr.ev
	if ev == nil || len(ev.panics) == 0 {
		return nil
	}
	err := &HookError{Panic: ev.panics[0], Count: len(ev.panics)}
	ev.panics = nil
	return err
}

// NameStats is a snapshot of one name (see [Pool.NameStats]).
type NameStats struct {
	Holding int // tasks that hold the name: running, or queued for a slot, or waiting for their resources
	Running int // tasks of the name running now
	Blocked int // tasks waiting in the name's line
}

// NameStats returns a snapshot of every name in use in p's tree of pools,
// by name. Idle names are not listed.
func (p *Pool) NameStats() map[string]NameStats {
	p.check()
	tr := p.tr
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := make(map[string]NameStats, tr.lanes.len()-tr.idleLanes)
	for l := range tr.lanes.all() {
		if !l.idle {
			out[l.key] = NameStats{Holding: l.held, Running: l.running, Blocked: l.waiting + l.pending}
		}
	}
	return out
}
