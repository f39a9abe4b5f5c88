package bundle

import (
	"strings"
	"testing"
)

func TestScanner(t *testing.T) {
	tok := "00" + strings.Repeat("aB3_", 10)
	sc := NewScanner([]string{"Ada Okonkwo", "ada.okonkwo@example.com", "太郎"}, "s3cr3t-value")
	tests := []struct {
		name string
		data string
		want []string // kinds, in order
	}{
		{"clean", `{"login":"user-1a2b3c@redacted.invalid","phone":"+0 000 000 0000","sha":"` + strings.Repeat("00ab", 16) + `"}`, nil},
		{"api token", `{"x":"` + tok + `"}`, []string{"api-token"}},
		{"41 characters is no token", `{"x":"` + tok[:41] + `"}`, nil},
		{"bearer", `{"h":"Bearer abcdefghijklmnopqrstuvwxyz0123"}`, []string{"bearer-token"}},
		{"email", "{\"a\":1}\n{\"e\":\"ops@acme.example\"}", []string{"email"}},
		{"phone", `{"p":"call +1 415 555 0134"}`, []string{"phone"}},
		{"us phone", `{"p":"(415) 555-0134"}`, []string{"phone"}},
		{"personal value", `{"n":"Ada Okonkwo"}`, []string{"personal-value"}},
		{"personal word", `{"n":"owner 太郎 here"}`, []string{"personal-value"}},
		{"escaped personal value", `{"n":"\u592a\u90ce"}`, []string{"personal-value"}},
		{"secret", `{"k":"xx s3cr3t-value"}`, []string{"secret"}},
		{"timestamps and ids", `{"t":"2026-11-26T06:30:37.683Z","id":"00uZnmvU8hp1d1tRcFPy"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sc.Scan("f.json", []byte(tt.data))
			var kinds []string
			for _, f := range got {
				kinds = append(kinds, f.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("findings %v, want %v", got, tt.want)
			}
			for _, f := range got {
				if tt.name == "email" && f.Line != 2 {
					t.Errorf("email found on line %d, want 2", f.Line)
				}
				if strings.Contains(f.String(), "acme") || strings.Contains(f.String(), tok) {
					t.Errorf("finding %q repeats the value", f)
				}
			}
		})
	}
}

func TestFreeTextRedactsWordsInPunctuation(t *testing.T) {
	o := originals{}
	o.add("Ada", "Okonkwo", "ada.okonkwo@example.com")
	p := newPseudonymiser(testKey, o)
	got := p.freeText("owner (Ada Okonkwo), ada.okonkwo@example.com; id 00uAAAAAAAAAAAAAAAAA", map[string]string{"ada.okonkwo@example.com": "user-1@redacted.invalid"})
	want := "owner ([redacted] [redacted]), user-1@redacted.invalid; id " + p.ID("00uAAAAAAAAAAAAAAAAA")
	if got != want {
		t.Fatalf("freeText = %q, want %q", got, want)
	}
	if o.hit("Adam") || !o.hit("x(Ada)") || !o.hit("Ada") {
		t.Fatal("hit matches parts of words or misses whole ones")
	}
}
