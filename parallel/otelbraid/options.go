package otelbraid

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of braid's tracer and meter.
const ScopeName = "github.com/braid-go/braid/parallel/otelbraid"

// config holds every setting and its default in one place.
type config struct {
	tracers trace.TracerProvider
	meters  metric.MeterProvider
}

func newConfig(opts []Option) config {
	c := config{tracers: otel.GetTracerProvider(), meters: otel.GetMeterProvider()}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Option configures [Middleware], [RunMiddleware] and [NewMetrics].
type Option func(*config)

// WithTracerProvider sets where spans go; the default is the global
// provider (otel.GetTracerProvider) as it is when the middleware is made.
// A nil provider panics.
func WithTracerProvider(tp trace.TracerProvider) Option {
	if tp == nil {
		panic("otelbraid: nil TracerProvider")
	}
	return func(c *config) { c.tracers = tp }
}

// WithMeterProvider sets where metrics go; the default is the global
// provider (otel.GetMeterProvider) as it is when NewMetrics is called. A
// nil provider panics.
func WithMeterProvider(mp metric.MeterProvider) Option {
	if mp == nil {
		panic("otelbraid: nil MeterProvider")
	}
	return func(c *config) { c.meters = mp }
}
