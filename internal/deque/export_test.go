package deque

// Cap exposes the ring's size to the tests.
func Cap[T any](d *Deque[T]) int { return len(d.buf) }
