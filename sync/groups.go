package sync

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/store"
)

// ModeGroups is the mode of a run that read named groups back (Groups):
// a plan apply's read-back of the groups it wrote. It lists nothing whole
// and moves no cursor, so it is never replayed as a sync.
const ModeGroups = "plan"

// Groups reads the named groups back from the org into the cache: each
// group's profile, its members, and the users of every app the cache says
// is assigned to one of them (a membership change moves group-granted app
// assignments). It commits one incremental batch, recorded as a run of
// mode ModeGroups, and returns the run; Options.Now, Workers and Progress
// apply, the rest is ignored.
//
// It is a sync of a few parents, with the sync's policy: a 403 on one
// parent's listing flags its resource partial and the cache keeps what it
// had for that parent, a 404 skips the parent (deleted meanwhile: the
// next sync archives it), any other error fails and commits nothing. It
// reads no resource whole, so every partial-data flag of the run the
// cache reflects carries over to this run: the cache stays flagged until
// a sync reads the resource whole again.
func Groups(ctx context.Context, c *okta.Client, st *store.Store, groupIDs []string, opts Options) (directory.SyncRun, error) {
	e := newEngine(c, st, opts)
	e.progress.mode = ModeGroups
	run := directory.SyncRun{Mode: ModeGroups, Started: e.opts.Now().UTC()}
	p, prev, err := e.groupsPlan(ctx, groupIDs)
	if err != nil {
		return run, err
	}
	if err := e.relist(ctx, p); err != nil {
		return run, err
	}
	d, err := st.BeginIncremental()
	if err != nil {
		return run, fmt.Errorf("start reading groups back: %w", err)
	}
	if err := e.applyDelta(d, p); err != nil {
		d.Abort()
		return run, err
	}
	e.inherit(prev)
	e.fillStats(&run)
	e.report(true)
	committed, err := d.Commit(run, e.journal.Entries())
	if err != nil {
		return run, fmt.Errorf("commit the groups read back: %w", err)
	}
	return committed, nil
}

// groupsPlan reads the named groups and plans listing again their members
// and the users of the apps assigned to them; prev is the partial-data
// flags of the run the cache reflects.
func (e *engine) groupsPlan(ctx context.Context, groupIDs []string) (_ *deltaPlan, prev []directory.Partial, _ error) {
	apps := map[string]bool{}
	err := e.st.View(func(r *store.Reader) error {
		for _, gid := range groupIDs {
			for _, ag := range r.AppsOfGroup(gid) {
				apps[ag.AppID] = true
			}
		}
		if run, ok := r.CommittedRun(); ok {
			prev = run.Partial
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read cache: %w", err)
	}
	p := newDeltaPlan()
	p.relistAppUsers = slices.Sorted(maps.Keys(apps))
	for _, gid := range groupIDs {
		g, err := e.c.GetGroup(ctx, gid)
		if ok, err := e.childOutcome(err, "groups"); !ok {
			if err != nil {
				return nil, nil, err
			}
			continue
		}
		e.page("groups", 1)
		p.putGroups = append(p.putGroups, g)
		p.relistMembers = append(p.relistMembers, gid)
	}
	e.done("groups")
	return p, prev, nil
}
