package lock

import "github.com/braid-go/braid/internal/lockline"

// The pool's deadlock search reads the lines of its table (see package
// lockline): a task queued behind a request that can never be granted
// cannot be granted either, since the table grants in line order.
func init() { lockline.Register(waiting) }

// waiting returns the Grantees of the requests waiting for key, front of
// the line first: those made with AcquireNotify or Enqueue (AcquireAll's
// have none, and are left out).
func waiting(t *Names, key string) []Grantee {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.names[key]
	if n == nil {
		return nil
	}
	out := make([]Grantee, 0, len(n.waiting))
	for _, r := range n.waiting {
		if r.notify != nil {
			out = append(out, r.notify)
		}
	}
	return out
}
