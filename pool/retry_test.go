package pool_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

var errFlaky = errors.New("flaky")

// failing returns a task that fails its first n runs, counting them in
// *runs, then succeeds.
func failing(n int, runs *int) func(context.Context) error {
	return func(context.Context) error {
		*runs++
		if *runs <= n {
			return errFlaky
		}
		return nil
	}
}

func TestRetrySucceedsAfterFailures(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var c events
		retry := pool.Retry(pool.RetryPolicy{Attempts: 3, Backoff: time.Second})
		p := newPool(t, pool.WithMiddleware(retry), pool.OnEvent(c.hook))
		runs := 0
		start := time.Now()
		task := mustSubmit(t, p, context.Background(), failing(2, &runs))
		require.NoError(t, task.Wait(context.Background()))
		require.Equal(t, 3, runs)
		require.Equal(t, 3*time.Second, time.Since(start), "waits of 1s then 2s")
		require.NoError(t, p.Wait())

		var seen []string
		for _, e := range c.find(func(pool.Event) bool { return true }) {
			s := e.State.String()
			if e.Attempt > 0 {
				s += " attempt " + string(rune('0'+e.Attempt))
			}
			if e.Err != nil {
				s += ": " + e.Err.Error()
			}
			seen = append(seen, s)
		}
		require.Equal(t, []string{
			"Waiting", "Running",
			"Blocked: flaky", "Running attempt 2",
			"Blocked: flaky", "Running attempt 3",
			"Succeeded",
		}, seen)
	})
}

func TestRetryGivesUpAfterAttempts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.WithMiddleware(pool.Retry(pool.RetryPolicy{Attempts: 2, Backoff: time.Second, MaxBackoff: time.Second})))
		runs := 0
		task := mustSubmit(t, p, context.Background(), failing(5, &runs))
		require.Equal(t, errFlaky, task.Wait(context.Background()), "the last attempt's error, as it is")
		require.Equal(t, 2, runs)
		require.Equal(t, pool.Failed, task.State())
		s := p.Stats()
		require.Equal(t, uint64(1), s.Failed, "the pool counts the task once, by its final outcome")
		require.Equal(t, uint64(1), s.Submitted)
	})
}

func TestRetryOnlyRetryableErrors(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		fatal := errors.New("fatal")
		retry := pool.Retry(pool.RetryPolicy{Attempts: 5, Retryable: func(err error) bool { return !errors.Is(err, fatal) }})
		p := newPool(t, pool.WithMiddleware(retry))
		runs := 0
		mustGo(t, p, func(context.Context) error {
			runs++
			if runs == 2 {
				return fatal
			}
			return errFlaky
		})
		require.ErrorIs(t, p.Wait(), fatal)
		require.Equal(t, 2, runs, "stopped at the first error the predicate refuses")
	})
}

func TestRetryNeverRetriesAPanic(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.WithMiddleware(pool.Retry(pool.RetryPolicy{Attempts: 3})))
	runs := 0
	mustGo(t, p, func(context.Context) error { runs++; panic("boom") })
	var pe *pool.PanicError
	require.ErrorAs(t, p.Wait(), &pe)
	require.Equal(t, 1, runs)
}

func TestRetryStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.WithMiddleware(pool.Retry(pool.RetryPolicy{Attempts: 3, Backoff: time.Hour})))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		runs := 0
		start := time.Now()
		task := mustSubmit(t, p, ctx, failing(5, &runs))
		err := task.Wait(context.Background())
		require.Equal(t, time.Minute, time.Since(start), "the wait ends with the context, not after the backoff")
		require.Equal(t, 1, runs)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorIs(t, err, errFlaky, "the last attempt's error is kept")
		require.Equal(t, pool.TimedOut, task.State())
	})
}

func TestRetryGivesTheSlotBackWhileWaiting(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1), pool.WithMiddleware(pool.Retry(pool.RetryPolicy{Attempts: 2, Backoff: time.Minute})))
		runs := 0
		var other time.Duration
		start := time.Now()
		first := mustSubmit(t, p, context.Background(), failing(1, &runs))
		second := mustSubmit(t, p, context.Background(), func(context.Context) error {
			other = time.Since(start)
			return nil
		})
		require.NoError(t, first.Wait(context.Background()))
		require.NoError(t, second.Wait(context.Background()))
		require.Zero(t, other, "the other task ran during the backoff, at limit 1")
		require.Equal(t, time.Minute, time.Since(start))
	})
}

func TestRetryJitterShortensWaits(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.WithMiddleware(pool.Retry(pool.RetryPolicy{Attempts: 2, Backoff: time.Minute, Jitter: 0.5})))
		for range 20 {
			runs := 0
			start := time.Now()
			task := mustSubmit(t, p, context.Background(), failing(1, &runs))
			require.NoError(t, task.Wait(context.Background()))
			waited := time.Since(start)
			require.GreaterOrEqual(t, waited, 30*time.Second)
			require.LessOrEqual(t, waited, time.Minute)
		}
	})
}

func TestRetryBackoffIsCapped(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.WithMiddleware(pool.Retry(pool.RetryPolicy{Attempts: 5, Backoff: time.Second, MaxBackoff: 3 * time.Second})))
		runs := 0
		start := time.Now()
		mustGo(t, p, failing(4, &runs))
		require.NoError(t, p.Wait())
		require.Equal(t, (1+2+3+3)*time.Second, time.Since(start))
	})
}

func TestRetryRejectsABadPolicy(t *testing.T) {
	t.Parallel()
	for _, bad := range []pool.RetryPolicy{
		{Attempts: 0},
		{Attempts: 2, Backoff: -time.Second},
		{Attempts: 2, MaxBackoff: -time.Second},
		{Attempts: 2, Jitter: 1.5},
		{Attempts: 2, Jitter: -0.1},
	} {
		require.Panics(t, func() { pool.Retry(bad) }, "%+v", bad)
	}
}

// TestRetryHugeBackoffDoesNotWrap: a wait that doubling would take past
// the largest Duration stays where it is; it used to wrap negative at
// exactly 2^62 ns, and the retry after it came at once.
func TestRetryHugeBackoffDoesNotWrap(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.WithMiddleware(pool.Retry(pool.RetryPolicy{Attempts: 3, Backoff: 1 << 62})))
		start := time.Now()
		var at []time.Duration
		task := mustSubmit(t, p, context.Background(), func(context.Context) error {
			at = append(at, time.Since(start))
			return errFlaky
		})
		ctx, cancel := context.WithTimeout(context.Background(), 1<<62+time.Hour)
		defer cancel()
		require.ErrorIs(t, task.Wait(ctx), context.DeadlineExceeded)
		task.Cancel()
		<-task.Done()
		require.Equal(t, []time.Duration{0, 1 << 62}, at, "the third attempt waits too")
		require.NoError(t, p.Wait(), "Submit tasks' errors stay with their handles")
	})
}
