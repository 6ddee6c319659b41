// Command prometheus runs a small nightly plan with braid's OpenTelemetry
// instrumentation: its metrics are served on /metrics by the OpenTelemetry
// Prometheus exporter, and its trace is printed as a tree when the plan
// ends. With -serve it keeps serving /metrics until interrupted.
//
//	go run ./examples/prometheus -addr localhost:9464 -serve
//	curl -s localhost:9464/metrics | grep ^braid_
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/parallel/otelbraid"
	"github.com/braid-go/braid/pool"
)

func main() {
	addr := flag.String("addr", "localhost:9464", "where to serve /metrics")
	serve := flag.Bool("serve", false, "keep serving /metrics after the run, until interrupted")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *addr, *serve); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out io.Writer, addr string, serve bool) (err error) {
	// Metrics: the OpenTelemetry SDK, read by the Prometheus exporter into
	// a registry of our own, served on /metrics.
	registry := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(registry), otelprom.WithoutScopeInfo())
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer shutdown(mp.Shutdown)
	metrics, err := otelbraid.NewMetrics(otelbraid.WithMeterProvider(mp))
	if err != nil {
		return err
	}
	defer func() { _ = metrics.Close() }() // fails only if already closed

	// Traces: kept in memory and printed as a tree at the end; a service
	// would export them (OTLP) instead.
	spans := &treeExporter{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer shutdown(tp.Shutdown)

	p, err := pool.New(pool.MaxWorkers(4), pool.PoolLabel("workers"), pool.OnEvent(metrics.Hook),
		pool.WithMiddleware(otelbraid.Middleware(otelbraid.WithTracerProvider(tp))))
	if err != nil {
		return err
	}
	defer func() { _ = p.Close() }() // every task has ended by then: nothing to report
	forget := metrics.Observe(p, "workers")
	defer forget()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	var serveErr error
	go func() {
		defer close(served)
		serveErr = srv.Serve(ln)
	}()
	defer func() {
		_ = srv.Shutdown(context.Background()) // Serve's error, read below, says what went wrong
		<-served
		if err == nil && !errors.Is(serveErr, http.ErrServerClosed) {
			err = serveErr
		}
	}()

	plan := nightly(p, tp)
	jobCtx, job := tp.Tracer("nightly-job").Start(ctx, "nightly job")
	_, runErr := plan.Run(jobCtx)
	job.End()
	report := new(strings.Builder) // written to out in one piece: one write error to check
	fmt.Fprintln(report, "plan error:", runErr)
	fmt.Fprintln(report, "trace:")
	spans.print(report)
	url := "http://" + ln.Addr().String() + "/metrics"
	fmt.Fprintln(report, "metrics at", url+":")
	if err := printMetrics(ctx, report, url); err != nil {
		return err
	}
	if _, err := io.WriteString(out, report.String()); err != nil {
		return err
	}
	if serve {
		<-ctx.Done()
	}
	return nil
}

// nightly is a plan of three blocks on p, whose runs and blocks are spans.
func nightly(p *pool.Pool, tp *sdktrace.TracerProvider) *parallel.Plan {
	work := func(d time.Duration) func(context.Context) error {
		return func(ctx context.Context) error {
			select {
			case <-time.After(d):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return parallel.NewPlan(parallel.Label("nightly"), parallel.OnPool(p),
		parallel.WithRunMiddleware(otelbraid.RunMiddleware(otelbraid.WithTracerProvider(tp))),
	).Add(
		parallel.Do("extract", work(20*time.Millisecond)),
		parallel.Do("users", work(10*time.Millisecond), parallel.ThreadYes),
		parallel.Do("orders", work(30*time.Millisecond), parallel.ThreadJoin),
		parallel.Do("report", work(5*time.Millisecond)),
	)
}

// printMetrics fetches url and prints braid's samples.
func printMetrics(ctx context.Context, out *strings.Builder, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below; nothing to report
	if resp.StatusCode != http.StatusOK {
		return errors.New("GET " + url + ": " + resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "braid_") && !strings.Contains(line, "_bucket{") {
			fmt.Fprintln(out, "  "+line)
		}
	}
	return sc.Err()
}

func shutdown(f func(context.Context) error) {
	if err := f(context.Background()); err != nil {
		log.Print(err)
	}
}
