package oktasim

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
)

// Snapshot is a directory to serve instead of a generated scenario: what a
// support bundle carries (pseudonymised) so that a customer's sync can be
// replayed against an org of the same shape.
type Snapshot struct {
	Users       []directory.User
	Groups      []directory.Group
	Apps        []directory.App
	Memberships []directory.Membership
	AppUsers    []directory.AppUser
	AppGroups   []directory.AppGroup
}

// FromSnapshot builds a simulated org that serves snap. Options.Seed
// derives the published tokens; Options.Scenario is ignored (Reset goes
// back to the snapshot). The first four users (in id order) own the published tokens
// ("superadmin", "readonly", "noapps", "reviewer"); an empty snapshot has
// no token owners and so no usable tokens. GROUP-scoped app users are
// derived from memberships and app groups, as Okta does; only USER-scoped
// app users are taken from snap.AppUsers.
func FromSnapshot(snap Snapshot, opts Options) (*Sim, error) {
	s, err := newEmpty(opts)
	if err != nil {
		return nil, err
	}
	s.seeded = func(now int64) (*org, error) { return snapshotOrg(snap, opts.Seed, now) }
	o, err := s.seeded(s.nowMS())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.org = o
	s.mu.Unlock()
	return s, nil
}

// newEmpty is New without generating a scenario's data: the org built for
// the smallest scenario is replaced by the caller.
func newEmpty(opts Options) (*Sim, error) {
	if opts.Scenario == "" {
		opts.Scenario = "S"
	}
	if _, ok := scenarios[opts.Scenario]; !ok {
		return nil, fmt.Errorf("unknown scenario %q (want S, M, L or XL)", opts.Scenario)
	}
	if opts.RateLimits == "" {
		opts.RateLimits = "off"
	}
	lim, err := newLimiter(opts.RateLimits)
	if err != nil {
		return nil, err
	}
	s := &Sim{opts: opts, limits: lim, accessTokens: map[string]*accessToken{}, ext: newSimExt(opts.Seed), dpop: newDPoPState()}
	s.stats.init()
	s.faults.seed(opts.Seed)
	return s, nil
}

// SetRateLimits makes the org enforce the given per-minute limits, keyed
// by the bucket names the okta package journals ("/api/v1/users",
// "/api/v1/groups/{id}*", ...); buckets not named keep their current
// limit. Replays use it to give the customer's observed limits back to
// the client's governor. Call it before serving requests.
func (s *Sim) SetRateLimits(limits map[string]int) error {
	for name, n := range limits {
		b, ok := bucketNames[name]
		if !ok {
			return fmt.Errorf("unknown rate-limit bucket %q", name)
		}
		if n <= 0 {
			return fmt.Errorf("rate limit of bucket %q: %d is not positive", name, n)
		}
		s.limits.limits[b] = n
		s.limits.enforce = true
	}
	return nil
}

// bucketNames maps the client's bucket keys to the sim's buckets.
var bucketNames = map[string]int{
	"/api/v1/users":        bucketUsers,
	"/api/v1/groups":       bucketGroups,
	"/api/v1/groups/{id}*": bucketGroup,
	"/api/v1/apps":         bucketApps,
	"/api/v1/apps/{id}*":   bucketApp,
	"/api/v1/logs":         bucketLogs,
	"/oauth2/v1/token":     bucketToken,
	"/api/v1/*":            bucketOther,
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func msPtr(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return ms(*t)
}

// snapshotOrg builds the org's state from snap.
func snapshotOrg(snap Snapshot, seed, now int64) (*org, error) {
	o := &org{seed: seed, scenario: "snapshot", nextSeq: map[string]int32{}, cacheJSON: len(snap.Users) <= 200_000}
	users := append([]directory.User(nil), snap.Users...)
	sort.Slice(users, func(i, j int) bool { return users[i].ID < users[j].ID })
	o.users = make([]*user, 0, len(users))
	for i, du := range users {
		if du.ID == "" || (i > 0 && users[i-1].ID == du.ID) {
			return nil, fmt.Errorf("snapshot user %d: empty or duplicate id %q", i, du.ID)
		}
		u := &user{id: du.ID, seq: int32(i), status: du.Status, created: ms(du.Created),
			activated: msPtr(du.Activated), statusChanged: msPtr(du.StatusChanged), lastLogin: msPtr(du.LastLogin),
			lastUpdated: ms(du.LastUpdated), passwordChanged: msPtr(du.PasswordChanged), prof: snapshotProfile(du)}
		o.users = append(o.users, u)
	}
	o.nextSeq[prefixUser] = int32(len(o.users))

	groups := append([]directory.Group(nil), snap.Groups...)
	sort.Slice(groups, func(i, j int) bool { return groups[i].ID < groups[j].ID })
	for i, dg := range groups {
		if dg.ID == "" || (i > 0 && groups[i-1].ID == dg.ID) {
			return nil, fmt.Errorf("snapshot group %d: empty or duplicate id %q", i, dg.ID)
		}
		g := &group{id: dg.ID, seq: int32(i), typ: dg.Type, name: dg.Name, description: dg.Description,
			created: ms(dg.Created), lastUpdated: ms(dg.LastUpdated), lastMembershipUpdated: ms(dg.LastMembershipUpdated)}
		if g.typ == "" {
			g.typ = directory.GroupTypeOkta
		}
		o.groups = append(o.groups, g)
		if g.typ == directory.GroupTypeBuiltIn && g.name == "Everyone" {
			o.everyone = g
		}
	}
	o.nextSeq[prefixGroup] = int32(len(o.groups))

	apps := append([]directory.App(nil), snap.Apps...)
	sort.Slice(apps, func(i, j int) bool { return apps[i].ID < apps[j].ID })
	for i, da := range apps {
		if da.ID == "" || (i > 0 && apps[i-1].ID == da.ID) {
			return nil, fmt.Errorf("snapshot app %d: empty or duplicate id %q", i, da.ID)
		}
		o.apps = append(o.apps, &app{id: da.ID, seq: int32(i), name: da.Name, label: da.Label, status: da.Status,
			signOnMode: da.SignOnMode, created: ms(da.Created), lastUpdated: ms(da.LastUpdated)})
	}
	o.nextSeq[prefixApp] = int32(len(o.apps))

	// Members are appended per group and sorted once: inserting one by
	// one would be quadratic in a big group.
	for _, m := range snap.Memberships {
		g, u := o.group(m.GroupID), o.user(m.UserID)
		if g == nil || u == nil {
			return nil, fmt.Errorf("snapshot membership %s/%s: unknown group or user", m.GroupID, m.UserID)
		}
		g.members = append(g.members, u)
	}
	for _, g := range o.groups {
		sort.Slice(g.members, func(i, j int) bool { return g.members[i].id < g.members[j].id })
		w := 0
		for i, u := range g.members {
			if i > 0 && g.members[w-1] == u {
				continue
			}
			g.members[w] = u
			w++
			u.groups = append(u.groups, g)
		}
		g.members = g.members[:w]
	}

	appGroups := append([]directory.AppGroup(nil), snap.AppGroups...)
	sort.SliceStable(appGroups, func(i, j int) bool { return appGroups[i].Priority < appGroups[j].Priority })
	for _, ag := range appGroups {
		a, g := o.app(ag.AppID), o.group(ag.GroupID)
		if a == nil || g == nil {
			return nil, fmt.Errorf("snapshot app group %s/%s: unknown app or group", ag.AppID, ag.GroupID)
		}
		o.assignGroup(a, g, ag.Priority, ms(ag.LastUpdated))
	}
	for _, au := range snap.AppUsers {
		a, u := o.app(au.AppID), o.user(au.UserID)
		if a == nil || u == nil {
			return nil, fmt.Errorf("snapshot app user %s/%s: unknown app or user", au.AppID, au.UserID)
		}
		if au.Scope == directory.ScopeGroup {
			continue
		}
		o.assignUser(a, u, ms(au.LastUpdated))
	}
	for _, au := range snap.AppUsers {
		if a, u := o.app(au.AppID), o.user(au.UserID); a != nil && u != nil {
			if x := findAppUser(a, u); x != nil {
				x.lastUpdated = ms(au.LastUpdated)
			}
		}
	}

	o.addPublishedTokens(seed, now)
	return o, nil
}

// snapshotProfile turns a cached user back into the sim's profile. Custom
// attributes are served as strings, in name order.
func snapshotProfile(u directory.User) *profile {
	p := &profile{Login: u.Login, Email: u.Email, SecondEmail: u.SecondEmail, FirstName: u.FirstName,
		LastName: u.LastName, DisplayName: u.DisplayName, Title: u.Title, Department: u.Department,
		Division: u.Division, Organization: u.Organization, Manager: u.Manager, ManagerID: u.ManagerID,
		EmployeeNumber: u.EmployeeNumber, CostCenter: u.CostCenter, MobilePhone: u.MobilePhone,
		PrimaryPhone: u.PrimaryPhone, Locale: u.Locale, PreferredLanguage: u.PreferredLang, Timezone: u.Timezone,
		City: u.City, State: u.State, CountryCode: u.CountryCode, UserType: u.UserType}
	names := make([]string, 0, len(u.Attributes))
	for k := range u.Attributes {
		if k == "nickName" {
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	if v, ok := u.Attributes["nickName"].(string); ok {
		p.NickName = v
	}
	for _, k := range names {
		v := u.Attributes[k]
		if v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			s = strings.TrimSpace(fmt.Sprint(v))
		}
		p.Custom = append(p.Custom, attr{Name: k, Value: s})
	}
	return p
}
