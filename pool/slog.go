package pool

import (
	"context"
	"log/slog"
)

// Attribute keys of [LogEvents]. They are part of the API: log queries may
// rely on them.
const (
	LogKeyTask   = "task"
	LogKeyID     = "id"
	LogKeyGroup  = "group"
	LogKeyName   = "name"
	LogKeyPool   = "pool"
	LogKeyState  = "state"
	LogKeyHolder = "holder"
	LogKeyError  = "err"
)

// LogEvents returns a hook (see [OnEvent]) that writes each event to
// logger, with the message "task" and the attributes named by the LogKey
// constants, stamped with the event's time; empty labels and a zero
// holder are left out. Waiting, Blocked
// and Running are logged at debug level, Failed and TimedOut at error
// level, the other final states at info level.
func LogEvents(logger *slog.Logger) func(Event) {
	if logger == nil {
		panic("pool: LogEvents(nil)")
	}
	return func(e Event) {
		level := eventLevel(e.State)
		ctx := context.Background()
		if !logger.Enabled(ctx, level) {
			return
		}
		attrs := make([]slog.Attr, 0, 8)
		attrs = append(attrs, slog.Uint64(LogKeyTask, e.Task), slog.String(LogKeyState, e.State.String()))
		for _, kv := range [...][2]string{{LogKeyID, e.ID}, {LogKeyGroup, e.Group}, {LogKeyName, e.Name}, {LogKeyPool, e.Pool}} {
			if kv[1] != "" {
				attrs = append(attrs, slog.String(kv[0], kv[1]))
			}
		}
		if e.Holder != 0 {
			attrs = append(attrs, slog.Uint64(LogKeyHolder, e.Holder))
		}
		if e.Err != nil {
			attrs = append(attrs, slog.String(LogKeyError, e.Err.Error()))
		}
		r := slog.NewRecord(e.Time, level, "task", 0) // stamped with the event's time, not the hook's
		r.AddAttrs(attrs...)
		_ = logger.Handler().Handle(ctx, r)
	}
}

func eventLevel(st State) slog.Level {
	switch st {
	case Waiting, Blocked, Running:
		return slog.LevelDebug
	case Failed, TimedOut:
		return slog.LevelError
	}
	return slog.LevelInfo
}
