package table

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkKeepField applies a field test of 300 values to a million
// rows with some of their bits set (see sparseBits).
func BenchmarkKeepField(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	t := &fieldTest{ids: make([]uint16, n), pass: new([maxDictValues]uint8)}
	for i := range t.ids {
		t.ids[i] = uint16(rng.IntN(300))
	}
	for id := range 300 {
		if id%3 == 0 {
			t.pass[id] = 1
		}
	}
	for _, density := range []float64{0.05, 0.5, 0.95} {
		base := newBitset(n)
		for i := range n {
			if rng.Float64() < density {
				base[i/64] |= 1 << (i % 64)
			}
		}
		b.Run(fmt.Sprintf("density=%v", density), func(b *testing.B) {
			keep := newBitset(n)
			for b.Loop() {
				copy(keep, base)
				t.keep(keep, 0, n)
			}
		})
	}
}
