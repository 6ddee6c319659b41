package pool_test

import "time"

const time1s = time.Second

// sleep advances a synctest bubble's fake clock; it is never used to wait
// for another goroutine.
func sleep(d time.Duration) { time.Sleep(d) }
