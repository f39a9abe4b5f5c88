package plan

import (
	"fmt"
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

func (b *builder) change(ch Change) error {
	name := strings.TrimSpace(ch.Group)
	if name == "" {
		return refused("a change names no group")
	}
	if !ch.Create && ch.Rename == "" && !ch.SetDescription && len(ch.Add) == 0 && len(ch.Remove) == 0 {
		return refused("the change to group %q does nothing", name)
	}
	var base GroupBase
	if ch.Create {
		if _, taken := b.r.GroupByName(name); taken {
			return refused("cannot create group %q: a group with that name exists", name)
		}
		if len(ch.Remove) > 0 {
			return refused("cannot remove members from group %q: the plan creates it", name)
		}
		if ch.Rename != "" {
			return refused("cannot rename group %q: the plan creates it, give it the right name", name)
		}
		ref := NewGroupPrefix + name
		if _, dup := b.p.Base(ref); dup {
			return refused("group %q is created twice", name)
		}
		base = GroupBase{Ref: ref, Name: name, Description: ch.Description, Type: directory.GroupTypeOkta, Create: true}
		b.p.Groups = append(b.p.Groups, base)
		b.members[ref] = map[string]bool{}
		b.p.Ops = append(b.p.Ops, Op{Kind: OpCreate, Group: ref, GroupName: name, Name: name, Description: ch.Description})
	} else {
		g, ok := b.findGroup(name)
		if !ok {
			return refused("no group %q in the cache (name or id; sync first if it is new, or stage it with --create)", name)
		}
		switch g.Type {
		case directory.GroupTypeApp:
			return refused("group %q is an APP_GROUP: its members come from the source app and cannot be changed in Okta", g.Name)
		case directory.GroupTypeBuiltIn:
			return refused("group %q is BUILT_IN: Okta manages its members (everyone is in Everyone)", g.Name)
		case directory.GroupTypeOkta:
		default:
			return refused("group %q has type %q: only OKTA_GROUP memberships can be changed", g.Name, g.Type)
		}
		var ok2 bool
		if base, ok2 = b.p.Base(g.ID); !ok2 {
			set := map[string]bool{}
			for uid := range b.r.MembersOf(g.ID) {
				set[uid] = true
			}
			base = GroupBase{Ref: g.ID, Name: g.Name, Description: g.Description, Type: g.Type,
				LastUpdated: g.LastUpdated.UTC(), LastMembershipUpdated: g.LastMembershipUpdated.UTC(), Members: len(set)}
			b.p.Groups = append(b.p.Groups, base)
			b.members[g.ID] = set
		}
		if ch.Rename != "" || ch.SetDescription {
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
			} else {
				for _, op := range b.p.Ops {
					if op.Kind == OpUpdate && op.Group == g.ID {
						return refused("group %q is edited twice in one plan", g.Name)
					}
				}
				b.p.Ops = append(b.p.Ops, Op{Kind: OpUpdate, Group: g.ID, GroupName: base.Name, Name: newName, Description: newDesc})
			}
		}
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
	im := Impact{Groups: []GroupImpact{}, Apps: []AppImpact{}, Privileged: []string{}}
	names := map[string]string{}
	for _, g := range p.Groups {
		names[g.Ref] = g.Name
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
		im.Groups = append(im.Groups, gi)
		if privileged.MatchString(g.Name) || hasUpdateTo(p, g.Ref, func(op Op) bool { return privileged.MatchString(op.Name) }) {
			im.Privileged = append(im.Privileged, g.Name)
		}
	}
	// Per user: the groups they are in after the plan.
	type userDelta struct {
		add, remove map[string]bool
	}
	users := map[string]*userDelta{}
	var order []string
	logins := map[string]string{}
	for _, op := range p.Ops {
		if op.Kind != OpAdd && op.Kind != OpRemove {
			continue
		}
		d := users[op.UserID]
		if d == nil {
			d = &userDelta{add: map[string]bool{}, remove: map[string]bool{}}
			users[op.UserID] = d
			order = append(order, op.UserID)
			logins[op.UserID] = op.Login
		}
		if op.Kind == OpAdd {
			d.add[op.Group] = true
		} else {
			d.remove[op.Group] = true
		}
	}
	apps := map[string]*AppImpact{}
	var appOrder []string
	appOf := func(appID string) *AppImpact {
		a := apps[appID]
		if a == nil {
			label := appID
			if app, ok := r.App(appID); ok {
				label = app.Label
			}
			a = &AppImpact{AppID: appID, Label: label, Via: []string{}, Lose: []string{}, Keep: []Keep{}, Gain: []string{}}
			for _, g := range p.Groups {
				if g.Create {
					continue
				}
				for _, ag := range r.AppsOfGroup(g.Ref) {
					if ag.AppID == appID {
						a.Via = append(a.Via, g.Name)
					}
				}
			}
			apps[appID] = a
			appOrder = append(appOrder, appID)
		}
		return a
	}
	groupName := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		if g, ok := r.Group(id); ok {
			return g.Name
		}
		return id
	}
	for _, uid := range order {
		d := users[uid]
		before := r.GroupsOf(uid)
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
		direct := map[string]bool{}
		for _, au := range r.AppsOfUser(uid) {
			if au.Scope == directory.ScopeUser {
				direct[au.AppID] = true
			}
		}
		// apps granted through groups, before and after, with the granting groups
		grants := func(groups []string) map[string][]string {
			m := map[string][]string{}
			for _, g := range groups {
				for _, ag := range r.AppsOfGroup(g) {
					m[ag.AppID] = append(m[ag.AppID], g)
				}
			}
			return m
		}
		afterList := make([]string, 0, len(after))
		for g := range after {
			afterList = append(afterList, g)
		}
		slices.Sort(afterList)
		was, will := grants(before), grants(afterList)
		touchedApps := map[string]bool{}
		for g := range d.remove {
			for _, ag := range r.AppsOfGroup(g) {
				touchedApps[ag.AppID] = true
			}
		}
		for g := range d.add {
			for _, ag := range r.AppsOfGroup(g) {
				touchedApps[ag.AppID] = true
			}
		}
		appIDs := make([]string, 0, len(touchedApps))
		for a := range touchedApps {
			appIDs = append(appIDs, a)
		}
		slices.Sort(appIDs)
		for _, appID := range appIDs {
			had := direct[appID] || len(was[appID]) > 0
			has := direct[appID] || len(will[appID]) > 0
			removedFromGranting := false
			for _, g := range was[appID] {
				if d.remove[g] {
					removedFromGranting = true
				}
			}
			switch {
			case had && !has:
				a := appOf(appID)
				a.Lose = append(a.Lose, logins[uid])
			case removedFromGranting && has:
				via := "direct assignment"
				if len(will[appID]) > 0 {
					via = groupName(will[appID][0])
				}
				a := appOf(appID)
				a.Keep = append(a.Keep, Keep{Login: logins[uid], Via: via})
			case !had && has:
				a := appOf(appID)
				a.Gain = append(a.Gain, logins[uid])
			}
		}
	}
	slices.Sort(appOrder)
	slices.SortStableFunc(appOrder, func(x, y string) int { return strings.Compare(apps[x].Label, apps[y].Label) })
	for _, id := range appOrder {
		im.Apps = append(im.Apps, *apps[id])
	}
	return im
}

func hasUpdateTo(p *Plan, ref string, pred func(Op) bool) bool {
	for _, op := range p.Ops {
		if op.Group == ref && (op.Kind == OpUpdate || op.Kind == OpCreate) && pred(op) {
			return true
		}
	}
	return false
}
