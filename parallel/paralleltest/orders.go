package paralleltest

import (
	"iter"
	"math/rand/v2"
)

// orders returns how many release orders of n keys to explore, and the
// orders: every permutation of 0..n-1, in lexicographic order, when there
// are at most size of them; otherwise size permutations drawn at random
// from seed, the same ones for the same seed.
func orders(n, size int, seed uint64) (int, iter.Seq[[]int]) {
	if total, ok := factorial(n, size); ok {
		return total, func(yield func([]int) bool) {
			p := make([]int, n)
			for i := range p {
				p[i] = i
			}
			for ok := true; ok; ok = nextPermutation(p) {
				if !yield(append([]int(nil), p...)) {
					return
				}
			}
		}
	}
	return size, func(yield func([]int) bool) {
		r := rand.New(rand.NewPCG(seed, seed))
		for range size {
			if !yield(r.Perm(n)) {
				return
			}
		}
	}
}

// factorial returns n! when it is at most limit.
func factorial(n, limit int) (int, bool) {
	f := 1
	for i := 2; i <= n; i++ {
		f *= i
		if f > limit {
			return 0, false
		}
	}
	return f, true
}

// nextPermutation turns p into the next permutation in lexicographic
// order, and reports false when p was the last one.
func nextPermutation(p []int) bool {
	i := len(p) - 2
	for i >= 0 && p[i] >= p[i+1] {
		i--
	}
	if i < 0 {
		return false
	}
	j := len(p) - 1
	for p[j] <= p[i] {
		j--
	}
	p[i], p[j] = p[j], p[i]
	for l, r := i+1, len(p)-1; l < r; l, r = l+1, r-1 {
		p[l], p[r] = p[r], p[l]
	}
	return true
}
