// Package otelbraid connects braid to OpenTelemetry: a span per task, per
// run of a group or plan and per plan block, and metrics of tasks and
// pools. It is a module of its own, so that braid's core needs nothing but
// the standard library.
//
// # Which piece when
//
//   - [Middleware]: a span per task, child of the span that was current
//     where the task was submitted, and parent of the spans the task
//     makes. Give it to pool.WithMiddleware (every task of a tree of
//     pools) or parallel.WithMiddleware (a group's or plan's tasks). A
//     task that never starts (Skipped) has no span; the metrics count it.
//   - [RunMiddleware]: a span per run of a group or plan, and per block of
//     a plan; give it to parallel.WithRunMiddleware. With Middleware on the
//     same group or plan, a trace shows the plan, its blocks and its
//     tasks.
//   - [Metrics]: task duration and wait-time histograms and a count of
//     tasks ended by state, from events ([Metrics.Hook] is an event hook
//     for pool.OnEvent or parallel.OnEvent), and running, waiting and
//     blocked gauges of the pools you [Metrics.Observe], read from
//     pool.Stats when the metrics are collected.
//
// Spans and metrics go to the global providers unless
// [WithTracerProvider] and [WithMeterProvider] say otherwise. The keys of
// their attributes are the constants named ...Key; task IDs and numbers go
// on spans only, so that metrics keep to a time series per pool, group and
// state.
//
// # A service in a few lines
//
//	metrics, err := otelbraid.NewMetrics()
//	// handle err
//	p, err := pool.New(pool.MaxWorkers(16), pool.PoolLabel("workers"),
//		pool.OnEvent(metrics.Hook),
//		pool.WithMiddleware(otelbraid.Middleware()))
//	// handle err
//	defer metrics.Observe(p, "workers")()
//	g := parallel.NewGroup[Report](parallel.OnPool(p), parallel.Label("reports"),
//		parallel.WithRunMiddleware(otelbraid.RunMiddleware()))
//
// The example in examples/prometheus serves these metrics on /metrics
// with the OpenTelemetry Prometheus exporter and prints a plan's trace.
//
// # Order with other middleware
//
// Middleware runs in the order given, the first outermost: put Middleware
// before pool.Retry for one span around every attempt, after it for a span
// per attempt. Put it after middleware that adds what spans should carry
// (a baggage, a logger) to the context.
package otelbraid
