package cluster_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/braid-go/braid/lock/pglock/pgtest"
)

// TestMain first lets the binary act as a replica process of a
// cross-process test (see replica_test.go); then it runs the tests
// against a PostgreSQL server shared by all of them, and checks that no
// goroutine outlives them.
func TestMain(m *testing.M) {
	if args := os.Getenv(replicaEnv); args != "" {
		os.Exit(runReplica(args))
	}
	goleak.VerifyTestMain(pgtest.Main(m))
}
