// Package staging is the TUI's staging area: the group changes an admin
// has picked in the Groups pane and in a user's detail (members to add or
// remove, a group to create, a new name or description) but not yet
// submitted as a plan. The root model makes one Area and hands it to the
// panes that stage (tui.New passes it to their constructors; it is not in
// pane.Context, so the panes that only browse do not depend on plan), so a
// change staged in one pane shows in the others; the root submits it as a
// plan (package plan) with S.
//
// The area refuses at once what Okta would refuse anyway (APP_GROUP and
// BUILT_IN targets) and leaves everything else to plan.Build at submit,
// whose refusals (unknown users, a taken name, the large-change guard)
// are kept in the area and shown inline until the admin acts.
package staging

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/plan"
	"github.com/dirdeck/dirdeck/themes"
)

// Member is a user in a staged membership change.
type Member struct {
	ID    string
	Login string
	Name  string
}

// Label is how a member is shown: "Name <login>", or the login alone.
func (m Member) Label() string {
	if m.Name == "" || m.Name == m.Login {
		return m.Login
	}
	return m.Name + " <" + m.Login + ">"
}

// Group is everything staged for one group.
type Group struct {
	// Ref is the group's id, or plan.NewGroupPrefix+name for a group the
	// plan creates.
	Ref    string
	Name   string // the name in the cache, or the name to create
	Create bool
	// Rename is the new name ("" keeps it); Description is the new
	// description when SetDescription is set (so it can be cleared).
	Rename         string
	Description    string
	SetDescription bool
	Add, Remove    []Member // in the order staged
}

// Edited reports whether the group's name or description is changed.
func (g Group) Edited() bool { return g.Rename != "" || g.SetDescription }

// ops is the number of plan operations the group stages.
func (g Group) ops() int {
	n := len(g.Add) + len(g.Remove)
	if g.Create || g.Edited() {
		n++
	}
	return n
}

// Options are what submitting needs besides the staged changes.
type Options struct {
	// Who is the admin behind the credential (review.Identity), asked
	// only when a plan is submitted; nil: submitting is not available in
	// this session and the area says so.
	Who func() (plan.Identity, error)
	// OrgURL is stamped into the plan; apply refuses a plan for another org.
	OrgURL string
	// ApprovalsRequired is the profile's approvals_required (0 = 1).
	ApprovalsRequired int
	// Keys sign submitted plans (plan.Submit).
	Keys plan.Keys
	// FlagAdmins, when set, adds live warnings before the plan is hashed:
	// touched users who hold Okta admin roles and groups managed by group
	// rules (plan.FlagAdmins and plan.FlagRules with the session's client);
	// the cache alone knows neither.
	FlagAdmins func(p *plan.Plan) error
	// Now stamps the plan; nil = time.Now.
	Now func() time.Time
}

// Area is the staging area. It is used on the UI goroutine only; commands
// take copies (Changes).
type Area struct {
	opts    Options
	groups  []*Group
	version uint64
	// note is the last outcome shown with the count (a refusal, "staged
	// + alice"); noteErr marks refusals.
	note    string
	noteErr bool
}

// New returns an empty area.
func New(o Options) *Area {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Area{opts: o}
}

// Refusal says why group g cannot be changed through a plan, or nil.
// The reasons match plan.Build's, which checks again at submit.
func Refusal(g directory.Group) error {
	switch g.Type {
	case directory.GroupTypeOkta:
		return nil
	case directory.GroupTypeApp:
		return fmt.Errorf("%w: group %q is an APP_GROUP: its members come from the source app and cannot be changed in Okta", plan.ErrRefused, textsafe.Clean(g.Name))
	case directory.GroupTypeBuiltIn:
		return fmt.Errorf("%w: group %q is BUILT_IN: Okta manages its members (everyone is in Everyone)", plan.ErrRefused, textsafe.Clean(g.Name))
	}
	return fmt.Errorf("%w: group %q has type %q: only OKTA_GROUP groups can be changed", plan.ErrRefused, textsafe.Clean(g.Name), textsafe.Clean(g.Type))
}

// Version changes whenever the staged changes do, so panes know when to
// rebuild what they derive from them.
func (a *Area) Version() uint64 { return a.version }

func (a *Area) changed() { a.version++ }

// Note returns the last outcome and whether it is a refusal.
func (a *Area) Note() (string, bool) { return a.note, a.noteErr }

// SetNote records an outcome to show with the count; isErr marks a
// refusal.
func (a *Area) SetNote(text string, isErr bool) {
	a.note, a.noteErr = text, isErr
}

// did records a change to the staged set and notes it.
func (a *Area) did(note string) {
	a.changed()
	a.SetNote(note, false)
}

// ClearNote drops an outcome that is not a refusal: refusals stay until
// the staged changes change, so the admin sees what to fix.
func (a *Area) ClearNote() {
	if !a.noteErr {
		a.note = ""
	}
}

// Refuse records err as the current refusal and returns it. Refusals
// (plan.ErrRefused) read "refused: reason"; other errors (the identity
// could not be asked, the cache failed) read "failed: error".
func (a *Area) Refuse(err error) error {
	if errors.Is(err, plan.ErrRefused) {
		a.SetNote("refused: "+strings.TrimPrefix(err.Error(), plan.ErrRefused.Error()+": "), true)
	} else {
		a.SetNote("failed: "+err.Error(), true)
	}
	return err
}

func refused(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{plan.ErrRefused}, args...)...)
}

// Count is the number of staged operations.
func (a *Area) Count() int {
	n := 0
	for _, g := range a.groups {
		n += g.ops()
	}
	return n
}

// Counts are the staged operations by kind.
func (a *Area) Counts() plan.Counts {
	var c plan.Counts
	for _, g := range a.groups {
		c.Add += len(g.Add)
		c.Remove += len(g.Remove)
		if g.Create {
			c.Create++
		} else if g.Edited() {
			c.Update++
		}
	}
	return c
}

// Groups returns copies of the staged groups, in the order first staged.
func (a *Area) Groups() []Group {
	out := make([]Group, len(a.groups))
	for i, g := range a.groups {
		out[i] = *g
		out[i].Add = slices.Clone(g.Add)
		out[i].Remove = slices.Clone(g.Remove)
	}
	return out
}

// Group returns what is staged for the group with ref (an id or
// plan.NewGroupPrefix+name).
func (a *Area) Group(ref string) (Group, bool) {
	for _, g := range a.groups {
		if g.Ref == ref {
			c := *g
			c.Add, c.Remove = slices.Clone(g.Add), slices.Clone(g.Remove)
			return c, true
		}
	}
	return Group{}, false
}

func (a *Area) find(ref string) (int, *Group) {
	for i, g := range a.groups {
		if g.Ref == ref {
			return i, g
		}
	}
	return -1, nil
}

// entry returns the staged group for g, adding an empty one; it refuses
// groups that cannot be changed.
func (a *Area) entry(g directory.Group) (*Group, error) {
	if err := Refusal(g); err != nil {
		return nil, a.Refuse(err)
	}
	if _, e := a.find(g.ID); e != nil {
		return e, nil
	}
	e := &Group{Ref: g.ID, Name: g.Name}
	a.groups = append(a.groups, e)
	return e, nil
}

// prune drops groups with nothing staged.
func (a *Area) prune() {
	a.groups = slices.DeleteFunc(a.groups, func(g *Group) bool { return g.ops() == 0 })
}

func indexOf(list []Member, id string) int {
	return slices.IndexFunc(list, func(m Member) bool { return m.ID == id })
}

// Add stages adding u to g. Adding a user staged for removal from g
// cancels the removal instead.
func (a *Area) Add(g directory.Group, u Member) error {
	return a.member(g, u, true)
}

// Remove stages removing u from g. Removing a user staged to be added to
// g cancels the add instead.
func (a *Area) Remove(g directory.Group, u Member) error {
	return a.member(g, u, false)
}

func (a *Area) member(g directory.Group, u Member, add bool) error {
	if u.ID == "" {
		return a.Refuse(refused("no user selected"))
	}
	e, err := a.entry(g)
	if err != nil {
		return err
	}
	to, from, mark := &e.Add, &e.Remove, "+"
	if !add {
		to, from, mark = &e.Remove, &e.Add, "-"
	}
	name := textsafe.Clean(g.Name)
	switch {
	case indexOf(*from, u.ID) >= 0:
		*from = slices.Delete(*from, indexOf(*from, u.ID), indexOf(*from, u.ID)+1)
		a.prune()
		a.did(fmt.Sprintf("unstaged %s %s for %s", mark, textsafe.Clean(u.Login), name))
	case indexOf(*to, u.ID) >= 0:
		a.SetNote(fmt.Sprintf("%s is already staged %s for %s", textsafe.Clean(u.Login), mark, name), false)
	default:
		*to = append(*to, u)
		a.did(fmt.Sprintf("staged %s %s for %s", mark, textsafe.Clean(u.Login), name))
	}
	return nil
}

// Unstage drops the staged add or removal of user id for group ref; it
// reports whether there was one.
func (a *Area) Unstage(ref, id string) bool {
	_, e := a.find(ref)
	if e == nil {
		return false
	}
	for _, list := range []*[]Member{&e.Add, &e.Remove} {
		if i := indexOf(*list, id); i >= 0 {
			login := (*list)[i].Login
			*list = slices.Delete(*list, i, i+1)
			a.prune()
			a.did("unstaged " + textsafe.Clean(login) + " for " + textsafe.Clean(e.Name))
			return true
		}
	}
	return false
}

// Edit stages g's new name and description; values equal to the cached
// ones stage nothing (and drop an earlier edit).
func (a *Area) Edit(g directory.Group, name, description string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return a.Refuse(refused("a group needs a name"))
	}
	e, err := a.entry(g)
	if err != nil {
		return err
	}
	e.Rename, e.Description, e.SetDescription = "", "", false
	if name != g.Name {
		e.Rename = name
	}
	if description != g.Description {
		e.Description, e.SetDescription = description, true
	}
	if e.Edited() {
		a.did("staged ~ " + textsafe.Clean(g.Name))
	} else {
		a.did("no edit staged: " + textsafe.Clean(g.Name) + " already has that name and description")
	}
	a.prune()
	return nil
}

// Create stages a new OKTA_GROUP. taken reports whether a cached group
// already has the name (the caller knows the cache; plan.Build checks it
// again at submit).
func (a *Area) Create(name, description string, taken bool) error {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return a.Refuse(refused("a group needs a name"))
	case taken:
		return a.Refuse(refused("cannot create group %q: a group with that name exists", textsafe.Clean(name)))
	}
	ref := plan.NewGroupPrefix + name
	if _, e := a.find(ref); e != nil {
		return a.Refuse(refused("group %q is already staged to be created", textsafe.Clean(name)))
	}
	a.groups = append(a.groups, &Group{Ref: ref, Name: name, Create: true, Description: description, SetDescription: description != ""})
	a.did("staged + group " + textsafe.Clean(name))
	return nil
}

// Drop removes everything staged for group ref (e.g. a staged creation).
func (a *Area) Drop(ref string) bool {
	i, e := a.find(ref)
	if e == nil {
		return false
	}
	a.groups = slices.Delete(a.groups, i, i+1)
	a.did("unstaged all changes to " + textsafe.Clean(e.Name))
	return true
}

// Discard empties the area.
func (a *Area) Discard() {
	a.groups = nil
	a.did("")
}

// Changes returns the staged changes as plan.Build takes them. Users are
// named by id, so that a login changed since staging cannot pick someone
// else.
func (a *Area) Changes() []plan.Change {
	var out []plan.Change
	for _, g := range a.groups {
		ch := plan.Change{Group: g.Ref, Create: g.Create, Rename: g.Rename,
			Description: g.Description, SetDescription: g.SetDescription}
		if g.Create {
			ch.Group = g.Name
		}
		for _, m := range g.Add {
			ch.Add = append(ch.Add, m.ID)
		}
		for _, m := range g.Remove {
			ch.Remove = append(ch.Remove, m.ID)
		}
		out = append(out, ch)
	}
	return out
}

// Summary is the count line: "3 staged changes (+2 -1) — S to submit".
func (a *Area) Summary() string {
	n := a.Count()
	if n == 0 {
		return ""
	}
	c := a.Counts()
	var parts []string
	if c.Add > 0 {
		parts = append(parts, fmt.Sprintf("+%d", c.Add))
	}
	if c.Remove > 0 {
		parts = append(parts, fmt.Sprintf("-%d", c.Remove))
	}
	if c.Update > 0 {
		parts = append(parts, fmt.Sprintf("~%d", c.Update))
	}
	if c.Create > 0 {
		parts = append(parts, fmt.Sprintf("+%d new group", c.Create))
	}
	noun := "changes"
	if n == 1 {
		noun = "change"
	}
	return fmt.Sprintf("%d staged %s (%s) — S to submit or discard", n, noun, strings.Join(parts, " "))
}

// Active reports whether the area has anything to show: staged changes
// or an outcome.
func (a *Area) Active() bool { return a.Count() > 0 || a.note != "" }

// StatusLine renders the count and the last outcome on one line of
// width w: a refusal in the error style first, so it is not cut off.
func (a *Area) StatusLine(th themes.Theme, w int) string {
	sum := a.Summary()
	switch {
	case a.note != "" && a.noteErr:
		text := "✗ " + a.note
		if sum != "" {
			text += " · " + sum
		}
		return th.Error.Render(textsafe.Truncate(text, w))
	case a.note != "" && sum != "":
		return th.Warning.Render(textsafe.Truncate(sum+" · "+a.note, w))
	case sum != "":
		return th.Warning.Render(textsafe.Truncate(sum, w))
	}
	return th.Muted.Render(textsafe.Truncate(a.note, w))
}

// Mark returns a staged membership's marker and its style: "+" to add,
// "-" to remove, "" when user id is not staged for group ref.
func (a *Area) Mark(ref, id string) string {
	_, e := a.find(ref)
	if e == nil {
		return ""
	}
	switch {
	case indexOf(e.Add, id) >= 0:
		return "+"
	case indexOf(e.Remove, id) >= 0:
		return "-"
	}
	return ""
}

// Style is the theme style of a marker: additions in the OK colour,
// removals in the error colour, edits in the warning colour.
func Style(th themes.Theme, mark string) func(...string) string {
	switch mark {
	case "+":
		return th.OK.Render
	case "-":
		return th.Error.Render
	case "~":
		return th.Warning.Render
	}
	return th.Row.Render
}

// Lines renders the changes staged for group ref, one per line: "~" for
// a new name or description, "+"/"-" per member. w bounds each line.
func (a *Area) Lines(th themes.Theme, ref string, w int) []string {
	g, ok := a.Group(ref)
	if !ok {
		return nil
	}
	return GroupLines(th, g, w, "  ")
}

// GroupLines renders one staged group's changes with an indent.
func GroupLines(th themes.Theme, g Group, w int, indent string) []string {
	var out []string
	line := func(mark, text string) {
		out = append(out, Style(th, mark)(textsafe.Truncate(indent+mark+" "+textsafe.Clean(text), w)))
	}
	if g.Create {
		desc := ""
		if g.Description != "" {
			desc = " — " + g.Description
		}
		line("+", "create group "+g.Name+desc)
	}
	if !g.Create && g.Rename != "" {
		line("~", "name: "+g.Name+" → "+g.Rename)
	}
	if !g.Create && g.SetDescription {
		d := g.Description
		if d == "" {
			d = "(cleared)"
		}
		line("~", "description: "+d)
	}
	for _, m := range g.Add {
		line("+", m.Label())
	}
	for _, m := range g.Remove {
		line("-", m.Label())
	}
	return out
}
