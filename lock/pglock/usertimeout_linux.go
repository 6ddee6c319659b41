package pglock

import (
	"syscall"
	"time"
)

// tcpUserTimeout is TCP_USER_TIMEOUT of linux/tcp.h, which package
// syscall lacks on some architectures.
const tcpUserTimeout = 0x12

// setUserTimeout bounds how long data sent on the socket may stay
// unacknowledged before the kernel closes the connection.
func setUserTimeout(fd uintptr, d time.Duration) error {
	return syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout, int(d.Milliseconds()))
}
