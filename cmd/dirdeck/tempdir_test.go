package main

import (
	"os"
	"sync/atomic"
	"testing"
)

// TestRemoveTempDirOutlastsAWriter: a writer that keeps creating files
// in the directory while it is removed (as the dashboard's index writer
// may when a session ends) does not leave it behind.
func TestRemoveTempDirOutlastsAWriter(t *testing.T) {
	for range 200 {
		dir, err := os.MkdirTemp(t.TempDir(), "dirdeck-demo-")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		var stop atomic.Bool
		go func() {
			defer close(done)
			for !stop.Load() {
				f, err := os.CreateTemp(dir, ".columns-*.tmp")
				if err != nil {
					return // the directory is gone
				}
				f.Close()
			}
		}()
		removeTempDir(dir)
		_, err = os.Stat(dir)
		stop.Store(true)
		<-done
		if !os.IsNotExist(err) {
			t.Fatalf("%s is still there (%v)", dir, err)
		}
	}
}
