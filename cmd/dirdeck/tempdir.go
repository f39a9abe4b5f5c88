package main

import "os"

// removeTempDir removes a session's temporary directory (a demo org's,
// a bundle's or a snapshot's cache). The dashboard's users table file is
// written into the cache's directory by a background load
// (tui/userindex.LoadIndex), which may still be creating its spool files when
// the session ends on q or a signal: RemoveAll then fails with "directory
// not empty". Once the directory is gone the writer fails instead of
// recreating it, so some tries remove it for good (ten were too few for
// a writer racing it on a loaded machine, in TestRemoveTempDirOutlastsAWriter).
func removeTempDir(dir string) {
	for range 100 {
		if err := os.RemoveAll(dir); err == nil {
			return
		}
	}
}
