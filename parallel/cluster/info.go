package cluster

import "context"

// Info is what a running task knows of itself.
type Info struct {
	Task    TaskID
	Attempt int    // 1, plus one per replica that died running it: a fencing token
	Replica string // the replica running it
	Group   string // its group or plan, "" for a lone task
	ID      string // its ID in its group
}

type infoKey struct{}

// Running returns the Info of the task whose context ctx is, or false
// outside a task.
func Running(ctx context.Context) (Info, bool) {
	i, ok := ctx.Value(infoKey{}).(Info)
	return i, ok
}
