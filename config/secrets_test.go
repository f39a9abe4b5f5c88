package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dirdeck/dirdeck/internal/keyringtest"
)

const testToken = "00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd"

func TestValidateToken(t *testing.T) {
	tests := []struct {
		name, token, errHas string
	}{
		{"ok", testToken, ""},
		{"ok with newline", testToken + "\n", ""},
		{"empty", "", "empty"},
		{"whitespace", " \t\n", "empty"},
		{"inner space", "00abc def ghijk", "spaces"},
		{"bearer", "eyJhbGciOiJSUzI1NiJ9.eyJ", `start with "00"`},
		{"too short", "00abc", "characters"},
		{"non-ascii", "00abcdéfghij", "non-ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateToken(tt.token)
			if tt.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("ValidateToken = %v, want error containing %q", err, tt.errHas)
			}
			if trimmed := strings.TrimSpace(tt.token); trimmed != "" && strings.Contains(err.Error(), trimmed) {
				t.Fatalf("error echoes the token: %v", err)
			}
		})
	}
}

func TestTokenKeyringLifecycle(t *testing.T) {
	home := isolate(t)
	useMockKeyring(t)

	if _, err := Token("work"); !errors.Is(err, ErrNoToken) {
		t.Fatalf("Token before set = %v, want ErrNoToken", err)
	}
	if err := SetToken("work", "not-a-token"); err == nil || strings.Contains(err.Error(), "not-a-token") {
		t.Fatalf("SetToken(bad) = %v, want an error that does not echo the token", err)
	}
	if err := SetToken("../work", testToken); err == nil {
		t.Fatal("SetToken accepted a path-like profile name")
	}
	before := time.Now()
	if err := SetToken("work", "  "+testToken+"\n"); err != nil {
		t.Fatal(err)
	}
	got, err := Token("work")
	if err != nil || got != testToken {
		t.Fatalf("Token = %q, %v; want the trimmed token", got, err)
	}
	added, lastUsed, err := TokenUse("work")
	if err != nil || added.Before(before.Add(-time.Second)) || !lastUsed.IsZero() {
		t.Fatalf("TokenUse after SetToken = %v, %v, %v", added, lastUsed, err)
	}
	state := filepath.Join(home, "data", "state.json")
	if m := mode(t, state); m != 0o600 {
		t.Fatalf("state file mode %o, want 600", m)
	}
	data, _ := os.ReadFile(state)
	if strings.Contains(string(data), testToken) {
		t.Fatal("token written to the state file")
	}

	if err := DeleteToken("work"); err != nil {
		t.Fatal(err)
	}
	if _, err := Token("work"); !errors.Is(err, ErrNoToken) {
		t.Fatalf("Token after delete = %v", err)
	}
	if err := DeleteToken("work"); !errors.Is(err, ErrNoToken) {
		t.Fatalf("second DeleteToken = %v, want ErrNoToken", err)
	}
	if added, _, _ := TokenUse("work"); !added.IsZero() {
		t.Fatalf("token use not forgotten after delete: %v", added)
	}
	if err := RecordTokenUse("work", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := ForgetTokenUse("work"); err != nil {
		t.Fatal(err)
	}
	if added, _, _ := TokenUse("work"); !added.IsZero() {
		t.Fatalf("ForgetTokenUse kept %v", added)
	}
}

func TestRecordTokenUse(t *testing.T) {
	isolate(t)
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		when                time.Time
		wantAdded, wantLast time.Time
	}{
		{t0, t0, t0},
		{t0.Add(time.Hour), t0, t0.Add(time.Hour)},
		{t0.Add(30 * time.Minute), t0, t0.Add(time.Hour)}, // out of order: ignored
		{t0.Add(48 * time.Hour), t0, t0.Add(48 * time.Hour)},
	}
	for i, s := range steps {
		if err := RecordTokenUse("env-acme-okta-com", s.when); err != nil {
			t.Fatal(err)
		}
		added, last, err := TokenUse("env-acme-okta-com")
		if err != nil || !added.Equal(s.wantAdded) || !last.Equal(s.wantLast) {
			t.Fatalf("step %d: TokenUse = %v, %v, %v; want %v, %v", i, added, last, err, s.wantAdded, s.wantLast)
		}
	}
	if added, last, err := TokenUse("other"); err != nil || !added.IsZero() || !last.IsZero() {
		t.Fatalf("unknown profile TokenUse = %v, %v, %v", added, last, err)
	}
}

// TestNoKeyringOnThisMachine runs the real keyring code (no mock) in a
// child process, because keyring.MockInit in this process cannot be undone.
func TestNoKeyringOnThisMachine(t *testing.T) { keyringtest.RunChild(t, "TestRealKeyringChild") }

func TestRealKeyringChild(t *testing.T) {
	if !keyringtest.InChild() {
		t.Skip("run by TestNoKeyringOnThisMachine in a child process")
	}
	check := func(t *testing.T) {
		home := isolate(t)
		writeConfig(t, home, "active = \"work\"\n[profiles.work]\norg_url = \"https://acme.okta.com\"\n")
		err := SetToken("work", testToken)
		if !errors.Is(err, ErrNoKeyring) || !strings.Contains(err.Error(), "DIRDECK_API_TOKEN") || strings.Contains(err.Error(), testToken) {
			t.Fatalf("SetToken = %v, want ErrNoKeyring pointing to DIRDECK_API_TOKEN", err)
		}
		if _, err := Token("work"); !errors.Is(err, ErrNoKeyring) {
			t.Fatalf("Token = %v, want ErrNoKeyring", err)
		}
		if err := DeleteToken("work"); !errors.Is(err, ErrNoKeyring) {
			t.Fatalf("DeleteToken = %v, want ErrNoKeyring", err)
		}
		if _, err := Resolve(""); !errors.Is(err, ErrNoKeyring) || !strings.Contains(err.Error(), `profile "work"`) {
			t.Fatalf("Resolve without token = %v, want ErrNoKeyring", err)
		}
		t.Setenv("DIRDECK_API_TOKEN", testToken)
		r, err := Resolve("")
		if err != nil || r.Token != testToken || r.TokenSource != TokenFromEnv {
			t.Fatalf("Resolve with DIRDECK_API_TOKEN = %+v, %v", r, err)
		}
	}
	t.Run("bus address points nowhere", func(t *testing.T) {
		// go-keyring and godbus really dial the session bus and fail.
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
		check(t)
	})
	t.Run("no session bus at all", func(t *testing.T) {
		if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" || !sessionBusMissing() {
			t.Skip("this machine has a D-Bus session bus")
		}
		check(t)
	})
}
