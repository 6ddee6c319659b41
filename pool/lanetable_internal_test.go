package pool

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLaneTableAgreesWithAMap: random puts, lookups and bulk drops, with
// keys from a small set (so that probe sequences collide and wrap) and
// hashes cut to a few values on some rounds (so that equal hashes of
// different keys meet), always agree with a Go map, and a table emptied
// by its drops gives its slots back.
func TestLaneTableAgreesWithAMap(t *testing.T) {
	for round := range 200 {
		rng := rand.New(rand.NewPCG(uint64(round), 7))
		hash := laneHash
		if round%2 == 1 {
			hash = func(key string) uint64 { return laneHash(key) % 5 }
		}
		var tab laneTable
		want := map[string]*lane{}
		for range 400 {
			key := fmt.Sprint("k", rng.IntN(60))
			switch op := rng.IntN(10); {
			case op < 6:
				if want[key] == nil {
					l := &lane{key: key, hash: hash(key)}
					tab.put(l)
					want[key] = l
				}
			case op < 9:
				require.Same(t, want[key], tab.get(key, hash(key)), "round %d: get %q", round, key)
			default:
				cut := rng.IntN(60)
				tab.keep(func(l *lane) bool {
					var i int
					_, _ = fmt.Sscanf(l.key, "k%d", &i)
					return i < cut
				})
				for k := range want {
					var i int
					_, _ = fmt.Sscanf(k, "k%d", &i)
					if i < cut {
						delete(want, k)
					}
				}
			}
			require.Equal(t, len(want), tab.len(), "round %d", round)
			require.LessOrEqual(t, 2*tab.len(), len(tab.slots), "round %d: more than half full", round)
		}
		seen := map[string]bool{}
		for l := range tab.all() {
			require.Same(t, want[l.key], l, "round %d: walk", round)
			require.False(t, seen[l.key], "round %d: %q walked twice", round, l.key)
			seen[l.key] = true
		}
		require.Len(t, seen, len(want), "round %d: walk", round)
		tab.keep(func(*lane) bool { return true })
		require.Zero(t, tab.len())
		require.Nil(t, tab.slots, "an emptied table keeps no slots")
	}
}

// TestNameHashSurvivesAnd: an option combined with And carries the hash
// of the name that wins, the one its lane is kept under.
func TestNameHashSurvivesAnd(t *testing.T) {
	o := Name("a").And(Priority(), Name("b"), Label("g", "i"))
	require.Equal(t, "b", o.name)
	require.Equal(t, laneHash("b"), o.nameHash())
	o = Name("a").And(Priority())
	require.Equal(t, laneHash("a"), o.nameHash())
	var merged taskConfig
	cfg := taskOptions([]TaskOption{Priority(), Name("c")}, &merged)
	require.Equal(t, laneHash("c"), cfg.nameHash())
}
