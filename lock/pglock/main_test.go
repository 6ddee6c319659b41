package pglock_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/braid-go/braid/lock/pglock/pgtest"
)

// TestMain first lets the binary act as a worker process of a
// cross-process test (see worker_test.go), which must happen before the
// tests run; then it runs the tests against a PostgreSQL server shared by
// all of them, and checks that no goroutine outlives them.
func TestMain(m *testing.M) {
	if role := os.Getenv(workerEnv); role != "" {
		os.Exit(runWorker(role))
	}
	goleak.VerifyTestMain(pgtest.Main(m))
}
