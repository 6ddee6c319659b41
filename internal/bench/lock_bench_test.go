package bench

import (
	"context"
	"sync"
	"testing"

	"github.com/braid-go/braid/lock"
)

// BenchmarkKeyedLock: an uncontended acquire and release of one name,
// against a plain sync.Mutex (the floor) and a map of mutexes behind a
// mutex (what services write by hand).
func BenchmarkKeyedLock(b *testing.B) {
	ctx := context.Background()
	b.Run("braid-names", func(b *testing.B) {
		names, _ := lock.NewNames()
		b.ReportAllocs()
		for range b.N {
			l, err := names.Acquire(ctx, "job")
			if err != nil {
				b.Fatal(err)
			}
			_ = l.Release()
		}
	})
	b.Run("sync-mutex", func(b *testing.B) {
		var mu sync.Mutex
		b.ReportAllocs()
		for range b.N {
			mu.Lock()
			//lint:ignore SA2001 the empty critical section is the point
			mu.Unlock() //nolint:staticcheck // the empty critical section is the point
		}
	})
	b.Run("map-of-mutexes", func(b *testing.B) {
		var mu sync.Mutex
		locks := map[string]*sync.Mutex{}
		b.ReportAllocs()
		for range b.N {
			mu.Lock()
			m := locks["job"]
			if m == nil {
				m = &sync.Mutex{}
				locks["job"] = m
			}
			mu.Unlock()
			m.Lock()
			//lint:ignore SA2001 the empty critical section is the point
			m.Unlock() //nolint:staticcheck // the empty critical section is the point
		}
	})
}
