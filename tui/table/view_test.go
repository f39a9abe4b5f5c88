package table

import (
	"math/rand/v2"
	"testing"
)

// TestRankedViewPositions: a ranked view finds the row at every position
// and the position of every row as the list of its rows in order does,
// whatever the density, across word and group boundaries.
func TestRankedViewPositions(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 63, 64, 65, 511, 512, 513, 5000} {
		for _, density := range []int{0, 1, 10, 50, 100} {
			var rk ranked
			for r := range rk {
				rk[r] = newBitset(n)
			}
			for i := range n {
				if rng.IntN(100) < density {
					r := rng.IntN(noMatch)
					rk[r][i/64] |= 1 << (i % 64)
				}
			}
			v := rankedView(rk)
			var want []int32
			for _, s := range rk {
				for i := range int32(n) {
					if s.has(i) {
						want = append(want, i)
					}
				}
			}
			if v.Len() != len(want) {
				t.Fatalf("n %d density %d: Len %d, want %d", n, density, v.Len(), len(want))
			}
			at := make(map[int32]int, len(want))
			for k, i := range want {
				at[i] = k
				if got := v.At(k); got != i {
					t.Fatalf("n %d density %d: At(%d) = %d, want %d", n, density, k, got, i)
				}
			}
			for i := range int32(n) {
				k, ok := at[i]
				if !ok {
					k = -1
				}
				if got := v.Index(i); got != k {
					t.Fatalf("n %d density %d: Index(%d) = %d, want %d", n, density, i, got, k)
				}
			}
		}
	}
}
