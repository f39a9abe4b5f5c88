package bundle

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	dsync "github.com/dirdeck/dirdeck/sync"
)

// BenchmarkExportL exports scenario L (100k users, 5k groups, 500 apps):
// read, pseudonymise, scan, compress and write. The target is 30 s; the
// bundle's size is reported as MB/bundle.
//
//	go test ./bundle -run '^$' -bench ExportL -benchtime 1x
func BenchmarkExportL(b *testing.B) {
	f := newFixture(b, "L")
	t0 := time.Now()
	f.Sync(b, dsync.Options{})
	b.Logf("full sync of L: %v", time.Since(t0))
	out := filepath.Join(b.TempDir(), "l.tar.gz")
	b.ResetTimer()
	var size int64
	for b.Loop() {
		n, err := writeBundle(f.Store, out, f.options())
		if err != nil {
			b.Fatal(err)
		}
		size = n
	}
	b.StopTimer()
	if _, err := os.Stat(out); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(size)/1e6, "MB/bundle")
	if per := b.Elapsed() / time.Duration(b.N); per > 30*time.Second {
		b.Errorf("export of L took %v, target 30 s", per)
	}
}
