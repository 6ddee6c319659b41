package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun checks the whole log: every line is fixed by the pool's
// guarantees (the limit, FIFO per name, priority), not by timing.
func TestRun(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(&out))
	require.Equal(t, `runner: 3 runs at once; the scheduler submits
   load-orders #1, load-orders #2, export@eu, export@us, sales-report, inventory
1. started load-orders #1, export@eu, export@us
   3 running, 2 queued for a slot, 1 waiting for its job's name
2. the UI submits dedupe, with priority
   3 running, 3 queued for a slot, 1 waiting for its job's name
3. load-orders #1 ends: started dedupe (UI); load-orders #2 has its name now and queues for a slot
4. export@eu ends: started sales-report
5. export@us ends: started inventory
6. dedupe (UI) ends: started load-orders #2
7. sales-report, inventory and load-orders #2 end: the queue is empty

peak runs at once: 3 (limit 3)
peak load-orders runs at once: 1; peak export instances at once: 2
`, out.String())
}
