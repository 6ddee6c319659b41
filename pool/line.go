package pool

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

// lines is the store: nodes in use or free. Free nodes form a list
// (through next) that is reused last-freed first; the store gives its
// memory back once no line holds a node (see reset).
type lines struct {
	nodes []lineNode
	free  int32 // head of the free list, index plus one; 0 when none
	used  int
}

type lineNode struct {
	w    waiter
	next int32 // the next node of its line, or of the free list; index plus one
}

// Len reports the waiters in l, withdrawn ones included.
func (l *line) Len() int { return l.n }

// push adds w at the back of l.
func (s *lines) push(l *line, w waiter) {
	var i int32
	if s.free != 0 {
		i = s.free
		s.free = s.nodes[i-1].next
	} else {
		s.nodes = append(s.nodes, lineNode{})
		i = int32(len(s.nodes))
	}
	s.nodes[i-1] = lineNode{w: w}
	if l.tail != 0 {
		s.nodes[l.tail-1].next = i
	} else {
		l.head = i
	}
	l.tail = i
	l.n++
	s.used++
}

// pop removes and returns the front of l, which is not empty.
func (s *lines) pop(l *line) waiter {
	i := l.head
	nd := &s.nodes[i-1]
	w := nd.w
	l.head = nd.next
	if l.head == 0 {
		l.tail = 0
	}
	l.n--
	*nd = lineNode{next: s.free} // let the garbage collector have what w points to
	s.free = i
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
