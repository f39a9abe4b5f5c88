package bundle

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dirdeck/dirdeck/directory"
)

// RedactedDomain is the domain of every pseudonymised login and email: the
// .invalid TLD is reserved, so a fake address can never reach anyone.
const RedactedDomain = "redacted.invalid"

// KeySize is the length of the pseudonymisation key in bytes.
const KeySize = 32

// LoadOrCreateKey returns the pseudonymisation key stored at path,
// creating it (random, 0600, in a 0700 directory) on first use. Keeping
// the key lets the same customer's bundles use the same pseudonyms, so
// support can follow one user across bundles while only the customer can
// tell who it is.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) != KeySize {
			return nil, fmt.Errorf("pseudonymisation key %s: %d bytes, want %d (delete it to make a new one)", path, len(b), KeySize)
		}
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read pseudonymisation key: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("make pseudonymisation key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("make key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create pseudonymisation key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("write pseudonymisation key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write pseudonymisation key: %w", err)
	}
	return key, nil
}

// originals is every personal value of the cache that must not appear in
// a bundle: logins, emails and their local parts, names, phone numbers.
type originals map[string]struct{}

func (o originals) add(vs ...string) {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			o[v] = struct{}{}
		}
	}
}

// addUser records u's personal values.
func (o originals) addUser(u directory.User) {
	o.add(u.Login, u.Email, u.SecondEmail, u.FirstName, u.LastName, u.DisplayName, u.Manager,
		u.MobilePhone, u.PrimaryPhone)
	for _, e := range []string{u.Login, u.Email, u.SecondEmail} {
		if local, _, ok := strings.Cut(e, "@"); ok && utf8.RuneCountInString(local) >= 4 {
			o.add(local)
		}
	}
	if v, ok := u.Attributes["nickName"].(string); ok {
		o.add(v)
	}
}

// hit reports whether s, or one of its words, is an original value. Words
// are runs of letters, digits and the characters of addresses and names
// (. @ _ + - '), so "(Ada)" and "Ada," count as "Ada".
func (o originals) hit(s string) bool {
	if len(o) == 0 || s == "" {
		return false
	}
	if _, ok := o[strings.TrimSpace(s)]; ok {
		return true
	}
	for seg, word := range segments(s) {
		if !word {
			continue
		}
		if _, ok := o[seg]; ok {
			return true
		}
	}
	return false
}

// segments yields s cut into its words (runs of isWordRune) and the
// single runes between them, in order, each with whether it is a word.
func segments(s string) iter.Seq2[string, bool] {
	return func(yield func(string, bool) bool) {
		start := -1
		for i, r := range s {
			if isWordRune(r) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 && !yield(s[start:i], true) {
				return
			}
			start = -1
			if !yield(string(r), false) {
				return
			}
		}
		if start >= 0 {
			yield(s[start:], true)
		}
	}
}

// isWordRune reports whether r belongs to a word for hit.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || strings.ContainsRune(".@_+-'", r)
}

// pseudonymiser maps a cache's values to consistent, visibly synthetic
// ones through HMAC-SHA256 under the customer's key: the same input always
// gives the same output, so ids stay joinable and value distributions
// (departments, titles) keep their shape.
type pseudonymiser struct {
	key   []byte
	orig  originals
	tags  map[string]string // user id → tag
	taken map[string]bool   // tags in use
}

func newPseudonymiser(key []byte, orig originals) *pseudonymiser {
	return &pseudonymiser{key: key, orig: orig, tags: map[string]string{}, taken: map[string]bool{}}
}

func (p *pseudonymiser) mac(kind, v string) []byte {
	h := hmac.New(sha256.New, p.key)
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(v))
	return h.Sum(nil)
}

// ID maps an Okta id to a pseudonym of the same length that keeps its
// three-character type prefix (00u user, 00g group, 0oa app).
func (p *pseudonymiser) ID(id string) string {
	if len(id) <= 3 {
		return id
	}
	sum := p.mac("id", id)
	b := []byte(id[:3])
	for i := 3; i < len(id); i++ {
		b = append(b, base62[sum[i%len(sum)]%62])
		if i%len(sum) == len(sum)-1 {
			sum = p.mac("id+", string(sum))
		}
	}
	return string(b)
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// userTag is the short hex tag of a user (original id), unique within the
// bundle: six hex digits, more when two users would collide.
func (p *pseudonymiser) userTag(id string) string {
	if t, ok := p.tags[id]; ok {
		return t
	}
	full := hex.EncodeToString(p.mac("user", id))
	n := 6
	for n < len(full) && p.taken[full[:n]] {
		n += 2
	}
	t := full[:n]
	p.taken[t] = true
	p.tags[id] = t
	return t
}

// address pseudonymises an email-like value: the user's login becomes
// user-<tag>@redacted.invalid, any other address mail-<hash>@....
func (p *pseudonymiser) address(kind, v, tag string) string {
	if v == "" {
		return ""
	}
	if tag != "" {
		return "user-" + tag + "@" + RedactedDomain
	}
	return kind + "-" + hex.EncodeToString(p.mac("addr", v))[:10] + "@" + RedactedDomain
}

// phone keeps a number's format with every digit zeroed.
func phone(v string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return '0'
		}
		return r
	}, v)
}

// plainLatin reports whether v is ordinary Latin-script text (no other
// scripts, markup or control characters), which names can stand in for
// with "Person <tag>"; other values keep their shape through text.
func plainLatin(v string) bool {
	for _, r := range v {
		switch {
		case r < 0x20 || r == 0x7f || strings.ContainsRune("<>\"&=;{}[]\\", r):
			return false
		case unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r):
			return false
		}
	}
	return true
}

// name pseudonymises a person's name: "Person" / the tag for plain Latin
// names, a shape-keeping scramble for names in other scripts or with
// markup (which the bundle must keep to reproduce rendering problems).
func (p *pseudonymiser) name(v, synthetic string) string {
	if v == "" {
		return ""
	}
	if plainLatin(v) && synthetic != "" {
		return synthetic
	}
	return p.text("name", v)
}

// text replaces v by a keyed pseudonym that keeps none of v's length,
// word shapes or digit positions ("Interns 2" must not become "Ehrcoin
// 2", which says how long the name is, that it is one word and a number,
// and which number). Plain Latin text becomes its kind and a tag
// ("Group 5e1d2a"). Other text keeps only what a support engineer needs to
// reproduce a rendering problem: which scripts it uses (letters drawn from
// them, as many as the key says, not as v has) and which markup or control
// characters it holds (once each, in a fixed order, after the letters).
// Equal values stay equal, so distributions keep their shape. A result
// that happens to be an original personal value is drawn again.
func (p *pseudonymiser) text(kind, v string) string {
	if v == "" {
		return ""
	}
	label := kindLabel(kind)
	for try := 0; ; try++ {
		sum := p.mac(fmt.Sprintf("%s#%d", kind, try), v)
		var out string
		if plainLatin(v) {
			out = label + " " + hex.EncodeToString(sum[:3])
		} else {
			out = shapeless(sum, v)
		}
		if !p.orig.hit(out) || try >= 16 {
			return out
		}
	}
}

// kindLabel turns a pseudonym kind ("groupDescription", "attr.team")
// into the word plain pseudonyms start with ("GroupDescription", "Team").
func kindLabel(kind string) string {
	if i := strings.LastIndexByte(kind, '.'); i >= 0 {
		kind = kind[i+1:]
	}
	if kind == "" {
		return "Value"
	}
	return strings.ToUpper(kind[:1]) + kind[1:]
}

// shapeless draws 6 to 12 letters (a count taken from the key, not from
// v) from the scripts of v's letters, then appends each distinct markup,
// control or combining character of v once, in code point order.
func shapeless(sum []byte, v string) string {
	var seed [32]byte
	copy(seed[:], sum)
	r := mrand.New(mrand.NewChaCha8(seed))
	var letters []rune
	specials := map[rune]bool{}
	for _, c := range v {
		switch {
		case unicode.IsLetter(c):
			letters = append(letters, c)
		case unicode.IsDigit(c) || unicode.IsSpace(c) || c == '-' || c == '.' || c == ',' || c == '\'':
			// word and number shapes: not kept
		default:
			specials[c] = true
		}
	}
	var b strings.Builder
	if len(letters) > 0 {
		for range 6 + r.IntN(7) {
			b.WriteRune(scrambleRune(r, letters[r.IntN(len(letters))]))
		}
	}
	rest := make([]rune, 0, len(specials))
	for c := range specials {
		rest = append(rest, c)
	}
	slices.Sort(rest)
	b.WriteString(string(rest))
	if b.Len() == 0 {
		return "Value " + hex.EncodeToString(sum[:3])
	}
	return b.String()
}

// profile pseudonymises the exporting profile's settings: its name, org
// URL, OAuth client id and key id say whose org this is. What shapes a
// sync (auth method, scopes, budget share, intervals) is kept.
func (p *pseudonymiser) profile(in ProfileInfo) ProfileInfo {
	out := in
	if in.Name != "" {
		out.Name = "profile-" + hex.EncodeToString(p.mac("profile", in.Name))[:8]
	}
	if in.OrgURL != "" {
		out.OrgURL = "https://org-" + hex.EncodeToString(p.mac("org", in.OrgURL))[:8] + "." + RedactedDomain
	}
	if in.ClientID != "" {
		out.ClientID = p.ID(in.ClientID)
	}
	if in.KeyID != "" {
		out.KeyID = "kid-" + hex.EncodeToString(p.mac("kid", in.KeyID))[:8]
	}
	return out
}

// runeRange is a class of letters a scrambled letter is drawn from.
type runeRange struct {
	table    *unicode.RangeTable
	lo, hi   rune
	exclude  func(rune) bool
	caseFold int // 1: upper, -1: lower, 0: either
}

var letterClasses = []runeRange{
	{table: unicode.Han, lo: 0x4E00, hi: 0x9FA5},
	{table: unicode.Hiragana, lo: 0x3041, hi: 0x3093},
	{table: unicode.Katakana, lo: 0x30A1, hi: 0x30F3},
	{table: unicode.Hangul, lo: 0xAC00, hi: 0xD7A3},
	{table: unicode.Cyrillic, lo: 0x0410, hi: 0x042F, caseFold: 1},
	{table: unicode.Cyrillic, lo: 0x0430, hi: 0x044F, caseFold: -1},
	{table: unicode.Greek, lo: 0x0391, hi: 0x03A9, caseFold: 1, exclude: func(r rune) bool { return r == 0x03A2 }},
	{table: unicode.Greek, lo: 0x03B1, hi: 0x03C9, caseFold: -1},
	{table: unicode.Arabic, lo: 0x0628, hi: 0x063A},
	{table: unicode.Hebrew, lo: 0x05D0, hi: 0x05EA},
	{table: unicode.Devanagari, lo: 0x0915, hi: 0x0939},
	{table: unicode.Thai, lo: 0x0E01, hi: 0x0E2E},
}

// scrambleRune draws a replacement for c from c's class.
func scrambleRune(r *mrand.Rand, c rune) rune {
	switch {
	case c >= '0' && c <= '9':
		return '0' + rune(r.IntN(10))
	case c >= 'A' && c <= 'Z':
		return 'A' + rune(r.IntN(26))
	case c >= 'a' && c <= 'z':
		return 'a' + rune(r.IntN(26))
	case unicode.IsDigit(c):
		return '0' + rune(r.IntN(10))
	case !unicode.IsLetter(c):
		return c // spaces, punctuation, markup, controls, combining marks
	case unicode.Is(unicode.Latin, c):
		const lower, upper = "àáâäãåçèéêëìíîïñòóôöøùúûüýßłś", "ÀÁÂÄÃÅÇÈÉÊËÌÍÎÏÑÒÓÔÖØÙÚÛÜÝŁŚŻ"
		set := []rune(lower)
		if unicode.IsUpper(c) {
			set = []rune(upper)
		}
		return set[r.IntN(len(set))]
	}
	for _, cl := range letterClasses {
		if !unicode.Is(cl.table, c) || (cl.caseFold == 1 && !unicode.IsUpper(c)) || (cl.caseFold == -1 && unicode.IsUpper(c)) {
			continue
		}
		for {
			x := cl.lo + rune(r.IntN(int(cl.hi-cl.lo+1)))
			if cl.exclude == nil || !cl.exclude(x) {
				return x
			}
		}
	}
	// A letter of a script without a class: an unmistakably synthetic
	// stand-in rather than the original.
	return '◆'
}

// oktaID matches Okta object ids in free text (errors, reports).
var oktaID = regexp.MustCompile(`\b(?:00u|00g|0oa|00T)[0-9A-Za-z]{17}\b`)

// emailRE matches email addresses.
var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)

// freeText pseudonymises a free-text value the bundle carries as is
// (errors, report fields): ids are mapped, addresses replaced, and any
// original personal value blanked.
func (p *pseudonymiser) freeText(s string, emails map[string]string) string {
	s = oktaID.ReplaceAllStringFunc(s, p.ID)
	s = emailRE.ReplaceAllStringFunc(s, func(e string) string {
		if strings.HasSuffix(e, "@"+RedactedDomain) {
			return e
		}
		if m, ok := emails[e]; ok {
			return m
		}
		return p.address("mail", e, "")
	})
	if p.orig.hit(s) {
		if _, ok := p.orig[strings.TrimSpace(s)]; ok {
			return "[redacted]"
		}
		var b strings.Builder
		for seg, word := range segments(s) {
			if _, ok := p.orig[seg]; word && ok {
				seg = "[redacted]"
			}
			b.WriteString(seg)
		}
		s = b.String()
	}
	return s
}

// user pseudonymises one user. Locale, language, time zone, country,
// user type, status and timestamps are kept: they are structure, and
// support needs them.
func (p *pseudonymiser) user(u directory.User) directory.User {
	tag := p.userTag(u.ID)
	out := u
	out.ID = p.ID(u.ID)
	out.Login = p.address("user", u.Login, tag)
	switch u.Email {
	case u.Login:
		out.Email = out.Login
	default:
		out.Email = p.address("mail", u.Email, "")
	}
	out.SecondEmail = p.address("mail", u.SecondEmail, "")
	out.FirstName = p.name(u.FirstName, "Person")
	out.LastName = p.name(u.LastName, tag)
	out.DisplayName = p.name(u.DisplayName, "Person "+tag)
	if u.ManagerID != "" {
		out.ManagerID = p.ID(u.ManagerID)
		out.Manager = p.name(u.Manager, "Person "+p.userTag(u.ManagerID))
	} else {
		out.Manager = p.name(u.Manager, "")
	}
	out.Title = p.text("title", u.Title)
	out.Department = p.text("department", u.Department)
	out.Division = p.text("division", u.Division)
	out.Organization = p.text("organization", u.Organization)
	out.EmployeeNumber = p.text("employeeNumber", u.EmployeeNumber)
	out.CostCenter = p.text("costCenter", u.CostCenter)
	out.MobilePhone = phone(u.MobilePhone)
	out.PrimaryPhone = phone(u.PrimaryPhone)
	out.City = p.text("city", u.City)
	out.State = p.text("state", u.State)
	if len(u.Attributes) > 0 {
		out.Attributes = make(map[string]any, len(u.Attributes))
		for k, v := range u.Attributes {
			if k == "nickName" {
				if s, ok := v.(string); ok {
					out.Attributes[k] = p.name(s, "Person")
					continue
				}
			}
			out.Attributes[k] = p.value("attr."+k, v)
		}
	}
	return out
}

// value pseudonymises a custom attribute: strings keep their shape,
// numbers become 0 (they may be ids or salaries), booleans and nulls stay.
func (p *pseudonymiser) value(kind string, v any) any {
	switch x := v.(type) {
	case string:
		return p.text(kind, x)
	case float64, int, int64:
		return 0
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = p.value(kind, e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = p.value(kind+"."+k, e)
		}
		return out
	}
	return v
}

// group pseudonymises a group; Okta's own Everyone group keeps its name.
func (p *pseudonymiser) group(g directory.Group) directory.Group {
	out := g
	out.ID = p.ID(g.ID)
	if !(g.Type == directory.GroupTypeBuiltIn && g.Name == "Everyone") {
		out.Name = p.text("group", g.Name)
		out.Description = p.text("groupDescription", g.Description)
	}
	return out
}

// app pseudonymises an app; status and sign-on mode are kept.
func (p *pseudonymiser) app(a directory.App) directory.App {
	out := a
	out.ID = p.ID(a.ID)
	out.Name = p.text("appName", a.Name)
	out.Label = p.text("appLabel", a.Label)
	return out
}
