//go:build amd64 || arm64

package pool

// getg returns the address of the calling goroutine's runtime descriptor,
// read from where the runtime keeps it (thread-local storage on amd64, the
// g register on arm64). It is only compared, never dereferenced: a
// goroutine's descriptor does not move while the goroutine lives, and no
// two live goroutines share one.
func getg() uintptr

// goid returns an identity of the calling goroutine, the same for its
// whole life and different from every other live goroutine's: a few
// nanoseconds, where reading the ID from a stack trace costs microseconds
// and grows with the depth of the stack.
func goid() uint64 { return uint64(getg()) }
