package pool

import (
	"sync"
	"testing"
)

// TestGoidIsAGoroutineIdentity: the same for a goroutine's whole life
// (across calls and a grown stack), different for every live goroutine.
func TestGoidIsAGoroutineIdentity(t *testing.T) {
	me := goid()
	if me == 0 {
		t.Fatal("goid is 0")
	}
	var deep func(int) uint64
	deep = func(n int) uint64 {
		var pad [256]byte // grow the stack, which may move it
		if n == 0 {
			return goid() + uint64(pad[0])
		}
		return deep(n - 1)
	}
	if got := deep(200); got != me {
		t.Fatalf("goid changed within one goroutine: %d, then %d", me, got)
	}
	const n = 64
	ids := make(chan uint64, n)
	var wg sync.WaitGroup
	hold := make(chan struct{})
	for range n {
		wg.Go(func() {
			ids <- goid()
			<-hold // all alive at once
		})
	}
	seen := map[uint64]bool{me: true}
	for range n {
		id := <-ids
		if seen[id] {
			t.Fatalf("two live goroutines share the identity %d", id)
		}
		seen[id] = true
	}
	close(hold)
	wg.Wait()
}
