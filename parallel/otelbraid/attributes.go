package otelbraid

import (
	"go.opentelemetry.io/otel/attribute"

	"github.com/braid-go/braid/pool"
)

// Attribute keys of braid's spans and metrics. Task IDs and numbers go on
// spans only: on metrics they would make a time series per task.
const (
	TaskNumberKey  = attribute.Key("braid.task.number")           // the task's number in its tree of pools (pool.Event.Task)
	TaskIDKey      = attribute.Key("braid.task.id")               // the ID its submitter gave it: a group's task ID, a plan step's path
	GroupKey       = attribute.Key("braid.group")                 // its group or plan
	TaskNameKey    = attribute.Key("braid.task.name")             // its name (pool.Name)
	PoolKey        = attribute.Key("braid.pool")                  // its pool's label (pool.PoolLabel)
	StateKey       = attribute.Key("braid.task.state")            // how it ended: Succeeded, Failed, Canceled, Skipped, TimedOut
	WaitKey        = attribute.Key("braid.task.wait.duration")    // seconds from submission to start
	BlockedKey     = attribute.Key("braid.task.blocked.duration") // seconds spent suspended while running, holding no slot
	RunKindKey     = attribute.Key("braid.run.kind")              // "group", "plan" or "block"
	BlockKey       = attribute.Key("braid.run.block")             // a plan block's number in its run, from 1
	RunTaskIDsKey  = attribute.Key("braid.run.task_ids")          // the IDs of the tasks a run or block runs
	defaultSpanTag = "braid.task"
)

// taskAttributes are the attributes of a task's span known at its start.
func taskAttributes(info pool.TaskInfo) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, TaskNumberKey.Int64(int64(info.Task)))
	for _, kv := range []struct {
		k attribute.Key
		v string
	}{{TaskIDKey, info.ID}, {GroupKey, info.Group}, {TaskNameKey, info.Name}, {PoolKey, info.Pool}} {
		if kv.v != "" {
			attrs = append(attrs, kv.k.String(kv.v))
		}
	}
	return attrs
}
