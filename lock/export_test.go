package lock

// Held reports, by name, how many holders each name has now: what the
// table has granted, for tests that check that a waiting request holds
// none of its names.
func Held(t *Names) map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]int{}
	for k, n := range t.names {
		if n.held > 0 {
			out[k] = n.held
		}
	}
	return out
}
