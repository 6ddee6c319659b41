package timeline_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
)

// A recorder is a pool's event hook; Tracks reads the run back.
func ExampleRecorder_Tracks() {
	var rec timeline.Recorder
	p, _ := pool.New(pool.MaxWorkers(2), pool.OnEvent(rec.Hook))
	release := make(chan struct{})
	_ = p.Go(func(context.Context) error { <-release; return nil }, pool.Name("load"), pool.Label("", "a"))
	_ = p.Go(func(context.Context) error { return nil }, pool.Name("load"), pool.Label("", "b")) // waits for a's name
	close(release)
	_ = p.Wait()

	for _, t := range rec.Tracks() {
		var states []string
		for _, s := range t.Spans {
			states = append(states, s.State.String())
		}
		fmt.Printf("%s: %s -> %v\n", t.Label(), strings.Join(states, " "), t.State)
	}
	// Output:
	// a: Waiting Running -> Succeeded
	// b: Blocked Waiting Running -> Succeeded
}

// The chart of a run of four tasks on two slots: c and d wait for a slot,
// and d, once running, waits for a subtask of its own (blocked, holding no
// slot). The events are made up here, to show the chart of a run that took
// time; a recorder given to a pool collects the same.
func ExampleRecorder_WriteGantt() {
	var rec timeline.Recorder
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(task uint64, id string, st pool.State, ms int) {
		e := pool.Event{Task: task, ID: id, State: st, Time: start.Add(time.Duration(ms) * time.Millisecond)}
		if st == pool.Failed {
			e.Err = errors.New("disk full")
		}
		rec.Hook(e)
	}
	at(1, "extract", pool.Waiting, 0)
	at(1, "extract", pool.Running, 0)
	at(2, "users", pool.Waiting, 0)
	at(2, "users", pool.Running, 0)
	at(3, "orders", pool.Waiting, 0)
	at(4, "stock", pool.Waiting, 0)
	at(1, "extract", pool.Succeeded, 10)
	at(3, "orders", pool.Running, 10)
	at(2, "users", pool.Succeeded, 20)
	at(4, "stock", pool.Running, 20)
	at(3, "orders", pool.Failed, 25)
	at(4, "stock", pool.Blocked, 30)
	at(4, "stock", pool.Running, 35)
	at(4, "stock", pool.Succeeded, 40)

	_ = rec.WriteGantt(os.Stdout, 40)
	// Output:
	//          0s                                  40ms
	// extract |##########                              | Succeeded
	// users   |####################                    | Succeeded
	// orders  |----------###############               | Failed: disk full
	// stock   |--------------------##########~~~~~#####| Succeeded
	//          # running  - waiting  ~ blocked
}
