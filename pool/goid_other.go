//go:build !amd64 && !arm64

package pool

import "runtime"

// goid returns the ID of the calling goroutine, from the first line of its
// stack trace ("goroutine 42 [running]:"): a few microseconds, more with a
// deep stack. amd64 and arm64 read a cheaper identity (see goid_asm.go).
func goid() uint64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	b := buf[:n]
	const prefix = "goroutine "
	if len(b) < len(prefix) {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
