package pglock

import (
	"fmt"
	"hash"
	"hash/fnv"
)

// nameKey is the advisory lock key of a name: a 64-bit FNV-1a hash of the
// namespace and the name. Two names share a lock only if their hashes
// collide, with a chance of about n²/2⁶⁵ among n names.
func nameKey(namespace, name string) int64 {
	h := fnv.New64a()
	hashName(h, namespace, name)
	return int64(h.Sum64())
}

// semGroup is the first half of a semaphore's slot keys (group, slot).
// Two-part keys live apart from the single 64-bit keys of names in
// PostgreSQL's lock table, so a slot never collides with a name; two
// semaphores collide only if their 32-bit groups do.
func semGroup(namespace, name string) int32 {
	h := fnv.New32a()
	hashName(h, namespace, name)
	return int32(h.Sum32())
}

// semChannel is the LISTEN/NOTIFY channel of a semaphore's waiters.
func semChannel(group int32) string { return fmt.Sprintf("braid_sem_%08x", uint32(group)) }

// hashName feeds the namespace and the name, apart, to h.
func hashName(h hash.Hash, namespace, name string) {
	h.Write([]byte(namespace))
	h.Write([]byte{0})
	h.Write([]byte(name))
}
