package pool

import (
	"context"
	"iter"
	"unsafe"
)

// A line is a lane's FIFO of waiters. The lines of all of a tree's lanes
// keep their waiters in one store, the tree's lines, each line a list
// threaded through it by index.
//
// One store rather than a queue per lane, for locality (issue 14): with a
// thousand names each waited for by a hundred tasks, a queue per lane put
// every submit's write and every release's read in a different lane's
// memory, a cache miss each (about 45 ns at GOMAXPROCS=1, paid while
// holding tr.mu). In one store, waiters submitted one after another sit
// side by side whatever their names, and since tasks leave their lines
// roughly in the order they came, releases sweep it the same way.
type line struct {
	head, tail int32 // node indices plus one; 0 when empty
	n          int
}

// lines is the store: nodes in use or free. Free nodes wait in a FIFO
// list (through next), and a node is reused only once more than
// freeDelay others were freed after it; the store gives its memory back
// once no line holds a node (see reset).
//
// Why the delay (issue 14): a line's waiter is written by a submitter and
// freed by a worker finishing the name's holder, most often on another
// processor. Reused last-freed first, the node a submitter took next was
// the one a worker had just written, still in that worker's cache: reading
// its link cost a transfer between cores on every push (43 ns a push, 18%
// of the CPU profile of 1e5 tasks over 1e3 names at limit 8 on 2 cores).
// Nodes freed freeDelay frees ago have left the other core's first-level
// cache, and a store in steady use cycles through its memory in order.
type lines struct {
	nodes              []lineNode
	freeHead, freeTail int32 // the free list, oldest first; index plus one, 0 when none
	freeLen            int
	used               int
}

// freeDelay is how many freed nodes the store keeps before it reuses the
// oldest: 32 KB of nodes, about a first-level cache.
const freeDelay = 1024

// A lineNode is a waiter as a line stores it: 32 bytes, not 48. Its pool
// is in ref when the task has no named (a Go task with just a name), and
// its named's otherwise: only those two kinds of task wait in lines (a
// task in a line holds no lane, and is neither a resume nor a copy).
type lineNode struct {
	fn   func(ctx context.Context) error
	ref  unsafe.Pointer // the *Pool, tag 0, or the slot's *named, tag refNamed
	seq  uint64
	next int32 // the next node of its line, or of the free list; index plus one
	prio bool
}

// Len reports the waiters in l, withdrawn ones included.
func (l *line) Len() int { return l.n }

// push adds w at the back of l, and returns its node.
func (s *lines) push(l *line, w waiter) int32 {
	i := s.alloc(w)
	s.link(&l.head, &l.tail, i)
	l.n++
	return i
}

// link appends node i to the list from *head to *tail.
func (s *lines) link(head, tail *int32, i int32) {
	if *tail != 0 {
		s.nodes[*tail-1].next = i
	} else {
		*head = i
	}
	*tail = i
}

// insertAfter adds w to l just after the node after (at the front when
// after is 0), and returns its node.
func (s *lines) insertAfter(l *line, after int32, w waiter) int32 {
	i := s.alloc(w)
	if after == 0 {
		s.nodes[i-1].next = l.head
		l.head = i
	} else {
		s.nodes[i-1].next = s.nodes[after-1].next
		s.nodes[after-1].next = i
	}
	if l.tail == after {
		l.tail = i
	}
	l.n++
	return i
}

// alloc stores w in a node of no line yet, and returns the node.
func (s *lines) alloc(w waiter) int32 {
	ref := w.s.ref
	switch uintptr(ref) & refTag {
	case 0:
		if ref != nil {
			panic("pool: internal error: a task holding its name waits in a line")
		}
		ref = unsafe.Pointer(w.p)
	case refNamed:
	default:
		panic("pool: internal error: a resume or a copied entry waits in a line")
	}
	var i int32
	if s.freeLen > freeDelay {
		i = s.freeHead
		s.freeHead = s.nodes[i-1].next
		s.freeLen--
	} else {
		s.nodes = append(s.nodes, lineNode{})
		i = int32(len(s.nodes))
	}
	s.nodes[i-1] = lineNode{fn: w.s.fn, ref: ref, seq: w.seq, prio: w.prio}
	s.used++
	return i
}

// frontLive reports whether the front of l, which is not empty, still
// waits (see waiter.live).
func (s *lines) frontLive(l *line) bool {
	ref := s.nodes[l.head-1].ref
	return uintptr(ref)&refTag != refNamed || (*named)(unsafe.Add(ref, -refNamed)).inLane
}

// waiter returns the waiter nd stores.
func (nd *lineNode) waiter() waiter {
	w := waiter{s: slot{fn: nd.fn, ref: nd.ref}, seq: nd.seq, prio: nd.prio}
	if nd.ref != nil && uintptr(nd.ref)&refTag == 0 {
		w.p, w.s.ref = (*Pool)(nd.ref), nil
	} else {
		w.p = (*named)(unsafe.Add(nd.ref, -refNamed)).pool
	}
	return w
}

// waiters returns the waiters of l, from the front, withdrawn ones
// included (see waiter.live). l must not change while they are walked.
func (s *lines) waiters(l *line) iter.Seq[*waiter] {
	return func(yield func(*waiter) bool) {
		for i := l.head; i != 0; i = s.nodes[i-1].next {
			w := s.nodes[i-1].waiter()
			if !yield(&w) {
				return
			}
		}
	}
}

// pop removes and returns the front of l, which is not empty.
func (s *lines) pop(l *line) waiter {
	i := l.head
	nd := &s.nodes[i-1]
	w := nd.waiter()
	l.head = nd.next
	if l.head == 0 {
		l.tail = 0
	}
	l.n--
	*nd = lineNode{} // let the garbage collector have what w points to
	s.link(&s.freeHead, &s.freeTail, i)
	s.freeLen++
	s.used--
	return w
}

// reset gives the store's memory back when no line holds a node, and
// reports whether it did. Called when the tree goes idle.
func (s *lines) reset() bool {
	if s.used > 0 {
		return false
	}
	*s = lines{}
	return true
}

// has reports whether l holds a live waiter of pool p numbered up to mark.
// The deadlock search uses it, on a slow path.
func (s *lines) has(l *line, p *Pool, mark uint64) bool {
	for w := range s.waiters(l) {
		if w.p == p && w.seq <= mark && w.live() {
			return true
		}
	}
	return false
}

// nameds returns the waiters of l, from the front, as the named of each
// one's task: nil for a Go task with just a name. Withdrawn waiters are
// included (see waiter.live). l must not change while they are walked.
func (s *lines) nameds(l *line) iter.Seq[*named] {
	return func(yield func(*named) bool) {
		for i := l.head; i != 0; i = s.nodes[i-1].next {
			var n *named
			if ref := s.nodes[i-1].ref; uintptr(ref)&refTag == refNamed {
				n = (*named)(unsafe.Add(ref, -refNamed))
			}
			if !yield(n) {
				return
			}
		}
	}
}
