// Package deque provides a double-ended queue of chunks.
//
// It is the queue under every braid pool: pushing and popping at either end
// is O(1) and allocation-free once the queue has grown to the working size,
// and it gives its memory back when it is mostly empty, so a burst of a
// million queued tasks does not pin a million slots for the pool's lifetime.
//
// It grows in chunks, not by doubling one ring (issue 14). A ring that
// doubles holds up to twice the slots it needs between two powers of two (a
// pool with 6e5 queued tasks held 79 B per task against 49 B at 1e6), and
// copies everything it holds at every doubling, so the cost per task of a
// queue grew with its length (ns/task rose about 35% from 1e3 to 1e6
// tasks). Chunks are at most chunkBytes each: the slack is at most one
// chunk, no element is ever copied once pushed, and a drained chunk is kept
// for the next burst instead of handed to the garbage collector.
//
// A Deque is not safe for concurrent use; its owner holds a lock around it.
package deque

import (
	"iter"
	"unsafe"
)

// minChunk is the fewest elements in a chunk. A queue's first chunks are
// small, and each new one is as large as all before it, up to chunkBytes:
// a pool or a name whose queue never holds more than a few entries (a
// thousand names each have one) costs no more than a small ring did.
const minChunk = 16

// chunkBytes bounds a chunk: 8 KiB is a size class of the Go allocator (no
// rounding waste), large enough that the chunk table (a slice header per
// chunk) costs under 0.3% of what it indexes and small enough that the
// slack (at most one chunk) is too. Measured with the pool's queue (a
// 16-byte slot a task): 16.09-16.15 B per queued task from N = 1e5 to 1e6. (With 24-byte slots, 64 KiB chunks gave 24.03-24.64
// against 24.06-24.15 for 8 KiB: less table, more slack at 1e5.)
const chunkBytes = 8192

// allocHeader is what Go's allocator (since Go 1.22) puts before an object
// larger than 512 bytes that holds pointers, to describe it. A chunk of
// exactly chunkBytes of such elements would go to the next size class
// (9 472 bytes): 16-byte slots cost 18.5 bytes each. So a full chunk holds
// the elements that fit in chunkBytes less the header; elements without
// pointers lose at most one or two slots a chunk to it.
const allocHeader = 8

// Deque is a double-ended queue. The zero value is an empty deque ready to use.
type Deque[T any] struct {
	chunks [][]T // chunks[first:] hold the elements, in order; each is full length
	first  int   // chunks before it are spent (nil), awaiting compaction
	head   int   // index of the front element in chunks[first]
	tail   int   // index after the back element in the last chunk
	n      int   // number of elements
	free   [][]T // emptied chunks kept for reuse
	slots  int   // slots in chunks and free together
	low    int   // pops in a row made at a quarter full or less
}

// Len reports the number of elements.
func (d *Deque[T]) Len() int { return d.n }

// All yields the elements from front to back. The deque must not change
// while it is walked.
func (d *Deque[T]) All() iter.Seq[T] {
	return func(yield func(T) bool) {
		left := d.n
		for i, c := range d.chunks[d.first:] {
			if i == 0 {
				c = c[d.head:]
			}
			for _, v := range c {
				if left == 0 || !yield(v) {
					return
				}
				left--
			}
		}
	}
}

// PushBack adds v at the back.
func (d *Deque[T]) PushBack(v T) {
	if d.first == len(d.chunks) || d.tail == len(d.chunks[len(d.chunks)-1]) {
		d.chunks = append(d.chunks, d.chunk())
		d.tail = 0
		if d.n == 0 {
			d.head = 0
		}
	}
	d.chunks[len(d.chunks)-1][d.tail] = v
	d.tail++
	d.n++
}

// PushFront adds v at the front.
func (d *Deque[T]) PushFront(v T) {
	if d.first == len(d.chunks) {
		d.PushBack(v)
		return
	}
	if d.head == 0 {
		c := d.chunk()
		if d.first > 0 {
			d.first--
			d.chunks[d.first] = c
		} else {
			d.chunks = append(d.chunks, nil)
			copy(d.chunks[1:], d.chunks)
			d.chunks[0] = c
		}
		d.head = len(c)
	}
	d.head--
	d.chunks[d.first][d.head] = v
	d.n++
}

// Front returns the front element without removing it. It panics on an
// empty deque, as indexing an empty slice would.
func (d *Deque[T]) Front() T {
	if d.n == 0 {
		panic("deque: Front of empty deque")
	}
	return d.chunks[d.first][d.head]
}

// PopFront removes and returns the front element. It panics on an empty deque.
func (d *Deque[T]) PopFront() T {
	if d.n == 0 {
		panic("deque: PopFront of empty deque")
	}
	var zero T
	c := d.chunks[d.first]
	v := c[d.head]
	c[d.head] = zero // let the garbage collector have what v points to
	d.head++
	d.n--
	switch {
	case d.n == 0:
		// Empty: keep one chunk and start it over, so that a queue that
		// goes from one element to none and back touches no table.
		// (After a PushFront the chunk at the back may be an empty one.)
		d.head, d.tail = 0, 0
		d.free = append(d.free, d.chunks[d.first+1:]...)
		clear(d.chunks)
		d.chunks[0] = c
		d.chunks, d.first = d.chunks[:1], 0
	case d.head == len(c):
		d.retire()
	}
	d.shrink()
	return v
}

// chunk returns an empty chunk for the back (or front): a kept one, or a
// new one as large as the deque so far (so small queues stay small and
// large ones grow in a few steps), at most chunkBytes.
func (d *Deque[T]) chunk() []T {
	if k := len(d.free); k > 0 {
		c := d.free[k-1]
		d.free[k-1] = nil
		d.free = d.free[:k-1]
		return c
	}
	var zero T
	most := max(minChunk, (chunkBytes-allocHeader)/max(1, int(unsafe.Sizeof(zero))))
	size := min(most, max(minChunk, d.slots))
	d.slots += size
	return make([]T, size)
}

// retire moves the spent front chunk to the free list. The table of chunks
// is compacted when its spent prefix outgrows its live part, so that it
// neither grows for ever nor is copied on every retire.
func (d *Deque[T]) retire() {
	d.free = append(d.free, d.chunks[d.first])
	d.chunks[d.first] = nil
	d.first++
	d.head = 0
	if live := len(d.chunks) - d.first; d.first > live {
		copy(d.chunks, d.chunks[d.first:])
		clear(d.chunks[live:])
		d.chunks, d.first = d.chunks[:live], 0
	}
}

// shrink gives kept chunks back once the deque has stayed at most a quarter
// full for as many pops as it has slots, so that memory follows a queue
// down after a burst. The delay matters: a pool that is filled and drained
// over and over (a batch of tasks, then Wait, then the next batch) would
// otherwise give its chunks back on every drain and allocate them again on
// every fill. An owner that knows the queue is idle calls TrimTo.
func (d *Deque[T]) shrink() {
	if len(d.free) == 0 {
		return
	}
	if d.n > d.slots/4 {
		d.low = 0
		return
	}
	d.low++
	if d.low >= d.slots {
		d.low = 0
		for half := d.slots / 2; d.slots > half && d.drop(); {
		}
	}
}

// TrimTo gives back kept chunks until the deque holds at most max slots (or
// nothing is kept any more). The owner calls it when the queue has gone
// idle, so that a burst of a million entries does not pin its memory for
// the pool's lifetime (TrimTo(0) once idle for good), and a trim to no
// bound restarts the count of pops made at a quarter full (see shrink).
func (d *Deque[T]) TrimTo(max int) {
	for d.slots > max && d.drop() {
	}
	d.low = 0
}

// drop lets the garbage collector have one kept chunk, reporting false when
// none is kept.
func (d *Deque[T]) drop() bool {
	k := len(d.free)
	if k == 0 {
		return false
	}
	d.slots -= len(d.free[k-1])
	d.free[k-1] = nil
	d.free = d.free[:k-1]
	return true
}
