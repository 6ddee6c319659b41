// Package timeline records the events of a run of braid tasks and renders
// them: as a text Gantt chart for a terminal or a test failure, and as a
// Chrome trace-event JSON file for Perfetto (ui.perfetto.dev) or
// chrome://tracing.
//
// A [Recorder] is the hook to give a pool, a group or a plan:
//
//	var rec timeline.Recorder
//	p, _ := pool.New(pool.MaxWorkers(4), pool.OnEvent(rec.Hook))
//	// ... submit, then p.Wait()
//	rec.WriteGantt(os.Stdout, 40)
//	rec.WriteTrace(file)
//
// which prints, for a run of four tasks on two slots in which stock, once
// running, waits for a subtask of its own:
//
//	         0s                                  40ms
//	extract |##########                              | Succeeded
//	users   |####################                    | Succeeded
//	orders  |----------###############               | Failed: disk full
//	stock   |--------------------##########~~~~~#####| Succeeded
//	         # running  - waiting  ~ blocked
//
// [Recorder.Tracks] gives the same run as data: per task its ID, group,
// name, pool and final state, and its [Span]s of waiting, being blocked
// and running. Package paralleltest asserts on them.
//
// # Order and time
//
// A tree of pools reports its events in the order its tasks changed state,
// so a recording of one tree orders every start and end exactly, even where
// times are equal. Inside a testing/synctest bubble the clock stands still
// while tasks run and every event of a run may carry one instant; each
// span therefore carries the positions of its first and last events too
// (StartSeq, EndSeq), and the chart and the trace fall back to the order
// of events when a run took no time at all. A recorder that hears several
// trees orders their events by time; give each tree its own PoolLabel, as
// task numbers are unique only within a tree.
//
// # Cost and concurrency
//
// Recording appends each event to a slice under a mutex: a few hundred
// bytes per task, kept until [Recorder.Reset]. Reading (Tracks, Events,
// WriteGantt, WriteTrace) sorts a copy of the events. A Recorder is safe
// for concurrent use, and reading it during a run gives a snapshot. The
// output of WriteGantt and WriteTrace depends only on the events, so
// recorded or synthetic events make golden tests.
package timeline
