package signature

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
)

// Set is the signature configuration: templates by name (the built-in
// default included unless a stored one replaces it) and the rules.
type Set struct {
	Templates map[string]*Template
	Rules     Rules
}

// Load reads the templates and rules from the cache. With no stored rules
// every user gets the default template.
func Load(st *store.Store) (*Set, error) {
	s := &Set{Templates: map[string]*Template{DefaultName: MustDefault()}, Rules: Rules{Default: DefaultName}}
	stored, err := st.SignatureTemplates()
	if err != nil {
		return nil, err
	}
	for _, rec := range stored {
		t, err := Parse(rec.Name, rec.Source)
		if err != nil {
			return nil, fmt.Errorf("stored signature template %q no longer parses: %w", rec.Name, err)
		}
		s.Templates[rec.Name] = t
	}
	rr, ok, err := st.SignatureRulesStored()
	if err != nil {
		return nil, err
	}
	if ok {
		rules, err := ParseRules(rr.JSON, YAML) // JSON is YAML
		if err != nil {
			return nil, fmt.Errorf("stored signature rules: %w", err)
		}
		s.Rules = rules
	}
	return s, nil
}

// Names returns the template names, sorted.
func (s *Set) Names() []string { return slices.Sorted(maps.Keys(s.Templates)) }

// CheckRules reports rules that name a template the set does not have.
func (s *Set) CheckRules(r Rules) error {
	if err := r.Validate(); err != nil {
		return err
	}
	def := r.Default
	if def == "" {
		def = DefaultName
	}
	if s.Templates[def] == nil {
		return fmt.Errorf("default: no template %q (templates: %s)", def, strings.Join(s.Names(), ", "))
	}
	for i, rule := range r.Rules {
		if s.Templates[rule.Template] == nil {
			return fmt.Errorf("rule %d %q: no template %q (templates: %s; add one with `dirdeck signature template add`)", i+1, rule.Name, rule.Template, strings.Join(s.Names(), ", "))
		}
	}
	return nil
}

// SaveTemplate validates a template source and stores it; nothing is saved
// when it does not parse (the error is a *TemplateError).
func SaveTemplate(st *store.Store, name, src string, now time.Time) (*Template, error) {
	t, err := Parse(name, src)
	if err != nil {
		return nil, err
	}
	if err := st.PutSignatureTemplate(store.SignatureTemplate{Name: name, Source: src, Updated: now.UTC()}); err != nil {
		return nil, err
	}
	return t, nil
}

// SaveRules validates rules against the set's templates and stores them.
func SaveRules(st *store.Store, set *Set, r Rules, now time.Time) error {
	if r.Default == "" {
		r.Default = DefaultName
	}
	if err := set.CheckRules(r); err != nil {
		return err
	}
	b, err := r.MarshalCanonical()
	if err != nil {
		return fmt.Errorf("encode rules: %w", err)
	}
	return st.PutSignatureRules(store.SignatureRules{JSON: b, Updated: now.UTC()})
}

// Active reports whether a user is one signatures are for: everyone Okta
// lets sign in or about to (ACTIVE, PROVISIONED, RECOVERY,
// PASSWORD_EXPIRED, LOCKED_OUT); STAGED, SUSPENDED and DEPROVISIONED
// users send no mail.
func Active(u directory.User) bool {
	switch u.Status {
	case directory.StatusStaged, directory.StatusSuspended, directory.StatusDeprovisioned:
		return false
	}
	return true
}

// Directory is the part of the cache signatures need, read in one
// consistent view.
type Directory struct {
	Users    []directory.User // every cached user, sorted by name then login
	byID     map[string]int
	byLogin  map[string]int
	groupsOf map[string][]string // user id → group names
}

// LoadDirectory reads users, group names and memberships from the cache.
func LoadDirectory(st *store.Store) (*Directory, error) {
	d := &Directory{byID: map[string]int{}, byLogin: map[string]int{}, groupsOf: map[string][]string{}}
	err := st.View(func(r *store.Reader) error {
		d.Users = make([]directory.User, 0, r.Counts().Users)
		for u := range r.Users() {
			d.Users = append(d.Users, u)
		}
		for g := range r.Groups() {
			for uid := range r.MembersOf(g.ID) {
				d.groupsOf[uid] = append(d.groupsOf[uid], g.Name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the cache for signatures: %w", err)
	}
	// Sort by the name people will read (escape sequences removed), so a
	// hostile name cannot push itself to the top of the gallery.
	keys := make(map[string]string, len(d.Users))
	for _, u := range d.Users {
		keys[u.ID] = strings.ToLower(clean(u.Name()))
	}
	slices.SortFunc(d.Users, func(a, b directory.User) int {
		if c := strings.Compare(keys[a.ID], keys[b.ID]); c != 0 {
			return c
		}
		return strings.Compare(a.Login, b.Login)
	})
	for i, u := range d.Users {
		d.byID[u.ID] = i
		d.byLogin[strings.ToLower(u.Login)] = i
	}
	return d, nil
}

// ByLogin finds a user by login (or email, or id), ignoring case.
func (d *Directory) ByLogin(login string) (directory.User, bool) {
	if i, ok := d.byLogin[strings.ToLower(login)]; ok {
		return d.Users[i], true
	}
	if i, ok := d.byID[login]; ok {
		return d.Users[i], true
	}
	for _, u := range d.Users {
		if strings.EqualFold(u.Email, login) {
			return u, true
		}
	}
	return directory.User{}, false
}

// GroupsOf returns the names of a user's groups.
func (d *Directory) GroupsOf(id string) []string { return d.groupsOf[id] }

// DataFor builds a user's template data, resolving their manager.
func (d *Directory) DataFor(u directory.User) *Data {
	var mgr *directory.User
	if i, ok := d.byID[u.ManagerID]; ok && u.ManagerID != "" {
		mgr = &d.Users[i]
	}
	return NewData(u, mgr)
}

// Choice is the template a user gets and why.
type Choice struct {
	Template string
	Rule     string   // the winning rule's name; "" for the default
	RuleNum  int      // 1-based position of the winning rule; 0 for the default
	Matched  []string // every rule that matches, in order (more than one is a conflict)
}

// Choose applies the rules to a user.
func (s *Set) Choose(d *Data, groups []string) Choice {
	c := Choice{Template: s.defaultName()}
	for i, r := range s.Rules.Rules {
		if !r.Matches(d, groups) {
			continue
		}
		c.Matched = append(c.Matched, r.Name)
		if c.Rule == "" {
			c.Rule, c.RuleNum, c.Template = r.Name, i+1, r.Template
		}
	}
	return c
}

func (s *Set) defaultName() string {
	if s.Rules.Default != "" {
		return s.Rules.Default
	}
	return DefaultName
}

// Result is one user's rendered signature.
type Result struct {
	User directory.User
	Choice
	HTML string
	Text string
	// Missing are required fields the user has no value for; FellBack are
	// optional fields that were empty (the template used its fallback or
	// left the line out).
	Missing  []string
	FellBack []string
}

// Renderer renders signatures for one goroutine at a time; make one per
// worker with NewRenderer.
type Renderer struct {
	set *Set
	dir *Directory
	r   *renderer
}

// NewRenderer prepares a renderer over the set's templates.
func (s *Set) NewRenderer(d *Directory) *Renderer {
	ts := make([]*Template, 0, len(s.Templates))
	for _, n := range s.Names() {
		ts = append(ts, s.Templates[n])
	}
	return &Renderer{set: s, dir: d, r: newRenderer(ts)}
}

// Render picks the user's template by the rules and renders both variants.
func (r *Renderer) Render(u directory.User) (Result, error) {
	data := r.dir.DataFor(u)
	c := r.set.Choose(data, r.dir.GroupsOf(u.ID))
	t := r.set.Templates[c.Template]
	if t == nil {
		return Result{}, fmt.Errorf("user %s: rule %q names template %q, which does not exist", u.Login, c.Rule, c.Template)
	}
	res := Result{User: u, Choice: c}
	var err error
	res.HTML, res.Text, err = r.r.render(t, data)
	if err != nil {
		return Result{}, fmt.Errorf("render %s for %s: %w", t.Name, u.Login, execError(t.Name, err))
	}
	res.Missing, res.FellBack = emptyFields(t, data)
	return res, nil
}

// Render renders one user's signature (a one-off renderer).
func (s *Set) Render(d *Directory, u directory.User) (Result, error) {
	return s.NewRenderer(d).Render(u)
}

func emptyFields(t *Template, d *Data) (missing, fellBack []string) {
	for _, f := range t.Fields {
		if d.Field(f) != "" {
			continue
		}
		if slices.Contains(t.Required, f) {
			missing = append(missing, f)
		} else {
			fellBack = append(fellBack, f)
		}
	}
	return missing, fellBack
}
