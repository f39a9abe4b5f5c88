package plan

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/dirdeck/dirdeck/store"
)

// FuzzImport feeds arbitrary plan files to Import: a clear refusal or a
// verified plan, never a panic or an unverified record.
func FuzzImport(f *testing.F) {
	f.Add([]byte(`{"format":"dirdeck-plan/1","id":"p-1","hash":"sha256:00","plan":{"format":"dirdeck-plan/1"},"reviews":[]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"format":"dirdeck-plan/1","plan":{"format":"dirdeck-plan/1","ops":[{"seq":1,"kind":"add"}]}}`))
	st, err := store.Open(filepath.Join(f.TempDir(), "c.db"), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := Import(st, bytes.NewReader(data), "", Identity{AdminID: "00u-x"}, stamp, Keys{})
		if err != nil {
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("not a refusal: %v", err)
			}
			return
		}
		if err := rec.verify(); err != nil {
			t.Fatalf("imported an unverified plan: %v", err)
		}
	})
}
