package pane

import (
	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/themes"
)

// RunStatus renders a sync run's status in 7 cells, coloured by how the
// run went.
func RunStatus(th themes.Theme, r directory.SyncRun) string {
	st := th.OK
	switch r.Status {
	case directory.RunPartial:
		st = th.Warning
	case directory.RunFailed:
		st = th.Error
	}
	return st.Render(textsafe.Fit(textsafe.Clean(r.Status), 7))
}

// RunChanges is how many changes a sync run recorded in all.
func RunChanges(r directory.SyncRun) int {
	n := 0
	for _, c := range r.Changes {
		n += c
	}
	return n
}
