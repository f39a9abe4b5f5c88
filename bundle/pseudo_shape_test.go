package bundle

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestPseudonymsKeepNoShape: pseudonyms of names do not keep the value's
// length, word count or digits, but equal values stay equal and other
// scripts and markup stay recognisable (rendering problems reproduce).
func TestPseudonymsKeepNoShape(t *testing.T) {
	p := newPseudonymiser([]byte("0123456789abcdef0123456789abcdef"), originals{})
	lengths := map[int]bool{}
	for _, v := range []string{"Interns 2", "Interns 10", "A", "Sales and Marketing Operations EMEA 2025", "X-Team"} {
		got := p.text("group", v)
		lengths[utf8.RuneCountInString(got)] = true
		if !strings.HasPrefix(got, "Group ") {
			t.Errorf("text(%q) = %q, want a Group pseudonym", v, got)
		}
		for _, w := range strings.Fields(v) {
			if strings.Contains(got, w) && len(w) > 1 {
				t.Errorf("text(%q) = %q keeps the word %q", v, got, w)
			}
		}
		if got != p.text("group", v) {
			t.Errorf("text(%q) is not stable", v)
		}
	}
	if len(lengths) != 1 {
		t.Errorf("Latin pseudonyms have %d lengths: they reveal the values' lengths", len(lengths))
	}
	if a, b := p.text("group", "Interns 2"), p.text("group", "Interns 3"); a == b || a[:len(a)-1] == b[:len(b)-1] {
		t.Errorf("Interns 2 → %q, Interns 3 → %q: related values give related pseudonyms", a, b)
	}
	for _, tt := range []struct {
		v      string
		script *unicode.RangeTable
		keep   string
	}{
		{"शर्मा टीम 2", unicode.Devanagari, "्"},
		{"Иванов Пётр", unicode.Cyrillic, ""},
		{"<b>Bold</b> 42", unicode.Latin, "</>"},
	} {
		got := p.text("name", tt.v)
		if strings.ContainsAny(got, "0123456789 ") {
			t.Errorf("text(%q) = %q keeps digits or word breaks", tt.v, got)
		}
		letters := 0
		for _, r := range got {
			if unicode.IsLetter(r) {
				letters++
				if !unicode.Is(tt.script, r) {
					t.Errorf("text(%q) = %q has a letter outside the value's script", tt.v, got)
				}
			}
		}
		if letters < 6 || letters > 12 {
			t.Errorf("text(%q) = %q has %d letters, want 6 to 12 whatever the value's length", tt.v, got, letters)
		}
		for _, r := range tt.keep {
			if !strings.ContainsRune(got, r) {
				t.Errorf("text(%q) = %q lost %q, which rendering problems need", tt.v, got, r)
			}
		}
	}
}

// TestMetaHasNoOrgOrProfile: the org URL, profile name, client id and key
// id never reach meta.json as they are.
func TestMetaHasNoOrgOrProfile(t *testing.T) {
	f := newFixture(t, "S")
	opts := f.options()
	opts.Profile = ProfileInfo{Name: "acme-prod", OrgURL: "https://acme.okta.com", Auth: "oauth", ClientID: "0oa1a2b3c4d5e6f7g8h9", KeyID: "signing-key-7q", BudgetShare: 0.5}
	c, err := Build(f.Store, opts)
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := c.File(fileMeta)
	for _, secret := range []string{"acme", "0oa1a2b3c4d5e6f7g8h9", "signing-key-7q"} {
		if strings.Contains(string(meta), secret) {
			t.Errorf("meta.json holds %q:\n%s", secret, meta)
		}
	}
	if c.Meta.Profile.Auth != "oauth" || c.Meta.Profile.BudgetShare != 0.5 || !strings.HasSuffix(c.Meta.Profile.OrgURL, RedactedDomain) {
		t.Errorf("profile settings lost: %+v", c.Meta.Profile)
	}
}
