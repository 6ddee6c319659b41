package deque_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/braid-go/braid/internal/deque"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestAgainstSlice drives a Deque and a plain slice model through the same
// mixed operations, across many grow and shrink boundaries.
func TestAgainstSlice(t *testing.T) {
	t.Parallel()
	var d deque.Deque[int]
	var model []int
	next := 0
	step := func(op int) {
		switch op {
		case 0:
			d.PushBack(next)
			model = append(model, next)
			next++
		case 1:
			d.PushFront(next)
			model = append([]int{next}, model...)
			next++
		case 2:
			if len(model) > 0 {
				require.Equal(t, model[0], d.Front())
				require.Equal(t, model[0], d.PopFront())
				model = model[1:]
			}
		}
		require.Equal(t, len(model), d.Len())
		if next%1009 == 0 { // now and then, walk it all
			require.Equal(t, model, append([]int{}, slices.Collect(d.All())...))
		}
	}
	// Grow to a few thousand with a bias towards pushes, then drain with a
	// bias towards pops, so the ring wraps, doubles and halves many times.
	seed := uint32(7)
	rnd := func() int { seed = seed*1664525 + 1013904223; return int(seed >> 16) }
	for range 15000 {
		step([]int{0, 0, 1, 2}[rnd()%4])
	}
	for range 24000 {
		step([]int{0, 2, 2, 2}[rnd()%4])
	}
	for d.Len() > 0 {
		step(2)
	}
}

func TestEmptyPanics(t *testing.T) {
	t.Parallel()
	var d deque.Deque[string]
	require.PanicsWithValue(t, "deque: PopFront of empty deque", func() { d.PopFront() })
	require.PanicsWithValue(t, "deque: Front of empty deque", func() { d.Front() })
}

func TestPushPopAllocationFree(t *testing.T) {
	var d deque.Deque[int]
	for i := range 64 {
		d.PushBack(i)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		d.PushBack(1)
		d.PopFront()
	})
	require.Zero(t, allocs)
}

// TestRefillDoesNotReallocate: filling and draining the same deque again
// and again (a batch, then the next) keeps its ring instead of shrinking
// and regrowing it every time.
func TestRefillDoesNotReallocate(t *testing.T) {
	var d deque.Deque[int]
	fill := func() {
		for i := range 10_000 {
			d.PushBack(i)
		}
		for d.Len() > 0 {
			d.PopFront()
		}
	}
	fill()
	require.Zero(t, testing.AllocsPerRun(20, fill))
}

// TestShrinksAfterABurst: after a burst drains, the deque keeps its chunks
// for the next burst until its owner trims it, or until it has stayed
// mostly empty for long.
func TestShrinksAfterABurst(t *testing.T) {
	var d deque.Deque[int]
	for i := range 200_000 {
		d.PushBack(i)
	}
	for d.Len() > 0 {
		d.PopFront()
	}
	require.GreaterOrEqual(t, deque.Cap(&d), 200_000, "emptied: kept for the next burst")
	const keep = 1 << 16
	d.TrimTo(keep)
	require.LessOrEqual(t, deque.Cap(&d), keep)
	require.Greater(t, deque.Cap(&d), keep/2)
	d.TrimTo(0)
	require.LessOrEqual(t, deque.Cap(&d), deque.ChunkLen[int](), "trimmed: one chunk at most")
	for i := range 200_000 {
		d.PushBack(i)
	}
	for d.Len() > 0 {
		d.PopFront()
	}
	// A trickle of one element at a time keeps shrinking it further.
	for i := range 1 << 20 {
		d.PushBack(i)
		d.PopFront()
	}
	require.LessOrEqual(t, deque.Cap(&d), deque.ChunkLen[int](), "one chunk at most")
}

// TestChunkedGrowth: the slots held follow the length within one chunk,
// whatever the length (a ring that doubles holds up to twice it), and a
// small queue stays small.
func TestChunkedGrowth(t *testing.T) {
	var small deque.Deque[int]
	for i := range 5 {
		small.PushBack(i)
	}
	require.Equal(t, 16, deque.Cap(&small))
	for _, n := range []int{100_000, 300_000, 600_000, 1_000_000} {
		var d deque.Deque[int]
		for i := range n {
			d.PushBack(i)
		}
		require.LessOrEqual(t, deque.Cap(&d), n+deque.ChunkLen[int](), "n=%d", n)
		for i := range n {
			require.Equal(t, i, d.PopFront())
		}
	}
}

// TestPushFrontOnEmpty: a PushFront on an emptied deque, then pops and
// pushes at the back, keep the order.
func TestPushFrontOnEmpty(t *testing.T) {
	var d deque.Deque[int]
	d.PushBack(1)
	d.PopFront()
	d.PushFront(0)
	d.PushBack(1)
	require.Equal(t, 0, d.PopFront())
	require.Equal(t, 1, d.PopFront())
	d.PushFront(5)
	require.Equal(t, 5, d.PopFront())
	require.Zero(t, d.Len())
}
