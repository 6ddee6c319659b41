// Package deque provides a double-ended queue on a ring buffer.
//
// It is the queue under every braid pool: pushing and popping at either end
// is O(1) and allocation-free once the ring has grown to the working size,
// and the ring shrinks again when it is mostly empty, so a burst of a million
// queued tasks does not pin a million slots for the pool's lifetime.
//
// A Deque is not safe for concurrent use; its owner holds a lock around it.
package deque

// minCap is the smallest ring a non-empty Deque holds. It must be a power of
// two so that index arithmetic can use a mask instead of a modulo.
const minCap = 16

// maxIdleCap is the most a Deque keeps once it has emptied: a burst of a
// million entries does not pin a million slots after it has drained.
const maxIdleCap = 1 << 16

// Deque is a double-ended queue. The zero value is an empty deque ready to use.
type Deque[T any] struct {
	buf  []T
	head int // index of the front element
	n    int // number of elements
	low  int // pops in a row made at a quarter full or less
}

// Len reports the number of elements.
func (d *Deque[T]) Len() int { return d.n }

// PushBack adds v at the back.
func (d *Deque[T]) PushBack(v T) {
	d.grow()
	d.buf[(d.head+d.n)&(len(d.buf)-1)] = v
	d.n++
}

// PushFront adds v at the front.
func (d *Deque[T]) PushFront(v T) {
	d.grow()
	d.head = (d.head - 1) & (len(d.buf) - 1)
	d.buf[d.head] = v
	d.n++
}

// Front returns the front element without removing it. It panics on an
// empty deque, as indexing an empty slice would.
func (d *Deque[T]) Front() T {
	if d.n == 0 {
		panic("deque: Front of empty deque")
	}
	return d.buf[d.head]
}

// PopFront removes and returns the front element. It panics on an empty deque.
func (d *Deque[T]) PopFront() T {
	if d.n == 0 {
		panic("deque: PopFront of empty deque")
	}
	var zero T
	v := d.buf[d.head]
	d.buf[d.head] = zero // let the garbage collector have what v points to
	d.head = (d.head + 1) & (len(d.buf) - 1)
	d.n--
	d.shrink()
	return v
}

// grow makes room for one more element, doubling the ring when it is full.
func (d *Deque[T]) grow() {
	if d.n < len(d.buf) {
		return
	}
	d.resize(max(minCap, 2*len(d.buf)))
}

// shrink halves the ring once it has stayed at most a quarter full for as
// many pops as it has slots, so that memory follows a queue down after a
// burst. The delay matters: a pool that is filled and drained over and over
// (a batch of tasks, then Wait, then the next batch) would otherwise
// shrink the ring on every drain and grow it again on every fill, copying
// and clearing the whole ring each time. An empty ring larger than
// maxIdleCap is cut down at once.
func (d *Deque[T]) shrink() {
	if len(d.buf) <= minCap {
		return
	}
	if d.n == 0 && len(d.buf) > maxIdleCap {
		d.resize(maxIdleCap)
		return
	}
	if d.n > len(d.buf)/4 {
		d.low = 0
		return
	}
	d.low++
	if d.low >= len(d.buf) {
		d.low = 0
		d.resize(len(d.buf) / 2)
	}
}

func (d *Deque[T]) resize(size int) {
	buf := make([]T, size)
	if d.n > 0 {
		end := d.head + d.n
		if end <= len(d.buf) {
			copy(buf, d.buf[d.head:end])
		} else {
			k := copy(buf, d.buf[d.head:])
			copy(buf[k:], d.buf[:end-len(d.buf)])
		}
	}
	d.buf, d.head = buf, 0
}
