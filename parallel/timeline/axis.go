package timeline

import (
	"time"

	"github.com/braid-go/braid/pool"
)

// axis places the instants of a run on a line. Its unit is time when the
// run took any, and otherwise the order of events: inside a
// testing/synctest bubble the clock stands still while tasks run, so every
// event of a run may carry the same time, and only their order tells the
// spans apart.
type axis struct {
	t0     time.Time
	length time.Duration
	events int
}

func newAxis(events []pool.Event) axis {
	if len(events) == 0 {
		return axis{}
	}
	t0 := events[0].Time
	return axis{t0: t0, length: events[len(events)-1].Time.Sub(t0), events: len(events)}
}

// byOrder reports whether the axis counts events rather than time.
func (a axis) byOrder() bool { return a.length <= 0 }

// micros returns where the instant t of the event at position seq lies,
// in microseconds since the first event, or in events when byOrder.
func (a axis) micros(t time.Time, seq int) float64 {
	if a.byOrder() {
		return float64(seq)
	}
	return float64(t.Sub(a.t0).Nanoseconds()) / 1e3
}

// fraction returns where the instant lies between the first event (0) and
// the last (1).
func (a axis) fraction(t time.Time, seq int) float64 {
	var f float64
	switch {
	case !a.byOrder():
		f = float64(t.Sub(a.t0)) / float64(a.length)
	case a.events > 1:
		f = float64(seq) / float64(a.events-1)
	}
	return min(max(f, 0), 1)
}
