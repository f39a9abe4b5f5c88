package oktasim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// simExt is the simulator state behind OAuth, the System Log and churn.
// churnRounds and lastStamp are guarded by Sim.mu like the org.
type simExt struct {
	oauth       *oauthServer
	logs        *logStore
	churnRounds uint64 // changes applied since the last reset
	lastStamp   int64  // latest timestamp handed out by stampMS
}

func newSimExt(seed int64) simExt {
	return simExt{oauth: newOAuthServer(seed), logs: newLogStore(seed)}
}

// reset goes back to the seeded state; callers hold Sim.mu for writing.
func (e *simExt) reset() {
	e.oauth.reset()
	e.logs.reset()
	e.churnRounds = 0
	e.lastStamp = 0
}

// ChurnResult says what one call to Churn did, per kind of change.
type ChurnResult struct {
	Applied int            `json:"applied"`
	ByKind  map[string]int `json:"by_kind"` // System Log event type → count
}

// churnOp is one kind of random change. apply returns false when the org
// offers nothing to apply it to (e.g. no deprovisioned user to delete), in
// which case the round tries the next kind.
type churnOp struct {
	weight int
	apply  func(c *churner) bool
}

// churnOps are the changes churn draws from, weighted roughly like a
// real org's day: many profile and membership changes, few deletions.
var churnOps = []churnOp{
	{6, (*churner).createUser},
	{14, (*churner).updateProfile},
	{4, (*churner).deactivateUser},
	{3, (*churner).suspendUser},
	{3, (*churner).unsuspendUser},
	{2, (*churner).deleteUser},
	{18, (*churner).addMember},
	{14, (*churner).removeMember},
	{3, (*churner).createGroup},
	{3, (*churner).renameGroup},
	{1, (*churner).deleteGroup},
	{6, (*churner).assignUser},
	{5, (*churner).unassignUser},
	{3, (*churner).assignGroup},
	{2, (*churner).unassignGroup},
	{2, (*churner).relabelApp},
}

var churnWeight = func() int {
	n := 0
	for _, op := range churnOps {
		n += op.weight
	}
	return n
}()

// churner applies one round of churn with s.mu held for writing.
type churner struct {
	s     *Sim
	o     *org
	r     *rand.Rand
	now   int64
	round uint64
	actor LogActor
	txn   string
	kinds map[string]int
}

// Churn applies n random changes to the org, as an admin and the
// provisioning jobs of a busy org would: users created, updated,
// deactivated, suspended, deleted; memberships added and removed; groups
// created, renamed, deleted; apps assigned to users and groups and
// relabelled. Each change bumps lastUpdated/lastMembershipUpdated to a
// timestamp strictly after every earlier one and writes the System Log
// events Okta writes for it.
//
// Change k (counted from the last reset) of seed s always draws the same
// random numbers, so the same sequence of Churn calls on the same seed
// gives the same org, whatever n each call used.
func (s *Sim) Churn(n int) (ChurnResult, error) {
	if n < 0 || n > 1_000_000 {
		return ChurnResult{}, fmt.Errorf("churn: n = %d, want 0..1000000", n)
	}
	res := ChurnResult{ByKind: map[string]int{}}
	for i := 0; i < n; i++ {
		s.churnOne(&res)
	}
	return res, nil
}

// churnOne applies the next change. It takes the write lock for one
// change only, so that a long churn does not stall readers.
func (s *Sim) churnOne(res *ChurnResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	round := s.ext.churnRounds
	s.ext.churnRounds++
	c := &churner{
		s:     s,
		o:     s.org,
		r:     rand.New(rand.NewPCG(uint64(s.org.seed), uint64(0xc4)<<56|round)),
		round: round,
		kinds: res.ByKind,
		txn:   oktaID("W", s.org.seed, "churn/"+strconv.FormatUint(round, 10)),
	}
	c.actor = s.adminActor()
	pick := c.r.IntN(churnWeight)
	start := 0
	for j, op := range churnOps {
		if pick < op.weight {
			start = j
			break
		}
		pick -= op.weight
	}
	// When the drawn kind has nothing to work on, try the next kinds
	// in turn so that every round changes something.
	for j := 0; j < len(churnOps); j++ {
		c.now = s.stampMS()
		if churnOps[(start+j)%len(churnOps)].apply(c) {
			res.Applied++
			break
		}
	}
}

// stampMS returns the sim clock in ms, strictly after every timestamp the
// simulator handed out before (several changes in one millisecond get
// consecutive milliseconds), so that `lastUpdated gt` filters always see
// the later change. Callers hold s.mu for writing.
func (s *Sim) stampMS() int64 {
	now := s.nowMS()
	if now <= s.ext.lastStamp {
		now = s.ext.lastStamp + 1
	}
	s.ext.lastStamp = now
	return now
}

// adminActor is the System Log actor for changes made in the admin
// console: the org's first super administrator.
func (s *Sim) adminActor() LogActor {
	for _, t := range s.org.tokens {
		if roleOf(t.role) == roleSuper && t.owner != nil {
			return userActor(s.org, t.owner)
		}
	}
	return LogActor{ID: "0oa00000000000000000", Type: logActorSystem, AlternateID: "system@okta.com", DisplayName: "Okta System"}
}

func userActor(o *org, u *user) LogActor {
	p := o.profile(u)
	return LogActor{ID: u.id, Type: logActorUser, AlternateID: p.Login, DisplayName: displayName(p)}
}

func displayName(p *profile) string {
	if p.FirstName != "" || p.LastName != "" {
		return p.FirstName + " " + p.LastName
	}
	return p.Login
}

func userTarget(o *org, u *user) LogTarget {
	p := o.profile(u)
	return LogTarget{ID: u.id, Type: logTargetUser, AlternateID: p.Login, DisplayName: displayName(p)}
}

// appUserTargets are the targets of an application.user_membership
// event, as Okta writes them: the app-user record (type AppUser, an id of
// its own with prefix 0ua, not the Okta user's id), the app, and the Okta
// user. Captured events: see oktasim/testdata/logs/README.md.
func appUserTargets(o *org, a *app, u *user) []LogTarget {
	person := userTarget(o, u)
	record := person
	record.Type = logTargetAppUser
	record.ID = appUserRecordID(o.seed, a, u)
	return []LogTarget{record, appTarget(a), person}
}

// appUserRecordID is the id of the app-user record of u in a: stable for
// the pair, so that the add and the remove event name the same record.
func appUserRecordID(seed int64, a *app, u *user) string {
	return oktaID(prefixAppUser, seed, "appuser/"+a.id+"/"+u.id)
}

// appGroupTargets are the targets of a group.application_assignment
// event, in Okta's order: the group, then the app.
func appGroupTargets(a *app, g *group) []LogTarget {
	return []LogTarget{groupTarget(g), appTarget(a)}
}

func groupTarget(g *group) LogTarget {
	return LogTarget{ID: g.id, Type: logTargetGroup, AlternateID: "unknown", DisplayName: g.name}
}

func appTarget(a *app) LogTarget {
	return LogTarget{ID: a.id, Type: logTargetApp, AlternateID: a.label, DisplayName: a.label}
}

// log writes one event of the current round.
func (c *churner) log(eventType string, targets ...LogTarget) {
	c.s.ext.logs.add(c.now, eventType, logOrigin{actor: c.actor, client: adminClient, transaction: c.txn}, targets...)
	c.kinds[eventType]++
}

// userApps snapshots the apps u holds, directly or through groups.
func userApps(u *user) map[*app]bool {
	m := make(map[*app]bool, len(u.apps))
	for _, au := range u.apps {
		m[au.app] = true
	}
	return m
}

// appHolders snapshots the users holding a.
func appHolders(a *app) map[*user]bool {
	m := make(map[*user]bool, len(a.users))
	for _, au := range a.users {
		m[au.user] = true
	}
	return m
}

// appMembershipEvents lists the application.user_membership events of a
// change, as Okta writes them also for assignments a group grants: one
// per app u gained or lost since before (a nil u compares the holders
// of app a with beforeUsers instead).
func appMembershipEvents(o *org, u *user, before map[*app]bool, a *app, beforeUsers map[*user]bool) []pendingEvent {
	var out []pendingEvent
	if u != nil {
		now := userApps(u)
		for _, au := range u.apps {
			if !before[au.app] {
				out = append(out, pendingEvent{EventAppUserAdd, appUserTargets(o, au.app, u)})
			}
		}
		for x := range before {
			if !now[x] {
				out = append(out, pendingEvent{EventAppUserRemove, appUserTargets(o, x, u)})
			}
		}
		slices.SortFunc(out, func(p, q pendingEvent) int { return strings.Compare(p.targets[1].ID, q.targets[1].ID) }) // by app id
		return out
	}
	now := appHolders(a)
	for _, au := range a.users { // sorted by user id
		if !beforeUsers[au.user] {
			out = append(out, pendingEvent{EventAppUserAdd, appUserTargets(o, a, au.user)})
		}
	}
	var lost []*user
	for x := range beforeUsers {
		if !now[x] {
			lost = append(lost, x)
		}
	}
	slices.SortFunc(lost, func(p, q *user) int { return strings.Compare(p.id, q.id) })
	for _, x := range lost {
		if o.user(x.id) == x {
			out = append(out, pendingEvent{EventAppUserRemove, appUserTargets(o, a, x)})
		}
	}
	return out
}

// pendingEvent is an event computed before it is written.
type pendingEvent struct {
	eventType string
	targets   []LogTarget
}

// logAll writes events of the current round.
func (c *churner) logAll(events []pendingEvent) {
	for _, ev := range events {
		c.log(ev.eventType, ev.targets...)
	}
}

// adminClient is the client of changes made in the admin console.
var adminClient = LogClient{
	IPAddress: "198.51.100.24",
	Zone:      "null",
	UserAgent: LogUserAgent{RawUserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", OS: "Mac OS X", Browser: "SAFARI"},
}

// protected reports whether u must survive churn: the token owners, so
// that the control plane's credentials keep working.
func protected(u *user) bool { return int(u.seq) < len(tokenOwners) }

// pickUser returns a random user satisfying ok, or nil after a bounded
// number of tries (the org may have none).
func (c *churner) pickUser(ok func(*user) bool) *user {
	users := c.o.users
	if len(users) == 0 {
		return nil
	}
	for try := 0; try < 64; try++ {
		if u := users[c.r.IntN(len(users))]; ok(u) {
			return u
		}
	}
	return nil
}

func (c *churner) pickGroup(ok func(*group) bool) *group {
	groups := c.o.groups
	if len(groups) == 0 {
		return nil
	}
	for try := 0; try < 64; try++ {
		if g := groups[c.r.IntN(len(groups))]; ok(g) {
			return g
		}
	}
	return nil
}

func (c *churner) pickApp() *app {
	if len(c.o.apps) == 0 {
		return nil
	}
	return c.o.apps[c.r.IntN(len(c.o.apps))]
}

func isOktaGroup(g *group) bool { return g.typ == "OKTA_GROUP" }

func (c *churner) createUser() bool {
	u := &user{status: "ACTIVE", created: c.now, activated: c.now, statusChanged: c.now, passwordChanged: c.now, lastUpdated: c.now}
	u.id, u.seq = c.o.newID(prefixUser)
	c.o.insertUser(u) // also adds u to Everyone, and to the apps Everyone holds
	c.log(EventUserCreate, userTarget(c.o, u))
	if c.o.everyone != nil {
		c.log(EventGroupMemberAdd, userTarget(c.o, u), groupTarget(c.o.everyone))
	}
	c.logAll(appMembershipEvents(c.o, u, nil, nil, nil))
	return true
}

// Profile values churn writes, in a few scripts so that sync and search
// meet non-ASCII updates too.
var (
	churnTitles      = []string{"Staff Engineer", "Engineering Manager", "Account Executive", "Directeur commercial", "プロダクトマネージャー", "Analyst II", "Head of People"}
	churnDepartments = []string{"Engineering", "Sales", "Finance", "Marketing", "Support", "Operations", "Legal", "Recherche & Développement"}
	churnCities      = [][2]string{{"Berlin", "BE"}, {"Lagos", "LA"}, {"São Paulo", "SP"}, {"Toronto", "ON"}, {"東京", "13"}}
)

func (c *churner) updateProfile() bool {
	u := c.pickUser(func(u *user) bool { return u.status != "DEPROVISIONED" })
	if u == nil {
		return false
	}
	p := *c.o.profile(u)
	p.Custom = slices.Clone(p.Custom)
	switch c.r.IntN(3) {
	case 0:
		p.Title = churnTitles[c.r.IntN(len(churnTitles))]
	case 1:
		p.Department = churnDepartments[c.r.IntN(len(churnDepartments))]
	default:
		city := churnCities[c.r.IntN(len(churnCities))]
		p.City, p.State = city[0], city[1]
	}
	c.o.setProfile(u, &p, c.now)
	c.log(EventUserUpdateProfile, userTarget(c.o, u))
	return true
}

// deactivateUser deprovisions a user. As in Okta the user keeps its group
// memberships (and the app assignments they grant) but loses its direct
// app assignments.
func (c *churner) deactivateUser() bool {
	u := c.pickUser(func(u *user) bool { return u.status != "DEPROVISIONED" && !protected(u) })
	if u == nil {
		return false
	}
	before := userApps(u)
	c.setStatus(u, "DEPROVISIONED")
	c.log(EventUserDeactivate, userTarget(c.o, u))
	for _, au := range slices.Clone(u.apps) {
		if au.direct {
			c.o.unassignUser(au.app, u, c.now)
		}
	}
	c.logAll(appMembershipEvents(c.o, u, before, nil, nil))
	return true
}

func (c *churner) setStatus(u *user, status string) {
	u.status = status
	u.statusChanged = c.now
	c.o.touchUser(u, c.now)
}

func (c *churner) suspendUser() bool {
	u := c.pickUser(func(u *user) bool { return u.status == "ACTIVE" && !protected(u) })
	if u == nil {
		return false
	}
	c.setStatus(u, "SUSPENDED")
	c.log(EventUserSuspend, userTarget(c.o, u))
	return true
}

func (c *churner) unsuspendUser() bool {
	u := c.pickUser(func(u *user) bool { return u.status == "SUSPENDED" })
	if u == nil {
		return false
	}
	c.setStatus(u, "ACTIVE")
	c.log(EventUserUnsuspend, userTarget(c.o, u))
	return true
}

// deleteUser deletes a deprovisioned user (Okta deletes only those),
// which also ends its memberships and assignments.
func (c *churner) deleteUser() bool {
	u := c.pickUser(func(u *user) bool { return u.status == "DEPROVISIONED" && !protected(u) })
	if u == nil {
		return false
	}
	target := userTarget(c.o, u)
	c.o.deleteUser(u, c.now)
	c.log(EventUserDelete, target)
	return true
}

func (c *churner) addMember() bool {
	g := c.pickGroup(isOktaGroup)
	if g == nil {
		return false
	}
	u := c.pickUser(func(u *user) bool { return u.status != "DEPROVISIONED" && !isMember(g, u) })
	if u == nil {
		return false
	}
	before := userApps(u)
	c.o.addMember(g, u, c.now)
	c.log(EventGroupMemberAdd, userTarget(c.o, u), groupTarget(g))
	c.logAll(appMembershipEvents(c.o, u, before, nil, nil))
	return true
}

func (c *churner) removeMember() bool {
	g := c.pickGroup(func(g *group) bool { return isOktaGroup(g) && len(g.members) > 0 })
	if g == nil {
		return false
	}
	u := g.members[c.r.IntN(len(g.members))]
	before := userApps(u)
	c.o.removeMember(g, u, c.now)
	c.log(EventGroupMemberRemove, userTarget(c.o, u), groupTarget(g))
	c.logAll(appMembershipEvents(c.o, u, before, nil, nil))
	return true
}

func (c *churner) createGroup() bool {
	g := &group{typ: "OKTA_GROUP", created: c.now, lastUpdated: c.now, lastMembershipUpdated: c.now}
	g.id, g.seq = c.o.newID(prefixGroup)
	c.s.beforeProfileWrite(g, true, c.now)
	g.name = groupTopics[c.r.IntN(len(groupTopics))] + " " + strconv.Itoa(int(g.seq))
	g.description = "Created by churn round " + strconv.FormatUint(c.round, 10)
	c.o.insertGroup(g)
	c.log(EventGroupCreate, groupTarget(g))
	return true
}

func (c *churner) renameGroup() bool {
	g := c.pickGroup(isOktaGroup)
	if g == nil {
		return false
	}
	c.s.beforeProfileWrite(g, false, c.now)
	g.name = groupTopics[c.r.IntN(len(groupTopics))] + " " + groupPlaces[c.r.IntN(len(groupPlaces))] + " " + strconv.Itoa(int(g.seq))
	g.lastUpdated = c.now
	c.log(EventGroupUpdate, groupTarget(g))
	return true
}

// deleteGroup deletes an OKTA_GROUP: its members leave it and its app
// assignments go, with the app users they held.
func (c *churner) deleteGroup() bool {
	g := c.pickGroup(func(g *group) bool { return isOktaGroup(g) && len(g.members) < 200 })
	if g == nil {
		return false
	}
	target := groupTarget(g)
	apps := make([]*app, 0, len(g.apps))
	holders := map[*app]map[*user]bool{}
	for _, ag := range g.apps {
		apps = append(apps, ag.app)
		holders[ag.app] = appHolders(ag.app)
	}
	slices.SortFunc(apps, func(p, q *app) int { return strings.Compare(p.id, q.id) })
	c.o.deleteGroup(g, c.now)
	c.log(EventGroupDelete, target)
	for _, a := range apps {
		c.logAll(appMembershipEvents(c.o, nil, nil, a, holders[a]))
	}
	return true
}

// deleteGroup removes g and everything that refers to it.
func (o *org) deleteGroup(g *group, now int64) {
	for len(g.apps) > 0 {
		o.unassignGroup(g.apps[len(g.apps)-1].app, g, now)
	}
	for len(g.members) > 0 {
		o.removeMember(g, g.members[len(g.members)-1], now)
	}
	o.groups = removeSorted(o.groups, g.id, func(x *group) string { return x.id })
}

func (c *churner) assignUser() bool {
	a := c.pickApp()
	if a == nil {
		return false
	}
	// Okta cannot turn a group-held assignment into an individual one
	// through the API, so only users without the app are assigned.
	u := c.pickUser(func(u *user) bool { return u.status != "DEPROVISIONED" && findAppUser(a, u) == nil })
	if u == nil {
		return false
	}
	c.o.assignUser(a, u, c.now)
	c.log(EventAppUserAdd, appUserTargets(c.o, a, u)...)
	return true
}

func (c *churner) unassignUser() bool {
	a := c.pickApp()
	if a == nil {
		return false
	}
	// Okta refuses (E0000046) to unassign a user whose groups still grant
	// the app, so only purely individual assignments are removed.
	var direct []*appUser
	for _, au := range a.users {
		if au.direct && au.viaGroups == 0 {
			direct = append(direct, au)
		}
	}
	if len(direct) == 0 {
		return false
	}
	u := direct[c.r.IntN(len(direct))].user
	c.o.unassignUser(a, u, c.now)
	c.log(EventAppUserRemove, appUserTargets(c.o, a, u)...)
	return true
}

func (c *churner) assignGroup() bool {
	a := c.pickApp()
	if a == nil {
		return false
	}
	g := c.pickGroup(func(g *group) bool {
		if g.typ == "BUILT_IN" || len(g.members) > 2000 {
			return false
		}
		for _, ag := range g.apps {
			if ag.app == a {
				return false
			}
		}
		return true
	})
	if g == nil {
		return false
	}
	before := appHolders(a)
	c.o.assignGroup(a, g, len(a.groups), c.now)
	c.log(EventGroupAppAssignAdd, appGroupTargets(a, g)...)
	c.logAll(appMembershipEvents(c.o, nil, nil, a, before))
	return true
}

func (c *churner) unassignGroup() bool {
	a := c.pickApp()
	if a == nil || len(a.groups) == 0 {
		return false
	}
	g := a.groups[c.r.IntN(len(a.groups))].group
	if g.typ == "BUILT_IN" {
		return false
	}
	before := appHolders(a)
	c.o.unassignGroup(a, g, c.now)
	c.log(EventGroupAppAssignRemove, appGroupTargets(a, g)...)
	c.logAll(appMembershipEvents(c.o, nil, nil, a, before))
	return true
}

func (c *churner) relabelApp() bool {
	a := c.pickApp()
	if a == nil {
		return false
	}
	a.label = appCatalogue[c.r.IntN(len(appCatalogue))] + " (" + strconv.FormatUint(c.round, 10) + ")"
	a.lastUpdated = c.now
	c.log(EventAppUpdate, appTarget(a))
	return true
}

// ctlChurn serves POST /__sim/churn?n=N (default 1).
func (s *Sim) ctlChurn(c *call) {
	n := 1
	if v := c.query.Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			c.badRequest("n", "must be an integer")
			return
		}
	}
	res, err := s.Churn(n)
	if err != nil {
		c.badRequest("n", err.Error())
		return
	}
	c.writeJSON(res)
}
