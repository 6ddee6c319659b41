package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/cluster"
	"github.com/braid-go/braid/strategy"
)

// The throughput benchmarks run b.N tiny tasks (no work) and report
// tasks/s, from the first insert to the last end, with 4 workers per
// replica, on one database. River alone is the same with River's own
// client and a worker that does nothing: the ratio of the two is braid's
// overhead on top of River.
const benchWorkers = 4

type noopArgs struct{}

func (noopArgs) Kind() string { return "bench_noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

func BenchmarkThroughput(b *testing.B) {
	for _, clients := range []int{1, 3} {
		b.Run(fmt.Sprintf("river-alone-%d-clients", clients), func(b *testing.B) {
			dsn := newDB(b)
			db := openPool(b, dsn)
			ctx := context.Background()
			var c *river.Client[pgx.Tx] // the last one started inserts
			for range clients {
				workers := river.NewWorkers()
				river.AddWorker(workers, noopWorker{})
				client, err := river.NewClient(riverpgxv5.New(db), &river.Config{
					Queues:        map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: benchWorkers}},
					Workers:       workers,
					FetchCooldown: 5 * time.Millisecond, // as a braid node's
					Logger:        slog.New(slog.DiscardHandler),
				})
				require.NoError(b, err)
				require.NoError(b, client.Start(ctx))
				defer func() { require.NoError(b, client.Stop(ctx)) }()
				c = client
			}
			b.ResetTimer()
			start := time.Now()
			ps := make([]river.InsertManyParams, b.N)
			for i := range ps {
				ps[i] = river.InsertManyParams{Args: noopArgs{}}
			}
			_, err := c.InsertManyFast(ctx, ps)
			require.NoError(b, err)
			waitCount(b, db, `SELECT count(*) FROM river_job WHERE state = 'completed'`, b.N)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
		})
	}
	for _, c := range []struct {
		name     string
		replicas int
		opts     []cluster.TaskOption
		kind     cluster.Kind[work, mark]
	}{
		{"braid-1-replica", 1, nil, kWork},
		{"braid-3-replicas", 3, nil, kWork},
		{"braid-3-replicas-kind-limit-12", 3, nil, kBenchLimited},
		{"braid-3-replicas-10000-names", 3, []cluster.TaskOption{cluster.Name("")}, kWork},
	} {
		b.Run(c.name, func(b *testing.B) {
			dsn := newDB(b)
			var n *cluster.Node
			for i := range c.replicas {
				n = openNode(b, dsn, cluster.Replica(fmt.Sprint("r", i)), cluster.MaxWorkers(benchWorkers))
			}
			g, err := cluster.NewGroup[mark](n, cluster.WithStrategy(strategy.WaitAll()))
			require.NoError(b, err)
			for i := range b.N {
				var opts []cluster.TaskOption
				if c.opts != nil {
					opts = append(opts, cluster.Name(fmt.Sprint("name-", i%10000)))
				}
				require.NoError(b, g.Add(fmt.Sprint(i), c.kind.Call(work{Seq: i}, opts...)))
			}
			b.ResetTimer()
			start := time.Now()
			_, err = g.Run(context.Background())
			require.NoError(b, err)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
		})
	}
}

// kBenchLimited is a kind whose cluster-wide limit is the sum of the
// benchmark's 3 replicas' limits.
var kBenchLimited = cluster.Register(kinds, "bench-limited", doWork, cluster.KindLimit(3*benchWorkers))

// waitCount polls query until it returns want.
func waitCount(b *testing.B, db *pgxpool.Pool, query string, want int) {
	eventually(b, func() bool {
		var got int
		require.NoError(b, db.QueryRow(context.Background(), query).Scan(&got))
		return got >= want
	}, "%d rows", want)
}

// BenchmarkFailFastPropagation: each iteration runs a fail_fast group of
// 12 tasks on 3 replicas of 4 workers, whose task 0 fails after 50 ms
// while the other 11 run; it reports the time from the decision (written
// with the failure) to each running task's context being cancelled, at
// the median and p99 over all iterations, and the worst.
func BenchmarkFailFastPropagation(b *testing.B) {
	dsn := newDB(b)
	var n *cluster.Node
	for i := range 3 {
		n = openNode(b, dsn, cluster.Replica(fmt.Sprint("r", i)), cluster.MaxWorkers(benchWorkers))
	}
	var lags []time.Duration
	b.ResetTimer()
	for range b.N {
		g, err := cluster.NewGroup[mark](n, cluster.WithStrategy(strategy.FailFast()))
		require.NoError(b, err)
		require.NoError(b, g.Add("fail", kWork.Call(work{Ms: 50, Fail: true})))
		for i := range 11 {
			require.NoError(b, g.Add(fmt.Sprint(i), kWork.Call(work{Ms: 10_000})))
		}
		res, err := g.Run(context.Background())
		require.Error(b, err)
		for _, r := range res.All() {
			if r.Output.Canceled != 0 {
				lags = append(lags, time.Unix(0, r.Output.Canceled).Sub(res.DecidedAt))
			}
		}
	}
	b.StopTimer()
	slices.Sort(lags)
	if len(lags) > 0 {
		b.ReportMetric(float64(percentile(lags, 0.5).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(percentile(lags, 0.99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "max-ms")
		b.ReportMetric(float64(len(lags)), "cancels")
	}
}
