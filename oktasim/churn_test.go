package oktasim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
)

// shapeDigest digests the org's objects and relations without timestamps
// (which follow the wall clock), so that two sims can be compared.
func shapeDigest(s *Sim) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.org
	var lines []string
	for _, u := range o.users {
		p := o.profile(u)
		lines = append(lines, "user "+u.id+" "+u.status+" "+p.Login+" "+p.Title+" "+p.Department+" "+p.City)
	}
	for _, g := range o.groups {
		lines = append(lines, "group "+g.id+" "+g.typ+" "+g.name)
		for _, u := range g.members {
			lines = append(lines, "member "+g.id+" "+u.id)
		}
	}
	for _, a := range o.apps {
		lines = append(lines, "app "+a.id+" "+a.label)
		for _, au := range a.users {
			lines = append(lines, fmt.Sprintf("appuser %s %s %v %d", a.id, au.user.id, au.direct, au.viaGroups))
		}
		for _, ag := range a.groups {
			lines = append(lines, "appgroup "+a.id+" "+ag.group.id)
		}
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

// logShape lists the events as "type target-ids" lines.
func logShape(s *Sim) []string {
	var out []string
	for _, ev := range s.ext.logs.all() {
		line := ev.EventType
		for _, t := range ev.Target {
			line += " " + t.Type + ":" + t.ID
		}
		out = append(out, line)
	}
	return out
}

func TestChurnDeterministic(t *testing.T) {
	a, err := New(Options{Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Seed: 12})
	if err != nil {
		t.Fatal(err)
	}
	before := shapeDigest(a)
	if _, err := a.Churn(60); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{25, 0, 35} {
		if _, err := b.Churn(n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Churn(60); err != nil {
		t.Fatal(err)
	}
	if shapeDigest(a) == before {
		t.Fatal("churn changed nothing")
	}
	if shapeDigest(a) != shapeDigest(b) {
		t.Fatal("churn 60 and churn 25+0+35 of the same seed differ")
	}
	if !slices.Equal(logShape(a), logShape(b)) {
		t.Fatal("the same churn wrote different System Log events")
	}
	if slices.Equal(logShape(a), logShape(c)) {
		t.Fatal("churn does not depend on the seed")
	}
	a.Reset()
	if shapeDigest(a) != before || len(a.ext.logs.all()) != 0 {
		t.Fatal("reset did not restore the seeded org and empty the log")
	}
	if _, err := a.Churn(60); err != nil {
		t.Fatal(err)
	}
	if shapeDigest(a) != shapeDigest(b) {
		t.Fatal("churn after reset differs from churn on a fresh sim")
	}
}

func TestChurnBadInput(t *testing.T) {
	srv := NewServer(t, Options{Seed: 1})
	for _, q := range []string{"n=-1", "n=abc", "n=99999999"} {
		resp, err := http.Post(srv.URL+"/__sim/churn?"+q, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("churn?%s: %d, want 400", q, resp.StatusCode)
		}
	}
}

// checkModel verifies the invariants the API's answers rely on:
// memberships both ways, app users held exactly by direct assignment or
// by the user's groups assigned to the app, and sorted slices.
func checkModel(t *testing.T, s *Sim) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.org
	for _, list := range [][]string{ids(o.users, userKey), ids(o.groups, groupKey), ids(o.apps, appKey)} {
		if !slices.IsSorted(list) {
			t.Fatal("objects are not sorted by id")
		}
	}
	for _, g := range o.groups {
		for _, u := range g.members {
			if o.user(u.id) != u {
				t.Fatalf("group %s has member %s who is not in the org", g.id, u.id)
			}
			if !slices.Contains(u.groups, g) {
				t.Fatalf("member %s of %s does not list the group", u.id, g.id)
			}
		}
		if o.group(g.id) != g {
			t.Fatalf("group %s not found by id", g.id)
		}
	}
	for _, u := range o.users {
		for _, g := range u.groups {
			if !isMember(g, u) {
				t.Fatalf("user %s lists group %s that does not list it", u.id, g.id)
			}
		}
	}
	for _, a := range o.apps {
		for _, au := range a.users {
			via := 0
			for _, g := range au.user.groups {
				for _, ag := range g.apps {
					if ag.app == a {
						via++
					}
				}
			}
			if int(au.viaGroups) != via {
				t.Fatalf("app %s user %s: viaGroups %d, but %d of its groups hold the app", a.id, au.user.id, au.viaGroups, via)
			}
			if !au.direct && au.viaGroups == 0 {
				t.Fatalf("app %s lists user %s with no assignment", a.id, au.user.id)
			}
			if o.user(au.user.id) != au.user {
				t.Fatalf("app %s lists deleted user %s", a.id, au.user.id)
			}
		}
		for _, ag := range a.groups {
			if o.group(ag.group.id) != ag.group {
				t.Fatalf("app %s lists deleted group %s", a.id, ag.group.id)
			}
			for _, u := range ag.group.members {
				if findAppUser(a, u) == nil {
					t.Fatalf("member %s of %s lacks app %s", u.id, ag.group.id, a.id)
				}
			}
		}
	}
}

func ids[T any](xs []T, key func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = key(x)
	}
	return out
}

// wantTargets is the target types Okta lists for each event type.
var wantTargets = map[string][]string{
	EventUserCreate:           {logTargetUser},
	EventUserUpdateProfile:    {logTargetUser},
	EventUserDeactivate:       {logTargetUser},
	EventUserSuspend:          {logTargetUser},
	EventUserUnsuspend:        {logTargetUser},
	EventUserDelete:           {logTargetUser},
	EventGroupMemberAdd:       {logTargetUser, logTargetGroup},
	EventGroupMemberRemove:    {logTargetUser, logTargetGroup},
	EventGroupCreate:          {logTargetGroup},
	EventGroupUpdate:          {logTargetGroup},
	EventGroupDelete:          {logTargetGroup},
	EventAppUserAdd:           {logTargetAppUser, logTargetApp, logTargetUser},
	EventAppUserRemove:        {logTargetAppUser, logTargetApp, logTargetUser},
	EventGroupAppAssignAdd:    {logTargetGroup, logTargetApp},
	EventGroupAppAssignRemove: {logTargetGroup, logTargetApp},
	EventAppUpdate:            {logTargetApp},
}

func TestChurnKeepsModelAndLogs(t *testing.T) {
	s, err := New(Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	start := s.nowMS()
	res, err := s.Churn(600)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != 600 {
		t.Fatalf("applied %d of 600 changes", res.Applied)
	}
	checkModel(t, s)
	events := s.ext.logs.all()
	seen := map[string]bool{}
	var prev LogEvent
	for i, ev := range events {
		seen[ev.EventType] = true
		want, ok := wantTargets[ev.EventType]
		if !ok {
			t.Fatalf("unexpected event type %s", ev.EventType)
		}
		var got []string
		for _, tg := range ev.Target {
			got = append(got, tg.Type)
			if tg.ID == "" || tg.DisplayName == "" {
				t.Errorf("%s: target %+v lacks id or name", ev.EventType, tg)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s targets %v, want %v", ev.EventType, got, want)
		}
		if ev.Actor.ID == "" || ev.Actor.Type != logActorUser || ev.DisplayMessage == "" || ev.UUID == "" {
			t.Fatalf("event %s lacks actor, message or uuid: %+v", ev.EventType, ev)
		}
		if ev.published < start {
			t.Errorf("event published before the churn started")
		}
		if i > 0 && ev.Transaction.ID != prev.Transaction.ID && ev.published <= prev.published {
			t.Errorf("change %s published at %d, not after the previous change (%d)", ev.Transaction.ID, ev.published, prev.published)
		}
		prev = ev
	}
	for typ := range wantTargets {
		if !seen[typ] {
			t.Errorf("600 changes never wrote a %s event", typ)
		}
	}
	for typ, n := range res.ByKind {
		if n == 0 || !seen[typ] {
			t.Errorf("result counts %d %s events the log does not hold", n, typ)
		}
	}
}

// TestChurnTouchesTimestamps checks that every changed object is found by
// `lastUpdated gt` / `lastMembershipUpdated gt` with the time before the
// change, which is what incremental syncs rely on.
func TestChurnTouchesTimestamps(t *testing.T) {
	s, err := New(Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Churn(50); err != nil {
		t.Fatal(err)
	}
	for range 40 {
		s.mu.RLock()
		before := s.ext.lastStamp
		s.mu.RUnlock()
		if _, err := s.Churn(1); err != nil {
			t.Fatal(err)
		}
		evs := s.ext.logs.all()
		ev := evs[len(evs)-1]
		s.mu.RLock()
		for _, tg := range ev.Target {
			switch tg.Type {
			case logTargetUser, logTargetAppUser:
				// Only user.* events change the user object; memberships
				// and app assignments name the user without touching it.
				if u := s.org.user(tg.ID); u != nil && strings.HasPrefix(ev.EventType, "user.") && tg.Type == logTargetUser && u.lastUpdated <= before {
					t.Errorf("%s: user %s lastUpdated not bumped", ev.EventType, u.id)
				}
			case logTargetGroup:
				g := s.org.group(tg.ID)
				if g == nil {
					continue // deleted
				}
				bumped := g.lastUpdated > before || g.lastMembershipUpdated > before
				if ev.EventType == EventGroupMemberAdd || ev.EventType == EventGroupMemberRemove {
					bumped = g.lastMembershipUpdated > before
				}
				if !bumped && ev.EventType != EventGroupAppAssignAdd && ev.EventType != EventGroupAppAssignRemove {
					t.Errorf("%s: group %s timestamps not bumped", ev.EventType, g.id)
				}
			case logTargetApp:
				if a := s.org.app(tg.ID); ev.EventType == EventAppUpdate && a.lastUpdated <= before {
					t.Errorf("%s: app %s lastUpdated not bumped", ev.EventType, a.id)
				}
			}
		}
		s.mu.RUnlock()
	}
}

// relations returns the org's memberships and app users as "g u" / "a u"
// pairs.
func relations(s *Sim) (members, appUsers map[string]bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	members, appUsers = map[string]bool{}, map[string]bool{}
	for _, g := range s.org.groups {
		for _, u := range g.members {
			members[g.id+" "+u.id] = true
		}
	}
	for _, a := range s.org.apps {
		for _, au := range a.users {
			appUsers[a.id+" "+au.user.id] = true
		}
	}
	return members, appUsers
}

// TestChurnLogExplainsChanges replays the System Log over the seeded org:
// a client that only follows the log's membership and app-membership
// events (and drops what deleted users and groups held) must end up with
// the org's memberships and app users. This is what an incremental sync
// driven by the System Log relies on.
func TestChurnLogExplainsChanges(t *testing.T) {
	for _, seed := range []int64{23, 24, 25} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { replayLog(t, seed) })
	}
}

func replayLog(t *testing.T, seed int64) {
	s, err := New(Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	members, appUsers := relations(s)
	if _, err := s.Churn(800); err != nil {
		t.Fatal(err)
	}
	dropUser := func(set map[string]bool, id string) {
		for k := range set {
			if strings.HasSuffix(k, " "+id) {
				delete(set, k)
			}
		}
	}
	for _, ev := range s.ext.logs.all() {
		tg := ev.Target
		switch ev.EventType {
		case EventGroupMemberAdd:
			members[tg[1].ID+" "+tg[0].ID] = true
		case EventGroupMemberRemove:
			delete(members, tg[1].ID+" "+tg[0].ID)
		case EventAppUserAdd: // targets AppUser, AppInstance, User
			appUsers[tg[1].ID+" "+tg[2].ID] = true
		case EventAppUserRemove:
			delete(appUsers, tg[1].ID+" "+tg[2].ID)
		case EventUserDelete:
			dropUser(members, tg[0].ID)
			dropUser(appUsers, tg[0].ID)
		case EventGroupDelete:
			for k := range members {
				if strings.HasPrefix(k, tg[0].ID+" ") {
					delete(members, k)
				}
			}
		}
	}
	gotMembers, gotAppUsers := relations(s)
	for _, c := range []struct {
		what     string
		replayed map[string]bool
		actual   map[string]bool
	}{{"memberships", members, gotMembers}, {"app users", appUsers, gotAppUsers}} {
		for k := range c.actual {
			if !c.replayed[k] {
				t.Errorf("%s: %s exists but the log never added it", c.what, k)
			}
		}
		for k := range c.replayed {
			if !c.actual[k] {
				t.Errorf("%s: the log leaves %s, which is gone", c.what, k)
			}
		}
	}
}

// BenchmarkChurn measures one change on scenario M (about 1% churn of M
// is 100 changes).
func BenchmarkChurn(b *testing.B) {
	s, err := New(Options{Scenario: "M", Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Churn(1); err != nil {
			b.Fatal(err)
		}
	}
}
