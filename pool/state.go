package pool

import "strconv"

// State is where a task is in its life. A task moves forward only:
// Waiting, then possibly Running and Blocked (back and forth), then exactly
// one of the final states.
type State uint8

const (
	// Waiting: queued for a worker slot.
	Waiting State = iota
	// Blocked: started, but waiting for something else (its own subtasks,
	// a name, a lock) while holding no worker slot. See [Suspend].
	Blocked
	// Running: holding a worker slot.
	Running
	// Succeeded: returned nil.
	Succeeded
	// Failed: returned an error, or panicked, while its context was live.
	Failed
	// Canceled: returned an error after its context was cancelled.
	Canceled
	// Skipped: never started, because its context was done first.
	Skipped
	// TimedOut: returned an error after its context's deadline passed.
	TimedOut
)

var stateNames = [...]string{"Waiting", "Blocked", "Running", "Succeeded", "Failed", "Canceled", "Skipped", "TimedOut"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Final reports whether s is a state a task never leaves.
func (s State) Final() bool { return s >= Succeeded }
