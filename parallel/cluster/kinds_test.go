package cluster_test

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/braid-go/braid/parallel/cluster"
)

// The kinds every test replica registers, in-process or as a process.
var (
	kinds = cluster.NewKinds()
	// work runs for Ms milliseconds, or until its context ends, and
	// reports when it ran and where.
	kWork = cluster.Register(kinds, "work", doWork)
	// kLimited is work with a cluster-wide limit of 2.
	kLimited = cluster.Register(kinds, "limited", doWork, cluster.KindLimit(2))
	// kSquare squares a number.
	kSquare = cluster.Register(kinds, "square", func(_ context.Context, n int) (int, error) { return n * n, nil })
	// kWho reports what the task knows of itself.
	kWho = cluster.Register(kinds, "who", func(ctx context.Context, _ struct{}) (cluster.Info, error) {
		info, _ := cluster.Running(ctx)
		return info, nil
	})
)

// work is the arguments of kWork.
type work struct {
	Seq    int  `json:"seq"`
	Ms     int  `json:"ms"`
	Fail   bool `json:"fail,omitempty"`
	Ignore bool `json:"ignore,omitempty"` // run the whole time even if cancelled
}

// mark is what kWork reports: its process and times (Unix nanoseconds,
// one machine's clock, comparable across processes).
type mark struct {
	Seq      int   `json:"seq"`
	Pid      int   `json:"pid"`
	Start    int64 `json:"start"`
	End      int64 `json:"end"`
	Canceled int64 `json:"canceled,omitempty"` // when the context ended, if it did
}

var errTaskFailed = errors.New("task failed on purpose")

func doWork(ctx context.Context, a work) (mark, error) {
	m := mark{Seq: a.Seq, Pid: os.Getpid(), Start: time.Now().UnixNano()}
	t := time.NewTimer(time.Duration(a.Ms) * time.Millisecond)
	defer t.Stop()
	var err error
	select {
	case <-t.C:
	case <-ctx.Done():
		m.Canceled = time.Now().UnixNano()
		if a.Ignore {
			<-t.C
		} else {
			err = ctx.Err()
		}
	}
	if a.Fail && err == nil {
		err = errTaskFailed
	}
	m.End = time.Now().UnixNano()
	return m, err
}
