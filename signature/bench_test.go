package signature

import (
	"context"
	"testing"
)

// BenchmarkExportM exports scenario M (10k users, 800 groups) from a
// synced cache: reading the cache, rendering every active user's HTML and
// text signatures and writing the pages and the gallery. Target ≤ 5 s.
func BenchmarkExportM(b *testing.B) {
	dir := b.TempDir()
	st, _, err := syncScenario(dir, "M", 7)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.ResetTimer()
	for b.Loop() {
		set, err := Load(st)
		if err != nil {
			b.Fatal(err)
		}
		d, err := LoadDirectory(st)
		if err != nil {
			b.Fatal(err)
		}
		stats, err := Export(context.Background(), set, d, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(stats.Users), "users")
	}
}
