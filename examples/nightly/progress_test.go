package main

import (
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// progressOver runs progress for 3.475s of fake time, the count going up
// by one every 100ms from 50ms to 1.95s and then standing still, and
// returns what it printed. No change falls on a tick.
func progressOver(t *testing.T, terminal bool) string {
	var out strings.Builder
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		stop := make(chan struct{})
		done := progressTo(&out, terminal, func() string { return "done " + strconv.FormatInt(n.Load(), 10) }, stop)
		time.Sleep(50 * time.Millisecond) // fake time in the bubble: the sleeps are the time passing, not waits for events
		for i := range 20 {
			if i > 0 {
				time.Sleep(100 * time.Millisecond)
			}
			n.Add(1)
		}
		time.Sleep(1525 * time.Millisecond)
		close(stop)
		<-done
	})
	return out.String()
}

func TestProgressInALogIsPlainLines(t *testing.T) {
	got := progressOver(t, false)
	require.NotContains(t, got, "\r")
	// Once a second, only when changed, and the final line only if it
	// says something new.
	require.Equal(t, "done 10\ndone 20\n", got)
}

func TestProgressOnATerminalRewritesOneLine(t *testing.T) {
	got := progressOver(t, true)
	require.NotContains(t, strings.TrimSuffix(got, "\n"), "\n", "one line, rewritten")
	require.True(t, strings.HasPrefix(got, "\r"))
	require.True(t, strings.HasSuffix(got, "\rdone 20\n"))
	require.Equal(t, 69+1, strings.Count(got, "\r"), "every 50ms for 3.475s, then the final line")
}
