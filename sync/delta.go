package sync

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	gosync "sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/store"
)

// deltaPlan is everything an incremental run will write, gathered before
// anything is written so that the writes can be issued in a safe order.
type deltaPlan struct {
	putUsers  []directory.User
	putGroups []directory.Group
	putApps   []directory.App

	// Membership and app-user events of the groups and apps whose changes
	// are applied from the System Log, in published order.
	memberEvents  []okta.LogEvent
	appUserEvents []okta.LogEvent

	// Groups and apps whose children are listed again.
	relistMembers   []string
	relistAppUsers  []string
	relistAppGroups []string
	members         map[string][]string
	appUsers        map[string][]directory.AppUser
	appGroups       map[string][]directory.AppGroup

	deleteUsers  []string
	deleteGroups []string
	deleteApps   []string
}

func newDeltaPlan() *deltaPlan {
	return &deltaPlan{
		members:   map[string][]string{},
		appUsers:  map[string][]directory.AppUser{},
		appGroups: map[string][]directory.AppGroup{},
	}
}

// target returns the id of ev's first target of type typ.
func target(ev okta.LogEvent, typ string) string {
	for _, t := range ev.Targets {
		if t.Type == typ {
			return t.ID
		}
	}
	return ""
}

// System Log target types, as Okta writes them.
const (
	targetUser  = "User"
	targetGroup = "UserGroup"
	targetApp   = "AppInstance"
)

// membershipOf returns the group and the Okta user of a
// group.user_membership event (targets User and UserGroup).
func membershipOf(ev okta.LogEvent) (groupID, userID string) {
	return target(ev, targetGroup), target(ev, targetUser)
}

// appUserOf returns the app and the Okta user of an
// application.user_membership event. Okta gives such an event three
// targets: AppUser (the app-user record, id 0ua…, which is not the user's
// id), AppInstance and User; the user is the User target.
func appUserOf(ev okta.LogEvent) (appID, userID string) {
	return target(ev, targetApp), target(ev, targetUser)
}

func succeeded(ev okta.LogEvent) bool { return ev.Outcome == "" || ev.Outcome == "SUCCESS" }

// planDelta compares the org's listings and log with the cache: which
// users, groups and apps to put or delete, which groups' and apps'
// children to list again, and which log events to apply as deltas.
func (e *engine) planDelta(snap *snapshot, ch *changes) *deltaPlan {
	p := newDeltaPlan()
	logged := summarizeLog(snap, ch)
	p.deleteUsers = logged.deletedUsers
	p.planUsers(snap, ch)
	deltaGroups := p.planGroups(snap, ch, logged.newestMember)
	deltaApps := p.planApps(snap, ch, logged)
	p.pickEvents(ch, deltaGroups, deltaApps)
	return p
}

// logSummary is what a readable System Log says changed.
type logSummary struct {
	newestMember map[string]time.Time // group → its newest membership event
	appUsers     map[string]bool      // apps with app-user events
	appGroups    map[string]bool      // apps with app-group events
	deletedUsers []string
}

// summarizeLog reads the successful events of the log, when it is
// readable (empty otherwise). A user's deletion counts as a membership
// event of each of the user's cached groups (snapshot.groupsOfDeleted).
func summarizeLog(snap *snapshot, ch *changes) logSummary {
	s := logSummary{newestMember: map[string]time.Time{}, appUsers: map[string]bool{}, appGroups: map[string]bool{}}
	if !ch.logsOK {
		return s
	}
	for _, ev := range ch.logs {
		if !succeeded(ev) {
			continue
		}
		switch ev.EventType {
		case eventMemberAdd, eventMemberRemove:
			if gid, _ := membershipOf(ev); gid != "" && ev.Published.After(s.newestMember[gid]) {
				s.newestMember[gid] = ev.Published
			}
		case eventAppUserAdd, eventAppUserRemove:
			s.appUsers[target(ev, targetApp)] = true
		case eventAppGroupAdd, eventAppGroupRemove:
			s.appGroups[target(ev, targetApp)] = true
		case eventUserDelete:
			if uid := target(ev, targetUser); uid != "" {
				s.deletedUsers = append(s.deletedUsers, uid)
				for _, gid := range snap.groupsOfDeleted[uid] {
					if ev.Published.After(s.newestMember[gid]) {
						s.newestMember[gid] = ev.Published
					}
				}
			}
		}
	}
	return s
}

// planUsers puts the users listed. Without the System Log every user was
// listed: only those changed since the cache are put, and those missing
// from the listing are deleted.
func (p *deltaPlan) planUsers(snap *snapshot, ch *changes) {
	if ch.seenUsers == nil {
		p.putUsers = ch.users
		return
	}
	for _, u := range ch.users {
		if last, ok := snap.users[u.ID]; !ok || !last.Equal(u.LastUpdated) {
			p.putUsers = append(p.putUsers, u)
		}
	}
	for id := range snap.users {
		if !ch.seenUsers[id] {
			p.deleteUsers = append(p.deleteUsers, id)
		}
	}
	sort.Strings(p.deleteUsers)
}

// compareListing walks a complete listing against the cache in id order:
// a listed object that is new or changed since the cache is put, every
// listed object is handed to each (with its cached value, if known), and
// the ids of cached objects missing from the listing are returned: gone.
func compareListing[T comparable](listed, cached map[string]T, put *[]T, each func(id string, v, old T, known bool)) (gone []string) {
	for _, id := range slices.Sorted(maps.Keys(listed)) {
		v := listed[id]
		old, known := cached[id]
		if !known || old != v {
			*put = append(*put, v)
		}
		each(id, v, old, known)
	}
	for _, id := range slices.Sorted(maps.Keys(cached)) {
		if _, ok := listed[id]; !ok {
			gone = append(gone, id)
		}
	}
	return gone
}

// planGroups puts new and changed groups, deletes those gone, and for
// each group whose lastMembershipUpdated moved either applies its
// membership events (returned: the log is readable and reaches the
// move) or lists its members again.
func (p *deltaPlan) planGroups(snap *snapshot, ch *changes, newestMember map[string]time.Time) (deltaGroups map[string]bool) {
	deltaGroups = map[string]bool{}
	if ch.groups == nil {
		return deltaGroups // not readable: keep the cached groups
	}
	p.deleteGroups = compareListing(ch.groups, snap.groups, &p.putGroups, func(id string, g, old directory.Group, known bool) {
		if known && !g.LastMembershipUpdated.After(old.LastMembershipUpdated) {
			return
		}
		newest, logged := newestMember[id]
		if known && ch.logsOK && logged && !newest.Before(g.LastMembershipUpdated.Add(-logSlack)) {
			deltaGroups[id] = true
		} else {
			p.relistMembers = append(p.relistMembers, id)
		}
	})
	return deltaGroups
}

// planApps puts new and changed apps, deletes those gone, lists again
// the assignments of new apps (all apps without the System Log) and the
// group assignments of apps with such events, and returns the apps whose
// app-user events are applied.
func (p *deltaPlan) planApps(snap *snapshot, ch *changes, logged logSummary) (deltaApps map[string]bool) {
	deltaApps = map[string]bool{}
	if ch.apps == nil {
		return deltaApps // not readable: keep the cached apps
	}
	p.deleteApps = compareListing(ch.apps, snap.apps, &p.putApps, func(id string, _, _ directory.App, known bool) {
		switch {
		case !known || !ch.logsOK:
			p.relistAppUsers = append(p.relistAppUsers, id)
			p.relistAppGroups = append(p.relistAppGroups, id)
		default:
			if logged.appGroups[id] {
				p.relistAppGroups = append(p.relistAppGroups, id)
			}
			if logged.appUsers[id] {
				deltaApps[id] = true
			}
		}
	})
	return deltaApps
}

// pickEvents keeps the membership events of deltaGroups and the app-user
// events of deltaApps, in published order.
func (p *deltaPlan) pickEvents(ch *changes, deltaGroups, deltaApps map[string]bool) {
	for _, ev := range ch.logs {
		if !ch.logsOK || !succeeded(ev) {
			continue
		}
		switch ev.EventType {
		case eventMemberAdd, eventMemberRemove:
			if gid, uid := membershipOf(ev); deltaGroups[gid] && uid != "" {
				p.memberEvents = append(p.memberEvents, ev)
			}
		case eventAppUserAdd, eventAppUserRemove:
			if aid, uid := appUserOf(ev); deltaApps[aid] && uid != "" {
				p.appUserEvents = append(p.appUserEvents, ev)
			}
		}
	}
	byPublished := func(evs []okta.LogEvent) {
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Published.Before(evs[j].Published) })
	}
	byPublished(p.memberEvents)
	byPublished(p.appUserEvents)
}

// relist lists again the children of the groups and apps the plan names.
func (e *engine) relist(ctx context.Context, p *deltaPlan) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Workers)
	var mu gosync.Mutex
	relistEach(e, g, gctx, &mu, p.relistMembers, "memberships", e.c.ListGroupMembers,
		func(id string, ids []string) { p.members[id] = ids })
	relistEach(e, g, gctx, &mu, p.relistAppUsers, "app_users", e.c.ListAppUsers,
		func(id string, users []directory.AppUser) { p.appUsers[id] = users })
	relistEach(e, g, gctx, &mu, p.relistAppGroups, "app_groups", e.c.ListAppGroups,
		func(id string, groups []directory.AppGroup) { p.appGroups[id] = groups })
	err := g.Wait()
	for _, r := range []string{"memberships", "app_users", "app_groups"} {
		e.done(r)
	}
	return err
}

// relistEach lists the children of each parent in ids with list, and
// hands each complete listing to keep (under mu).
func relistEach[T any](e *engine, g *errgroup.Group, ctx context.Context, mu *gosync.Mutex, ids []string, resource string,
	list func(context.Context, string, func([]T) error) error, keep func(id string, items []T)) {
	for _, id := range ids {
		g.Go(func() error {
			items := []T{}
			err := list(ctx, id, func(page []T) error {
				e.page(resource, len(page))
				items = append(items, page...)
				return nil
			})
			if ok, err := e.childOutcome(err, resource); !ok {
				return err
			}
			mu.Lock()
			keep(id, items)
			mu.Unlock()
			return nil
		})
	}
}

// childOutcome sorts an error listing one parent's children: ok is false
// when the listing must not be used, with err non-nil when the run fails.
// A 404 (the parent was deleted meanwhile; the next sync archives it) and
// a 403 (partial data; the cache keeps what it had) skip the parent.
func (e *engine) childOutcome(err error, resource string) (ok bool, _ error) {
	switch {
	case err == nil:
		return true, nil
	case okta.IsNotFound(err):
		return false, nil
	case okta.IsForbidden(err):
		e.forbid(resource, err)
		return false, nil
	}
	return false, fmt.Errorf("list %s: %w", resource, err)
}

// applyDelta issues the plan's writes in an order that keeps the cache
// consistent: objects first, then log deltas in published order, then
// complete listings (which are current), and deletions last so that a
// late event cannot bring back a membership of a deleted user or group.
func (e *engine) applyDelta(d *store.Delta, p *deltaPlan) error {
	for _, u := range p.putUsers {
		d.PutUser(u)
	}
	for _, g := range p.putGroups {
		d.PutGroup(g)
	}
	for _, a := range p.putApps {
		d.PutApp(a)
	}
	// A replayed overlap may hold events of users deleted since: skip them,
	// or they would bring back memberships and assignments of a user the
	// cache has already archived.
	deleted := make(map[string]bool, len(p.deleteUsers))
	for _, id := range p.deleteUsers {
		deleted[id] = true
	}
	for _, ev := range p.memberEvents {
		gid, uid := membershipOf(ev)
		if deleted[uid] {
			continue
		}
		if ev.EventType == eventMemberAdd {
			d.AddMember(gid, uid)
		} else {
			d.RemoveMember(gid, uid)
		}
	}
	if len(p.appUserEvents) > 0 {
		known, err := e.appUsersForEvents(p)
		if err != nil {
			return err
		}
		for _, ev := range p.appUserEvents {
			aid, uid := appUserOf(ev)
			if deleted[uid] {
				continue
			}
			if ev.EventType == eventAppUserAdd {
				au := known[aid+"/"+uid]
				if au.LastUpdated.IsZero() {
					au.LastUpdated = ev.Published.UTC()
				}
				d.AddAppUser(au)
			} else {
				d.RemoveAppUser(aid, uid)
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.members)) {
		d.ReplaceMembers(id, p.members[id])
	}
	for _, id := range slices.Sorted(maps.Keys(p.appUsers)) {
		d.ReplaceAppUsers(id, p.appUsers[id])
	}
	for _, id := range slices.Sorted(maps.Keys(p.appGroups)) {
		d.ReplaceAppGroups(id, p.appGroups[id])
	}
	for _, id := range p.deleteUsers {
		d.DeleteUser(id)
	}
	for _, id := range p.deleteGroups {
		d.DeleteGroup(id)
	}
	for _, id := range p.deleteApps {
		d.DeleteApp(id)
	}
	return nil
}

// appUsersForEvents returns, for each app user an event adds, the value to
// store: the cached one when the cache already holds the pair (a replayed
// overlap must not overwrite Okta's own status and scope), else a new one.
// The event does not say whether the assignment is direct (USER) or
// through a group (GROUP): it is GROUP when one of the user's cached
// groups is assigned to the app. The digest does not depend on it, and
// the next full sync replaces it with Okta's answer.
func (e *engine) appUsersForEvents(p *deltaPlan) (map[string]directory.AppUser, error) {
	known := map[string]directory.AppUser{}
	err := e.st.View(func(r *store.Reader) error {
		for _, ev := range p.appUserEvents {
			aid, uid := appUserOf(ev)
			key := aid + "/" + uid
			if _, done := known[key]; done || ev.EventType != eventAppUserAdd {
				continue
			}
			au, cached := directory.AppUser{AppID: aid, UserID: uid, Scope: directory.ScopeUser, Status: "ACTIVE"}, false
			for _, held := range r.AppsOfUser(uid) {
				if held.AppID == aid {
					au, cached = held, true
				}
			}
			if !cached {
				assigned := map[string]bool{}
				for _, ag := range r.AppGroupsOf(aid) {
					assigned[ag.GroupID] = true
				}
				for _, ag := range p.appGroups[aid] {
					assigned[ag.GroupID] = true
				}
				for _, gid := range r.GroupsOf(uid) {
					if assigned[gid] {
						au.Scope = directory.ScopeGroup
						break
					}
				}
			}
			known[key] = au
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read cache for app assignments: %w", err)
	}
	return known, nil
}
