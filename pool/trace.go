package pool

import (
	"context"
	"runtime/trace"
	"strconv"
)

// labelled reports whether anything reads the labels of tasks submitted
// now (see Label): events, middleware or, while it is on, runtime/trace.
func (tr *tree) labelled() bool {
	return tr.ev != nil || tr.middleware != nil || trace.IsEnabled()
}

// traceTask makes the task about to run a runtime/trace task, with a region
// of the same label around it, so that go tool trace lists braid's tasks
// (under "User-defined tasks", by group) and shows on each goroutine which
// task it was running. It is called only while tracing is on: with tracing
// off the worker pays for the trace.IsEnabled check and nothing else.
//
// The trace task's type is "braid" or, for a task of a group or plan,
// "braid " and the group's name; its region is the task's label: its ID,
// or "#" and its number when it has none, as in package timeline. The
// task's name and pool are logged on it.
func (w *worker) traceTask(ctx context.Context) (context.Context, func()) {
	info := w.info()
	kind := "braid"
	if info.Group != "" {
		kind += " " + info.Group
	}
	label := info.ID
	if label == "" {
		label = "#" + strconv.FormatUint(info.Task, 10)
	}
	ctx, task := trace.NewTask(ctx, kind)
	trace.Log(ctx, "task", strconv.FormatUint(info.Task, 10))
	if info.Name != "" {
		trace.Log(ctx, "name", info.Name)
	}
	if info.Pool != "" {
		trace.Log(ctx, "pool", info.Pool)
	}
	region := trace.StartRegion(ctx, label)
	return ctx, func() {
		region.End()
		task.End()
	}
}
