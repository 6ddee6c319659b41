package main

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun checks the whole output. The services answer in turns the group
// gives; only the timeout is a matter of time, and inside the bubble time
// moves only when every goroutine is blocked: the timeout passes after the
// first two answers, however slow the machine.
func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out strings.Builder
		require.NoError(t, run(&out))
		require.Equal(t, want, out.String())
	})
}

const want = `wait_all: the group failed: task "geocoder": 503 service unavailable
  geocoder  Failed     503 service unavailable
  weather   Succeeded  12°C, light rain
  traffic   Succeeded  A1 clear, 25 min
  on_error: 1 failed: geocoder

fail_fast: the group failed: task "geocoder": 503 service unavailable
  geocoder  Failed     503 service unavailable
  weather   Canceled   context canceled
  traffic   Canceled   context canceled
  on_error: 1 failed: geocoder

best_effort: the group succeeded
  geocoder  Failed     503 service unavailable
  weather   Succeeded  12°C, light rain
  traffic   Succeeded  A1 clear, 25 min
  on_success: outputs of traffic, weather

race: the group succeeded
  geocoder  Failed     503 service unavailable
  weather   Succeeded  12°C, light rain
  traffic   Canceled   context canceled
  winner: weather (12°C, light rain)
  on_success: outputs of weather

wait_all with a timeout of 100ms, traffic hangs: the group failed: parallel: group timed out: context deadline exceeded; task "geocoder": 503 service unavailable
  geocoder  Failed     503 service unavailable
  weather   Succeeded  12°C, light rain
  traffic   TimedOut   context deadline exceeded
  on_error: 1 failed: geocoder
  errors.Is(err, context.DeadlineExceeded): true
`
