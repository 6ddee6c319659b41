package pglock_test

// workerEnv names the role a re-executed test binary plays.
const workerEnv = "BRAID_PGLOCK_WORKER"

func runWorker(role string) int { return 2 }
