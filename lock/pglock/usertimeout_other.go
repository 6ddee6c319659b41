//go:build !linux

package pglock

import "time"

// setUserTimeout does nothing where TCP_USER_TIMEOUT is not known:
// keepalives alone bound an idle connection there.
func setUserTimeout(uintptr, time.Duration) error { return nil }
