package pglock

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Kinds of advisory lock key, hashed in front of the rest, so that a
// name, a semaphore's slot, its turnstile and its channel never share an
// encoding.
const (
	kindName      = 'n'
	kindSlot      = 's'
	kindTurnstile = 't'
	kindChannel   = 'c'
)

// keyOf is the 64-bit advisory lock key of a kind of object called name
// in namespace (and, for a slot, its number): the first 8 bytes of an
// HMAC-SHA-256 under the deployment's HashKey, of an encoding that gives
// every field its length, so that no two (namespace, name) pairs encode
// alike. Two names collide by chance with a probability of about n²/2⁶⁵
// among n. Without a secret key, whoever chooses names can search for a
// colliding pair offline (about 2³² hashes); with one, they cannot
// compute keys at all.
func keyOf(hashKey []byte, kind byte, namespace, name string, slot int) int64 {
	m := hmac.New(sha256.New, hashKey)
	buf := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(namespace)+len(name))
	buf = append(buf, kind)
	buf = binary.AppendUvarint(buf, uint64(len(namespace)))
	buf = append(buf, namespace...)
	buf = binary.AppendUvarint(buf, uint64(len(name)))
	buf = append(buf, name...)
	buf = binary.AppendUvarint(buf, uint64(slot))
	m.Write(buf)
	return int64(binary.BigEndian.Uint64(m.Sum(nil)))
}

// nameKey is the advisory lock key of a name.
func (c *config) nameKey(name string) int64 {
	if c.keyFunc != nil {
		return c.keyFunc(c.namespace, name)
	}
	return keyOf(c.hashKey, kindName, c.namespace, name, 0)
}

// semChannel is the LISTEN/NOTIFY channel of a semaphore's waiters.
func (c *config) semChannel(name string) string {
	return fmt.Sprintf("braid_sem_%016x", uint64(keyOf(c.hashKey, kindChannel, c.namespace, name, 0)))
}
