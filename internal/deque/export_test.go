package deque

import "unsafe"

// Cap exposes the slots held (in use and kept) to the tests.
func Cap[T any](d *Deque[T]) int { return d.slots }

// ChunkLen is the most elements a chunk of T holds.
func ChunkLen[T any]() int {
	var zero T
	return max(minChunk, chunkBytes/max(1, int(unsafe.Sizeof(zero))))
}
