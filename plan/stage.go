package plan

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/english"
	"github.com/dirdeck/dirdeck/store"
)

// Change is what an admin asks for one group.
type Change struct {
	// Group is the name or id of an existing group, or the name of the
	// group to create when Create is set.
	Group  string
	Create bool
	// Rename and Description edit the group's profile (Description only
	// when SetDescription is set, so that it can be cleared).
	Rename         string
	Description    string
	SetDescription bool
	// Add and Remove are logins (case-insensitive) or user ids.
	Add    []string
	Remove []string
}

// Request is a plan to stage.
type Request struct {
	Title             string
	OrgURL            string
	Author            Identity
	Now               time.Time
	ApprovalsRequired int
	AllowLarge        bool
	Changes           []Change
}

// privileged matches group names that usually grant administrative power,
// so that a plan touching them says so up front.
var privileged = regexp.MustCompile(`(?i)\b(admins?|administrators?|privileged|super ?users?|root|security|it[- ]ops|break[- ]?glass)\b`)

// Build stages a plan from the cache: it resolves groups and users,
// refuses what Okta would refuse (APP_GROUP and BUILT_IN targets, unknown
// users, a name taken by the group to create) and what needs explicit
// consent (more than LargeRemovals removals without AllowLarge), records
// each group's base and computes the impact.
func Build(r *store.Reader, req Request) (Plan, error) {
	if r.Generation() == 0 {
		return Plan{}, refused("the cache holds no synced data yet; run `dirdeck sync` first")
	}
	if len(req.Changes) == 0 {
		return Plan{}, refused("the plan has no changes")
	}
	if req.Author.AdminID == "" {
		return Plan{}, refused("the plan has no author identity")
	}
	if req.ApprovalsRequired < 1 {
		req.ApprovalsRequired = 1
	}
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	p := Plan{
		Format: Format, OrgURL: req.OrgURL, Title: strings.TrimSpace(req.Title), Author: req.Author,
		Created: req.Now.UTC().Truncate(time.Millisecond), ApprovalsRequired: req.ApprovalsRequired,
		AllowLarge: req.AllowLarge, Groups: []GroupBase{}, Ops: []Op{}, Warnings: []string{},
	}
	if p.Title == "" {
		p.Title = "Group changes"
	}
	b := &builder{r: r, p: &p, members: map[string]map[string]bool{}, touched: map[string]bool{}}
	for _, ch := range req.Changes {
		if err := b.change(ch); err != nil {
			return Plan{}, err
		}
	}
	if len(p.Ops) == 0 {
		return Plan{}, refused("the plan has no operations")
	}
	for i := range p.Ops {
		p.Ops[i].Seq = i + 1
	}
	removals := p.Counts().Remove
	if removals > largeRemovals {
		if !req.AllowLarge {
			return Plan{}, refused("the plan removes %d members (more than %d): stage it with --allow-large if that is intended", removals, largeRemovals)
		}
		p.Warnings = append(p.Warnings, fmt.Sprintf("Large change: %d members removed (allowed with --allow-large).", removals))
	}
	p.Impact = impact(r, &p)
	for _, g := range p.Impact.Privileged {
		p.Warnings = append(p.Warnings, fmt.Sprintf("Privileged group %q is changed: check who gains or loses administrative access.", g))
	}
	for _, a := range p.Impact.Apps {
		if len(a.Lose) > 0 {
			p.Warnings = append(p.Warnings, a.Summary())
		}
	}
	return p, nil
}

// builder accumulates a plan's operations.
type builder struct {
	r       *store.Reader
	p       *Plan
	members map[string]map[string]bool // group ref → member ids at staging
	touched map[string]bool            // group ref + "\t" + user id already in an op
}

func (b *builder) warn(format string, args ...any) {
	b.p.Warnings = append(b.p.Warnings, fmt.Sprintf(format, args...))
}

func (b *builder) findGroup(ref string) (directory.Group, bool) {
	if g, ok := b.r.Group(ref); ok {
		return g, true
	}
	return b.r.GroupByName(ref)
}

// change stages one Change: the group's create, or its base and edit,
// then its members' adds and removes.
func (b *builder) change(ch Change) error {
	name := strings.TrimSpace(ch.Group)
	if name == "" {
		return refused("a change names no group")
	}
	if !ch.Create && ch.Rename == "" && !ch.SetDescription && len(ch.Add) == 0 && len(ch.Remove) == 0 {
		return refused("the change to group %q does nothing", name)
	}
	stage := b.existingGroup
	if ch.Create {
		stage = b.createGroup
	}
	base, err := stage(name, ch)
	if err != nil {
		return err
	}
	for _, kind := range []string{OpAdd, OpRemove} {
		list := ch.Add
		if kind == OpRemove {
			list = ch.Remove
		}
		for _, who := range list {
			if err := b.member(base, kind, who); err != nil {
				return err
			}
		}
	}
	return nil
}

// createGroup stages the create of group name (members are staged by
// change).
func (b *builder) createGroup(name string, ch Change) (GroupBase, error) {
	if _, taken := b.r.GroupByName(name); taken {
		return GroupBase{}, refused("cannot create group %q: a group with that name exists", name)
	}
	if len(ch.Remove) > 0 {
		return GroupBase{}, refused("cannot remove members from group %q: the plan creates it", name)
	}
	if ch.Rename != "" {
		return GroupBase{}, refused("cannot rename group %q: the plan creates it, give it the right name", name)
	}
	ref := NewGroupPrefix + name
	if _, dup := b.p.Base(ref); dup {
		return GroupBase{}, refused("group %q is created twice", name)
	}
	base := GroupBase{Ref: ref, Name: name, Description: ch.Description, Type: directory.GroupTypeOkta, Create: true}
	b.p.Groups = append(b.p.Groups, base)
	b.members[ref] = map[string]bool{}
	b.p.Ops = append(b.p.Ops, Op{Kind: OpCreate, Group: ref, GroupName: name, Name: name, Description: ch.Description})
	return base, nil
}

// existingGroup finds the cached OKTA_GROUP a change names, records its
// base (once per plan) and stages its rename or new description.
func (b *builder) existingGroup(name string, ch Change) (GroupBase, error) {
	g, ok := b.findGroup(name)
	if !ok {
		return GroupBase{}, refused("no group %q in the cache (name or id; sync first if it is new, or stage it with --create)", name)
	}
	switch g.Type {
	case directory.GroupTypeApp:
		return GroupBase{}, refused("group %q is an APP_GROUP: its members come from the source app and cannot be changed in Okta", g.Name)
	case directory.GroupTypeBuiltIn:
		return GroupBase{}, refused("group %q is BUILT_IN: Okta manages its members (everyone is in Everyone)", g.Name)
	case directory.GroupTypeOkta:
	default:
		return GroupBase{}, refused("group %q has type %q: only OKTA_GROUP memberships can be changed", g.Name, g.Type)
	}
	base, ok := b.p.Base(g.ID)
	if !ok {
		set := map[string]bool{}
		for uid := range b.r.MembersOf(g.ID) {
			set[uid] = true
		}
		base = GroupBase{Ref: g.ID, Name: g.Name, Description: g.Description, Type: g.Type,
			LastUpdated: g.LastUpdated.UTC(), LastMembershipUpdated: g.LastMembershipUpdated.UTC(), Members: len(set)}
		b.p.Groups = append(b.p.Groups, base)
		b.members[g.ID] = set
	}
	if ch.Rename == "" && !ch.SetDescription {
		return base, nil
	}
	return base, b.edit(g, base, ch)
}

// edit stages a group's rename or new description, once per plan.
func (b *builder) edit(g directory.Group, base GroupBase, ch Change) error {
	newName, newDesc := base.Name, base.Description
	if ch.Rename != "" {
		newName = strings.TrimSpace(ch.Rename)
		if other, taken := b.r.GroupByName(newName); taken && other.ID != g.ID {
			return refused("cannot rename %q to %q: another group has that name", g.Name, newName)
		}
	}
	if ch.SetDescription {
		newDesc = ch.Description
	}
	if newName == base.Name && newDesc == base.Description {
		b.warn("Group %q already has that name and description; no update staged.", g.Name)
		return nil
	}
	for _, op := range b.p.Ops {
		if op.Kind == OpUpdate && op.Group == g.ID {
			return refused("group %q is edited twice in one plan", g.Name)
		}
	}
	b.p.Ops = append(b.p.Ops, Op{Kind: OpUpdate, Group: g.ID, GroupName: base.Name, Name: newName, Description: newDesc})
	return nil
}

// findUser resolves a login (case-insensitive), an email or a user id.
func (b *builder) findUser(who string) (directory.User, bool) {
	if u, ok := b.r.User(who); ok {
		return u, true
	}
	for u := range b.r.UsersByPrefix(who) {
		if strings.EqualFold(u.Login, who) {
			return u, true
		}
	}
	var found []directory.User
	for u := range b.r.UsersByPrefix(who) {
		if strings.EqualFold(u.Email, who) {
			found = append(found, u)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return directory.User{}, false
}

func (b *builder) member(base GroupBase, kind, who string) error {
	who = strings.TrimSpace(who)
	if who == "" {
		return nil
	}
	u, ok := b.findUser(who)
	if !ok {
		return refused("no user %q in the cache (login, email or id)", who)
	}
	key := base.Ref + "\t" + u.ID
	if b.touched[key] {
		return refused("user %s appears twice for group %q", u.Login, base.Name)
	}
	b.touched[key] = true
	present := b.members[base.Ref][u.ID]
	switch {
	case kind == OpAdd && present:
		b.warn("%s is already a member of %q: the add will be a no-op.", u.Login, base.Name)
	case kind == OpRemove && !present:
		b.warn("%s is not a member of %q: the removal will be a no-op.", u.Login, base.Name)
	}
	if kind == OpAdd && (u.Status == directory.StatusDeprovisioned || u.Status == directory.StatusSuspended) {
		b.warn("%s is %s: adding them grants nothing until they are reactivated.", u.Login, u.Status)
	}
	b.p.Ops = append(b.p.Ops, Op{Kind: kind, Group: base.Ref, GroupName: base.Name, UserID: u.ID, Login: u.Login,
		UserName: u.Name(), BaseMember: present})
	return nil
}

// Impact is what a plan does to app access and privileged groups,
// computed from the cache at staging.
type Impact struct {
	Groups     []GroupImpact `json:"groups"`
	Apps       []AppImpact   `json:"apps"`
	Privileged []string      `json:"privileged"` // names of privileged-looking groups touched
	// Admins are the touched users who hold admin roles (FlagAdmins; the
	// cache does not know roles).
	Admins []AdminUser `json:"admins,omitempty"`
}

// GroupImpact counts a group's membership change.
type GroupImpact struct {
	Group   string `json:"group"`
	Name    string `json:"name"`
	Before  int    `json:"before"`
	After   int    `json:"after"`
	Added   int    `json:"added"`
	Removed int    `json:"removed"`
}

// AppImpact is how one app's users change through the plan's groups.
type AppImpact struct {
	AppID string `json:"app_id"`
	Label string `json:"label"`
	// Via names the plan's groups assigned to the app.
	Via  []string `json:"via"`
	Lose []string `json:"lose"` // logins that lose the app
	Keep []Keep   `json:"keep"` // removed from a granting group, keep it another way
	Gain []string `json:"gain"` // logins that gain the app
}

// Keep says why a user removed from a granting group keeps an app.
type Keep struct {
	Login string `json:"login"`
	Via   string `json:"via"` // another group's name, or "direct assignment"
}

// Summary is the impact on one line, e.g. "Removing 12 users from Sales
// loses Salesforce for 9; 3 keep it via Sales-EMEA."
func (a AppImpact) Summary() string {
	var parts []string
	removed := len(a.Lose) + len(a.Keep)
	if removed > 0 {
		s := fmt.Sprintf("Removing %s from %s loses %s for %d", english.Count(removed, "user", "users"), strings.Join(a.Via, ", "), a.Label, len(a.Lose))
		if len(a.Keep) > 0 {
			vias := map[string]int{}
			var order []string
			for _, k := range a.Keep {
				if vias[k.Via] == 0 {
					order = append(order, k.Via)
				}
				vias[k.Via]++
			}
			s += fmt.Sprintf("; %d %s it via %s", len(a.Keep), english.Agree(len(a.Keep), "keeps", "keep"), strings.Join(order, ", "))
		}
		parts = append(parts, s)
	}
	if len(a.Gain) > 0 {
		parts = append(parts, fmt.Sprintf("%s %s %s", english.Count(len(a.Gain), "user", "users"), english.Agree(len(a.Gain), "gains", "gain"), a.Label))
	}
	return strings.Join(parts, "; ") + "."
}

// impact compares every touched user's app access before and after the
// plan: an app held through a group is kept if another group the user
// stays in, or a direct assignment, also grants it.
func impact(r *store.Reader, p *Plan) Impact {
	im := Impact{}
	im.Groups, im.Privileged = groupImpacts(p)
	t := newAppTally(r, p)
	for _, d := range userDeltas(p) {
		t.user(d)
	}
	im.Apps = t.impacts()
	return im
}

// groupImpacts counts each target group's members before and after the
// plan, and names the privileged groups it touches (by name, or by a
// create or rename to a privileged name).
func groupImpacts(p *Plan) (groups []GroupImpact, privilegedNames []string) {
	groups, privilegedNames = []GroupImpact{}, []string{}
	for _, g := range p.Groups {
		gi := GroupImpact{Group: g.Ref, Name: g.Name, Before: g.Members}
		for _, op := range p.Ops {
			if op.Group != g.Ref {
				continue
			}
			switch {
			case op.Kind == OpAdd && !op.BaseMember:
				gi.Added++
			case op.Kind == OpRemove && op.BaseMember:
				gi.Removed++
			}
		}
		gi.After = gi.Before + gi.Added - gi.Removed
		groups = append(groups, gi)
		if privileged.MatchString(g.Name) || hasUpdateTo(p, g.Ref, func(op Op) bool { return privileged.MatchString(op.Name) }) {
			privilegedNames = append(privilegedNames, g.Name)
		}
	}
	return groups, privilegedNames
}

// userDelta is one user's membership operations in a plan.
type userDelta struct {
	id, login   string
	add, remove map[string]bool // group refs
}

// userDeltas gathers the plan's membership operations by user, in the
// order of each user's first operation.
func userDeltas(p *Plan) []*userDelta {
	byID := map[string]*userDelta{}
	var out []*userDelta
	for _, op := range p.Ops {
		if op.Kind != OpAdd && op.Kind != OpRemove {
			continue
		}
		d := byID[op.UserID]
		if d == nil {
			d = &userDelta{id: op.UserID, login: op.Login, add: map[string]bool{}, remove: map[string]bool{}}
			byID[op.UserID] = d
			out = append(out, d)
		}
		if op.Kind == OpAdd {
			d.add[op.Group] = true
		} else {
			d.remove[op.Group] = true
		}
	}
	return out
}

// appTally gathers, app by app, who loses, keeps and gains it.
type appTally struct {
	r     *store.Reader
	p     *Plan
	names map[string]string // the plan's group names by ref
	apps  map[string]*AppImpact
	order []string
}

func newAppTally(r *store.Reader, p *Plan) *appTally {
	t := &appTally{r: r, p: p, names: map[string]string{}, apps: map[string]*AppImpact{}}
	for _, g := range p.Groups {
		t.names[g.Ref] = g.Name
	}
	return t
}

// app is the impact on appID, started with the plan's groups that grant it.
func (t *appTally) app(appID string) *AppImpact {
	if a := t.apps[appID]; a != nil {
		return a
	}
	label := appID
	if app, ok := t.r.App(appID); ok {
		label = app.Label
	}
	a := &AppImpact{AppID: appID, Label: label, Via: []string{}, Lose: []string{}, Keep: []Keep{}, Gain: []string{}}
	for _, g := range t.p.Groups {
		if g.Create {
			continue
		}
		for _, ag := range t.r.AppsOfGroup(g.Ref) {
			if ag.AppID == appID {
				a.Via = append(a.Via, g.Name)
			}
		}
	}
	t.apps[appID] = a
	t.order = append(t.order, appID)
	return a
}

// groupName names a group: as the plan does, else as the cache does.
func (t *appTally) groupName(id string) string {
	if n, ok := t.names[id]; ok {
		return n
	}
	if g, ok := t.r.Group(id); ok {
		return g.Name
	}
	return id
}

// user tallies one user's app access before and after their membership
// changes, over the apps assigned to a group they join or leave.
func (t *appTally) user(d *userDelta) {
	before := t.r.GroupsOf(d.id)
	direct := map[string]bool{}
	for _, au := range t.r.AppsOfUser(d.id) {
		if au.Scope == directory.ScopeUser {
			direct[au.AppID] = true
		}
	}
	was, will := t.grants(before), t.grants(groupsAfter(before, d))
	for _, appID := range t.touchedApps(d) {
		had := direct[appID] || len(was[appID]) > 0
		has := direct[appID] || len(will[appID]) > 0
		removedFromGranting := slices.ContainsFunc(was[appID], func(g string) bool { return d.remove[g] })
		switch {
		case had && !has:
			a := t.app(appID)
			a.Lose = append(a.Lose, d.login)
		case removedFromGranting && has:
			via := "direct assignment"
			if len(will[appID]) > 0 {
				via = t.groupName(will[appID][0])
			}
			a := t.app(appID)
			a.Keep = append(a.Keep, Keep{Login: d.login, Via: via})
		case !had && has:
			a := t.app(appID)
			a.Gain = append(a.Gain, d.login)
		}
	}
}

// groupsAfter is a user's groups after the plan, sorted (a group the plan
// creates has no apps yet and is left out).
func groupsAfter(before []string, d *userDelta) []string {
	after := map[string]bool{}
	for _, g := range before {
		if !d.remove[g] {
			after[g] = true
		}
	}
	for g := range d.add {
		if !strings.HasPrefix(g, NewGroupPrefix) {
			after[g] = true
		}
	}
	return slices.Sorted(maps.Keys(after))
}

// grants maps each app assigned to one of groups to the groups granting it.
func (t *appTally) grants(groups []string) map[string][]string {
	m := map[string][]string{}
	for _, g := range groups {
		for _, ag := range t.r.AppsOfGroup(g) {
			m[ag.AppID] = append(m[ag.AppID], g)
		}
	}
	return m
}

// touchedApps are the apps assigned to a group the user joins or leaves,
// sorted.
func (t *appTally) touchedApps(d *userDelta) []string {
	touched := map[string]bool{}
	for _, groups := range []map[string]bool{d.remove, d.add} {
		for g := range groups {
			for _, ag := range t.r.AppsOfGroup(g) {
				touched[ag.AppID] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(touched))
}

// impacts lists the apps' impacts by label (then id).
func (t *appTally) impacts() []AppImpact {
	order := slices.Clone(t.order)
	slices.Sort(order)
	slices.SortStableFunc(order, func(x, y string) int { return strings.Compare(t.apps[x].Label, t.apps[y].Label) })
	out := []AppImpact{}
	for _, id := range order {
		out = append(out, *t.apps[id])
	}
	return out
}

func hasUpdateTo(p *Plan, ref string, pred func(Op) bool) bool {
	for _, op := range p.Ops {
		if op.Group == ref && (op.Kind == OpUpdate || op.Kind == OpCreate) && pred(op) {
			return true
		}
	}
	return false
}
