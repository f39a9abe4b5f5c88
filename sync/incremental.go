package sync

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/store"
)

// System Log event types the incremental sync applies.
const (
	eventMemberAdd      = "group.user_membership.add"
	eventMemberRemove   = "group.user_membership.remove"
	eventAppUserAdd     = "application.user_membership.add"
	eventAppUserRemove  = "application.user_membership.remove"
	eventAppGroupAdd    = "group.application_assignment.add"
	eventAppGroupRemove = "group.application_assignment.remove"
	eventUserDelete     = "user.lifecycle.delete.initiated"
)

// logFilter asks the System Log for the event types the incremental sync
// applies, and nothing else: on a real org most of the log is sign-ins,
// SSO and policy evaluations, which would cost hundreds of pages a day.
// Prefixes (Okta's `sw`) keep the expression to four comparisons; the
// extra types they admit (application.user_membership.update, …) are
// ignored by planDelta.
var logFilter = strings.Join([]string{
	`eventType sw "group.user_membership."`,
	`eventType sw "application.user_membership."`,
	`eventType sw "group.application_assignment."`,
	`eventType eq "` + eventUserDelete + `"`,
}, " or ")

// logSlack is how much older than a group's lastMembershipUpdated its
// newest membership event may be before the log is judged incomplete for
// that group (event and object clocks differ by a few milliseconds).
const logSlack = 2 * time.Second

// snapshot is what an incremental sync needs to know of the cache.
type snapshot struct {
	users  map[string]time.Time // id → lastUpdated; filled only without the System Log
	groups map[string]directory.Group
	apps   map[string]directory.App
	// groupsOfDeleted holds the cached groups of each user the System Log
	// says was deleted: deleting a user ends its memberships (the sim logs
	// no membership event for them; whether Okta does is not documented,
	// and either way is handled), so the deletion explains those groups'
	// new lastMembershipUpdated without listing their members again.
	groupsOfDeleted map[string][]string
}

// changes is what the org reports since the cursors.
type changes struct {
	users     []directory.User
	seenUsers map[string]bool            // every user id listed (fallback only)
	groups    map[string]directory.Group // nil: unreadable (forbidden)
	apps      map[string]directory.App   // nil: unreadable (forbidden)
	logs      []okta.LogEvent
	logsOK    bool
}

// incremental applies what changed since the cursors as one atomic delta.
func (e *engine) incremental(ctx context.Context, run *directory.SyncRun, cur cursors) error {
	snap, err := e.snapshot()
	if err != nil {
		return err
	}
	ch, err := e.readChanges(ctx, cur)
	if err != nil {
		return err
	}
	if !ch.logsOK && ch.users != nil {
		// Without the System Log, deletions can only be found by listing
		// every user and comparing with the cache.
		if snap.users, err = e.cachedUserStamps(); err != nil {
			return err
		}
		if err := e.listAllUsers(ctx, ch); err != nil {
			return err
		}
	}
	if snap.groupsOfDeleted, err = e.cachedGroupsOfDeleted(ch); err != nil {
		return err
	}
	plan := e.planDelta(snap, ch)
	if err := e.relist(ctx, plan); err != nil {
		return err
	}

	d, err := e.st.BeginIncremental()
	if err != nil {
		return fmt.Errorf("start incremental sync: %w", err)
	}
	if err := e.applyDelta(d, plan); err != nil {
		d.Abort()
		return err
	}
	start := e.runStart()
	d.SetCursor(cursorSince, formatCursor(start))
	d.SetCursor(cursorLogs, formatCursor(start))
	e.inherit(cur.partial)
	e.fillStats(run)
	committed, err := d.Commit(*run, e.journal.Entries())
	if err != nil {
		return fmt.Errorf("commit incremental sync: %w", err)
	}
	*run = committed
	return nil
}

// snapshot reads the cached groups and apps to compare the org's
// listings with.
func (e *engine) snapshot() (*snapshot, error) {
	snap := &snapshot{groups: map[string]directory.Group{}, apps: map[string]directory.App{}}
	err := e.st.View(func(r *store.Reader) error {
		for g := range r.Groups() {
			snap.groups[g.ID] = g
		}
		for a := range r.Apps() {
			snap.apps[a.ID] = a
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read cache: %w", err)
	}
	return snap, nil
}

// cachedGroupsOfDeleted reads the cached groups of every user a
// successful deletion event in ch names.
func (e *engine) cachedGroupsOfDeleted(ch *changes) (map[string][]string, error) {
	groups := map[string][]string{}
	if !ch.logsOK {
		return groups, nil
	}
	err := e.st.View(func(r *store.Reader) error {
		for _, ev := range ch.logs {
			if ev.EventType != eventUserDelete || !succeeded(ev) {
				continue
			}
			if uid := target(ev, targetUser); uid != "" {
				groups[uid] = r.GroupsOf(uid)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read cached groups of deleted users: %w", err)
	}
	return groups, nil
}

// cachedUserStamps reads every cached user's lastUpdated.
func (e *engine) cachedUserStamps() (map[string]time.Time, error) {
	stamps := map[string]time.Time{}
	err := e.st.View(func(r *store.Reader) error {
		for u := range r.Users() {
			stamps[u.ID] = u.LastUpdated
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read cached users: %w", err)
	}
	return stamps, nil
}

// listWhole lists every object of one resource (named as in the run's
// progress), keyed by id. When the credential may not list them it
// records the gap and returns a nil map.
func listWhole[T any](ctx context.Context, e *engine, name string, list func(context.Context, okta.Query, func([]T) error) error, id func(T) string) (map[string]T, error) {
	all := map[string]T{}
	err := list(ctx, okta.Query{}, func(page []T) error {
		e.page(name, len(page))
		for _, x := range page {
			all[id(x)] = x
		}
		return nil
	})
	if okta.IsForbidden(err) {
		e.forbid(name, err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", name, err)
	}
	e.readWhole(name)
	e.done(name)
	return all, nil
}

// readChanges lists, concurrently, the System Log since the log cursor,
// the users updated since the cursor, and all groups and apps.
func (e *engine) readChanges(ctx context.Context, cur cursors) (*changes, error) {
	ch := &changes{}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		since := cur.logs.Add(-e.opts.Overlap)
		_, err := e.c.ListLogs(gctx, since, logFilter, func(page []okta.LogEvent) error {
			e.page("logs", len(page))
			ch.logs = append(ch.logs, page...)
			return nil
		})
		switch {
		case err == nil:
			// A cursor older than Okta keeps events cannot vouch for
			// completeness: fall back as if the log were unreadable.
			ch.logsOK = e.c.ServerTime().Sub(cur.logs) < logRetention
			if ch.logsOK {
				e.readWhole("logs")
			}
			e.done("logs")
		case okta.IsForbidden(err):
			ch.logs = nil // degraded: the fallback keeps the data exact
		default:
			return fmt.Errorf("read System Log: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		q := okta.Query{Filter: fmt.Sprintf("lastUpdated gt %q", formatCursor(cur.since.Add(-e.opts.Overlap)))}
		err := e.c.ListUsers(gctx, q, func(page []directory.User) error {
			e.page("users", len(page))
			ch.users = append(ch.users, page...)
			return nil
		})
		if okta.IsForbidden(err) {
			e.forbid("users", err)
			ch.users = nil
			return nil
		}
		if err != nil {
			return fmt.Errorf("list users (%s): %w", q.Filter, err)
		}
		return nil
	})
	// Unreadable groups or apps leave the map nil: the cached ones, and
	// their memberships and assignments, stay.
	g.Go(func() (err error) {
		ch.groups, err = listWhole(gctx, e, "groups", e.c.ListGroups, func(gr directory.Group) string { return gr.ID })
		return err
	})
	g.Go(func() (err error) {
		ch.apps, err = listWhole(gctx, e, "apps", e.c.ListApps, func(a directory.App) string { return a.ID })
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return ch, nil
}

// listAllUsers replaces the updated-users listing by a listing of every
// user, so that users missing from it can be archived.
func (e *engine) listAllUsers(ctx context.Context, ch *changes) error {
	ch.users = ch.users[:0]
	ch.seenUsers = map[string]bool{}
	put := func(page []directory.User) error {
		e.page("users", len(page))
		for _, u := range page {
			ch.seenUsers[u.ID] = true
		}
		ch.users = append(ch.users, page...)
		return nil
	}
	for _, q := range []okta.Query{{}, {Filter: okta.FilterDeprovisioned}} {
		if err := e.c.ListUsers(ctx, q, put); err != nil {
			return fmt.Errorf("list all users: %w", err)
		}
	}
	e.readWhole("users")
	e.done("users")
	return nil
}
