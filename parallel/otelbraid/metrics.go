package otelbraid

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/braid-go/braid/pool"
)

// Metrics records braid's metrics: per task, from events (see
// [Metrics.Hook]), and per pool, from snapshots (see [Metrics.Observe]):
//
//   - braid.task.duration (histogram, s): from a task's start to its end,
//     time suspended included; by pool, group and final state;
//   - braid.task.wait.duration (histogram, s): from a task's submission to
//     its start, Waiting for a slot or Blocked on its name; by pool and group;
//   - braid.task.ended (counter, {task}): tasks that reached a final state,
//     Skipped ones included; by pool, group and final state;
//   - braid.pool.running, braid.pool.waiting, braid.pool.blocked (gauges,
//     {task}): what pool.Stats says of each observed pool when the metrics
//     are collected: its tasks running, queued for a slot, and waiting with
//     no slot (for a name, resources, their subtasks, a retry's backoff),
//     each counting the pool and its sub-pools.
//
// It is safe for concurrent use; one Metrics may serve several trees of
// pools. Tasks are told apart by their pool's label and number, so trees
// sharing one Metrics need distinct pool labels (see pool.PoolLabel).
type Metrics struct {
	duration, wait metric.Float64Histogram
	ended          metric.Int64Counter
	reg            metric.Registration

	mu    sync.Mutex
	open  map[taskKey]taskTimes // tasks that have not ended
	pools map[*pool.Pool]attribute.Set
}

type taskKey struct {
	pool string
	task uint64
}

type taskTimes struct {
	seen, started time.Time // first event, first Running
}

// NewMetrics creates braid's instruments on the meter provider (see
// [WithMeterProvider]). It fails only when the provider does.
func NewMetrics(opts ...Option) (*Metrics, error) {
	c := newConfig(opts)
	meter := c.meters.Meter(ScopeName)
	m := &Metrics{open: make(map[taskKey]taskTimes), pools: make(map[*pool.Pool]attribute.Set)}
	var errs [7]error
	m.duration, errs[0] = meter.Float64Histogram("braid.task.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from a task's start to its end, suspended time included."))
	m.wait, errs[1] = meter.Float64Histogram("braid.task.wait.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from a task's submission to its start."))
	m.ended, errs[2] = meter.Int64Counter("braid.task.ended", metric.WithUnit("{task}"),
		metric.WithDescription("Tasks that reached a final state, by state."))
	var running, waiting, blocked metric.Int64ObservableGauge
	running, errs[3] = meter.Int64ObservableGauge("braid.pool.running", metric.WithUnit("{task}"),
		metric.WithDescription("Tasks of the pool and its sub-pools running: the slots in use."))
	waiting, errs[4] = meter.Int64ObservableGauge("braid.pool.waiting", metric.WithUnit("{task}"),
		metric.WithDescription("Tasks of the pool and its sub-pools queued for a slot."))
	blocked, errs[5] = meter.Int64ObservableGauge("braid.pool.blocked", metric.WithUnit("{task}"),
		metric.WithDescription("Tasks of the pool and its sub-pools waiting with no slot: for a name, resources, their subtasks, a retry."))
	if err := errors.Join(errs[:6]...); err != nil {
		return nil, err
	}
	m.reg, errs[6] = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		for p, set := range m.pools {
			s := p.Stats()
			attrs := metric.WithAttributeSet(set)
			o.ObserveInt64(running, int64(s.Running), attrs)
			o.ObserveInt64(waiting, int64(s.Waiting), attrs)
			o.ObserveInt64(blocked, int64(s.Blocked), attrs)
		}
		return nil
	}, running, waiting, blocked)
	if errs[6] != nil {
		return nil, errs[6]
	}
	return m, nil
}

// Observe reports p's running, waiting and blocked tasks, labelled
// braid.pool=name, each time the metrics are collected, until forget is
// called. Each figure counts the pool and its sub-pools (see pool.Stats):
// observe the root for a whole tree, and a sub-pool for its part.
func (m *Metrics) Observe(p *pool.Pool, name string) (forget func()) {
	m.mu.Lock()
	m.pools[p] = attribute.NewSet(PoolKey.String(name))
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		delete(m.pools, p)
		m.mu.Unlock()
	}
}

// Close stops the pool gauges' callback; the instruments stay with their
// provider.
func (m *Metrics) Close() error { return m.reg.Unregister() }

// Hook records the task metrics of one event. Pass it to pool.OnEvent, or
// parallel.OnEvent, or call it from a hook of your own with every event.
func (m *Metrics) Hook(e pool.Event) {
	k := taskKey{e.Pool, e.Task}
	m.mu.Lock()
	t, known := m.open[k]
	if !known {
		t.seen = e.Time
	}
	firstRun := e.State == pool.Running && t.started.IsZero()
	if firstRun {
		t.started = e.Time
	}
	if e.Final() {
		delete(m.open, k)
	} else {
		m.open[k] = t
	}
	m.mu.Unlock()

	ctx := context.Background()
	group := make([]attribute.KeyValue, 0, 3)
	group = append(group, PoolKey.String(e.Pool), GroupKey.String(e.Group))
	if firstRun {
		m.wait.Record(ctx, e.Time.Sub(t.seen).Seconds(), metric.WithAttributes(group...))
	}
	if !e.Final() {
		return
	}
	withState := metric.WithAttributes(append(group, StateKey.String(e.State.String()))...)
	if !t.started.IsZero() {
		m.duration.Record(ctx, e.Time.Sub(t.started).Seconds(), withState)
	}
	m.ended.Add(ctx, 1, withState)
}
