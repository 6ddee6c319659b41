package pool

import (
	"hash/maphash"
	"iter"
)

// laneTable holds a tree's lanes by name: an open-addressed table with
// linear probing, whose keys are hashed outside tr.mu. Name hashes its key
// when the option is made, so a named submit finds its lane under the lock
// by one probe, most of the time, and a string comparison.
//
// It replaces a Go map, whose lookup hashed the key under tr.mu: in
// BenchmarkNames (1e5 tasks over 1e3 names, limit 8, 2 cores) that lookup
// was 12% of the CPU profile, and every nanosecond of it lengthened the
// critical section that the submitter and the workers contend for.
//
// Lanes leave the table only in bulk (see tree.sweepLanes), so removal is
// a rebuild from the lanes kept, at their size, and the table needs no
// tombstones; a table emptied of a burst of names gives its memory back.
type laneTable struct {
	slots []laneSlot // a power of two in length; nil while empty
	n     int        // lanes in the table
}

// A laneSlot is one place in a laneTable: a lane and its name's hash,
// compared before the lane is followed to compare its key.
type laneSlot struct {
	hash uint64
	l    *lane // nil: an empty slot
}

// laneSeed is the seed of every tree's lane hashes: a name's hash is made
// when its option is, before any tree is known.
var laneSeed = maphash.MakeSeed()

// laneHash returns the hash under which key's lane is kept.
func laneHash(key string) uint64 { return maphash.String(laneSeed, key) }

// len returns how many lanes t holds.
func (t *laneTable) len() int { return t.n }

// get returns the lane of key, whose hash is h, or nil.
func (t *laneTable) get(key string, h uint64) *lane {
	if t.n == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.l == nil {
			return nil
		}
		if s.hash == h && s.l.key == key {
			return s.l
		}
	}
}

// put adds l, whose key is not in t, under its hash l.hash. The table is
// kept at most half full, so that a miss ends at an empty slot soon.
func (t *laneTable) put(l *lane) {
	if 2*(t.n+1) > len(t.slots) {
		t.rebuild(t.slots, t.n+1)
	}
	t.place(laneSlot{l.hash, l})
	t.n++
}

// place puts s in the first empty slot of its probe sequence.
func (t *laneTable) place(s laneSlot) {
	mask := uint64(len(t.slots) - 1)
	i := s.hash & mask
	for t.slots[i].l != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

// rebuild makes t a table for n lanes, a quarter full, and puts in it the
// lanes of old.
func (t *laneTable) rebuild(old []laneSlot, n int) {
	size := 8
	for size < 4*n {
		size *= 2
	}
	t.slots = make([]laneSlot, size)
	for _, s := range old {
		if s.l != nil {
			t.place(s)
		}
	}
}

// keep drops every lane for which drop reports true, in no particular
// order, and sizes the table to the lanes left. A lane dropped from a
// probe sequence would cut it short, hence the rebuild.
func (t *laneTable) keep(drop func(*lane) bool) {
	old, n := t.slots, 0
	for i := range old {
		if s := &old[i]; s.l != nil {
			if drop(s.l) {
				s.l = nil
			} else {
				n++
			}
		}
	}
	if n == t.n {
		return
	}
	t.n = n
	if n == 0 {
		t.slots = nil
		return
	}
	t.rebuild(old, n)
}

// all returns t's lanes, in no particular order. The table must not change
// while they are walked.
func (t *laneTable) all() iter.Seq[*lane] {
	return func(yield func(*lane) bool) {
		for _, s := range t.slots {
			if s.l != nil && !yield(s.l) {
				return
			}
		}
	}
}
