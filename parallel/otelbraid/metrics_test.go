package otelbraid_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/braid-go/braid/parallel/otelbraid"
	"github.com/braid-go/braid/pool"
)

// collect reads every metric of reader, by name.
func collect(t *testing.T, reader sdkmetric.Reader) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	out := make(map[string]metricdata.Aggregation)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

func gauge(t *testing.T, data map[string]metricdata.Aggregation, name string) int64 {
	t.Helper()
	g, ok := data[name].(metricdata.Gauge[int64])
	require.True(t, ok, "%s is an int64 gauge", name)
	require.Len(t, g.DataPoints, 1)
	return g.DataPoints[0].Value
}

// histogram returns the count and sum of name's points, by final state
// ("" when the points have no state).
func histogram(t *testing.T, data map[string]metricdata.Aggregation, name string) map[string][2]float64 {
	t.Helper()
	h, ok := data[name].(metricdata.Histogram[float64])
	require.True(t, ok, "%s is a float64 histogram", name)
	out := make(map[string][2]float64)
	for _, dp := range h.DataPoints {
		st, _ := dp.Attributes.Value(otelbraid.StateKey)
		out[st.AsString()] = [2]float64{float64(dp.Count), dp.Sum}
	}
	return out
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer func() { _ = mp.Shutdown(context.Background()) }() // a manual reader: nothing to flush
		m, err := otelbraid.NewMetrics(otelbraid.WithMeterProvider(mp))
		require.NoError(t, err)
		defer func() { require.NoError(t, m.Close()) }()

		p, err := pool.New(pool.MaxWorkers(1), pool.OnEvent(m.Hook), pool.PoolLabel("etl"))
		require.NoError(t, err)
		defer func() { _ = p.Close() }() // the test has checked what it needs; Close only lets the workers go
		forget := m.Observe(p, "etl")

		release := make(chan struct{})
		require.NoError(t, p.Go(func(context.Context) error { <-release; time.Sleep(time.Second); return nil }, pool.Label("nightly", "a")))
		require.NoError(t, p.Go(func(context.Context) error { time.Sleep(time.Second); return nil }, pool.Label("nightly", "b")))
		require.NoError(t, p.Go(func(context.Context) error { time.Sleep(time.Second); return errors.New("no") }, pool.Label("nightly", "c")))
		synctest.Wait() // a runs, b and c wait
		data := collect(t, reader)
		require.Equal(t, int64(1), gauge(t, data, "braid.pool.running"))
		require.Equal(t, int64(2), gauge(t, data, "braid.pool.waiting"))
		require.Equal(t, int64(0), gauge(t, data, "braid.pool.blocked"))

		close(release)
		require.Error(t, p.Wait())
		data = collect(t, reader)
		require.Equal(t, map[string][2]float64{"Succeeded": {2, 2}, "Failed": {1, 1}}, histogram(t, data, "braid.task.duration"))
		require.Equal(t, map[string][2]float64{"": {3, 0 + 1 + 2}}, histogram(t, data, "braid.task.wait.duration"), "b waited 1s, c 2s")
		ended, ok := data["braid.task.ended"].(metricdata.Sum[int64])
		require.True(t, ok)
		byState := make(map[string]int64)
		for _, dp := range ended.DataPoints {
			st, _ := dp.Attributes.Value(otelbraid.StateKey)
			group, _ := dp.Attributes.Value(otelbraid.GroupKey)
			require.Equal(t, "nightly", group.AsString())
			byState[st.AsString()] = dp.Value
		}
		require.Equal(t, map[string]int64{"Succeeded": 2, "Failed": 1}, byState)

		forget()
		data = collect(t, reader)
		_, observed := data["braid.pool.running"].(metricdata.Gauge[int64])
		if observed {
			require.Empty(t, data["braid.pool.running"].(metricdata.Gauge[int64]).DataPoints, "a forgotten pool is no longer observed")
		}
	})
}

// Skipped tasks count as ended, with no duration.
func TestMetricsCountSkippedTasks(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }() // a manual reader: nothing to flush
	m, err := otelbraid.NewMetrics(otelbraid.WithMeterProvider(mp))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, err := pool.New(pool.OnEvent(m.Hook))
	require.NoError(t, err)
	defer func() { _ = p.Close() }() // the test has checked what it needs; Close only lets the workers go
	task, err := p.Submit(ctx, func(context.Context) error { return nil })
	require.NoError(t, err)
	<-task.Done()
	require.NoError(t, p.Wait())
	data := collect(t, reader)
	ended := data["braid.task.ended"].(metricdata.Sum[int64])
	require.Len(t, ended.DataPoints, 1)
	st, _ := ended.DataPoints[0].Attributes.Value(otelbraid.StateKey)
	require.Equal(t, "Skipped", st.AsString())
	_, hasDuration := data["braid.task.duration"]
	require.False(t, hasDuration, "a task that never ran has no duration")
}
