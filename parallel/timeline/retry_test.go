package timeline_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
)

// A retried task shows each attempt: a Running span per attempt, the
// retry's number on each but the first, and the waits between as Blocked
// spans carrying the failed attempt's error.
func TestRetryAttemptsAreSpans(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var rec timeline.Recorder
		retry := pool.Retry(pool.RetryPolicy{Attempts: 3, Backoff: time.Second})
		p, err := pool.New(pool.OnEvent(rec.Hook), pool.WithMiddleware(retry))
		require.NoError(t, err)
		defer func() { _ = p.Close() }() // the test has checked what it needs; Close only lets the workers go
		runs := 0
		require.NoError(t, p.Go(func(context.Context) error {
			runs++
			time.Sleep(time.Second) // fake time: gives each attempt a width on the chart
			if runs < 3 {
				return errors.New("flaky")
			}
			return nil
		}, pool.Label("", "load")))
		require.NoError(t, p.Wait())

		tasks := rec.Tracks()
		require.Len(t, tasks, 1)
		var got []string
		for _, s := range tasks[0].Spans {
			g := s.State.String()
			if s.Attempt > 0 {
				g += " " + string(rune('0'+s.Attempt))
			}
			if s.Err != nil {
				g += " " + s.Err.Error()
			}
			got = append(got, g)
		}
		require.Equal(t, []string{"Waiting", "Running", "Blocked flaky", "Running 2", "Blocked flaky", "Running 3"}, got)

		var chart bytes.Buffer
		require.NoError(t, rec.WriteGantt(&chart, 40))
		row := strings.Split(chart.String(), "\n")[1]
		require.Regexp(t, `^load \|#+~+2#+~+3#+\| Succeeded$`, row)
		require.Contains(t, chart.String(), "2-9 retry attempt")

		var trace bytes.Buffer
		require.NoError(t, rec.WriteTrace(&trace))
		require.Contains(t, trace.String(), `"load (attempt 3)"`)
	})
}
