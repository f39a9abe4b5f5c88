package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCurrentPaths(t *testing.T) {
	isolate(t)
	home := t.TempDir()
	t.Setenv("DIRDECK_HOME", home)
	p, err := CurrentPaths()
	if err != nil {
		t.Fatal(err)
	}
	if p.ConfigFile != filepath.Join(home, "config.toml") || p.DataDir != filepath.Join(home, "data") {
		t.Fatalf("DIRDECK_HOME paths = %+v", p)
	}

	t.Setenv("DIRDECK_HOME", "")
	cfgHome, dataHome := t.TempDir(), t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfgHome)
	t.Setenv("XDG_DATA_HOME", dataHome)
	p, err = CurrentPaths()
	if err != nil {
		t.Fatal(err)
	}
	if p.ConfigFile != filepath.Join(cfgHome, "dirdeck", "config.toml") || p.DataDir != filepath.Join(dataHome, "dirdeck") {
		t.Fatalf("XDG paths = %+v", p)
	}
	cache, err := CachePath("work")
	if err != nil || cache != filepath.Join(dataHome, "dirdeck", "work.db") {
		t.Fatalf("CachePath = %q, %v", cache, err)
	}
	if _, err := CachePath("../x"); err == nil {
		t.Fatal("CachePath accepted a path-like profile name")
	}
}

func TestSaveLoadRoundTripAndModes(t *testing.T) {
	isolate(t)
	// A config directory left group/world-accessible by something else is
	// tightened when dirdeck writes into it.
	cfgHome := t.TempDir()
	t.Setenv("DIRDECK_HOME", "")
	t.Setenv("XDG_CONFIG_HOME", cfgHome)
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	dir := filepath.Join(cfgHome, "dirdeck")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte("# old\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Profiles) != 0 || c.Active != "" {
		t.Fatalf("empty file loaded as %+v", c)
	}
	work := DefaultProfile()
	work.OrgURL = "https://acme.okta.com/api/v1/"
	work.AllowWrites = true
	work.SyncInterval = 15 * time.Minute
	if err := c.Add("work", work); err != nil {
		t.Fatal(err)
	}
	svc := DefaultProfile()
	svc.OrgURL, svc.Auth, svc.ClientID, svc.PrivateKeyFile = "http://127.0.0.1:8707", AuthOAuth, "0oa123", "/keys/k.pem"
	svc.KeyID, svc.Scopes, svc.BudgetShare = "kid-1", []string{"okta.users.read", "okta.groups.read"}, 0.25
	if err := c.Add("svc", svc); err != nil {
		t.Fatal(err)
	}
	if err := c.Use("svc"); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("config dir mode = %o, want 700", m)
	}
	if m := mode(t, c.Path()); m != 0o600 {
		t.Errorf("config file mode = %o, want 600", m)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".config.toml.tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}

	back, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if back.Active != "svc" || strings.Join(back.Names(), ",") != "svc,work" {
		t.Fatalf("reloaded active=%q names=%v", back.Active, back.Names())
	}
	gotWork, _ := back.Profile("work")
	if gotWork.OrgURL != "https://acme.okta.com" || !gotWork.AllowWrites || gotWork.SyncInterval != 15*time.Minute ||
		gotWork.Auth != AuthSSWS || gotWork.BudgetShare != 0.5 || gotWork.RotationDays != 90 || gotWork.ApprovalsRequired != 1 {
		t.Fatalf("work reloaded as %+v", gotWork)
	}
	gotSvc, _ := back.Profile("svc")
	if gotSvc.ClientID != "0oa123" || gotSvc.KeyID != "kid-1" || strings.Join(gotSvc.Scopes, " ") != "okta.users.read okta.groups.read" ||
		gotSvc.BudgetShare != 0.25 || gotSvc.AllowWrites {
		t.Fatalf("svc reloaded as %+v", gotSvc)
	}

	if err := back.Add("work", work); !errors.Is(err, ErrProfileExists) {
		t.Fatalf("duplicate Add = %v, want ErrProfileExists", err)
	}
	if err := back.Use("nope"); !errors.Is(err, ErrUnknownProfile) || !strings.Contains(err.Error(), "profiles: svc, work") {
		t.Fatalf("Use(unknown) = %v", err)
	}
	if err := back.Remove("svc"); err != nil || back.Active != "" {
		t.Fatalf("Remove(active) = %v, active now %q", err, back.Active)
	}
	if err := back.Remove("svc"); !errors.Is(err, ErrUnknownProfile) {
		t.Fatalf("second Remove = %v", err)
	}
}

func TestLoadDefaultsAndErrors(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		errHas []string
		check  func(t *testing.T, c *Config)
	}{
		{
			name: "minimal profile gets defaults",
			file: "active = \"work\"\n[profiles.work]\norg_url = \"https://acme.okta.com\"\n",
			check: func(t *testing.T, c *Config) {
				p := c.Profiles["work"]
				want := DefaultProfile()
				want.OrgURL = "https://acme.okta.com"
				if p.Auth != want.Auth || p.SyncInterval != want.SyncInterval || p.BudgetShare != want.BudgetShare ||
					p.RotationDays != want.RotationDays || p.ApprovalsRequired != want.ApprovalsRequired || p.AllowWrites {
					t.Fatalf("defaults = %+v", p)
				}
			},
		},
		{
			name: "sync_interval as duration string",
			file: "[profiles.w]\norg_url = \"https://acme.okta.com\"\nsync_interval = \"90m\"\n",
			check: func(t *testing.T, c *Config) {
				if c.Profiles["w"].SyncInterval != 90*time.Minute {
					t.Fatalf("sync_interval = %v", c.Profiles["w"].SyncInterval)
				}
			},
		},
		{
			name:   "unknown key in profile",
			file:   "active = \"work\"\n\n[profiles.work]\norg_url = \"https://acme.okta.com\"\nallow_write = true\n",
			errHas: []string{`unknown key "profiles.work.allow_write" on line 5`, "allow_writes"},
		},
		{
			name:   "unknown top-level key",
			file:   "# c\nactve = \"work\"\n",
			errHas: []string{`unknown key "actve" on line 2`},
		},
		{
			name:   "token in config is an unknown key",
			file:   "[profiles.work]\norg_url = \"https://acme.okta.com\"\n  \"token\" = \"00abc\"\n",
			errHas: []string{`unknown key "profiles.work.token" on line 3`},
		},
		{
			name:   "unknown dotted key",
			file:   "[profiles]\nwork.org_url = \"https://acme.okta.com\"\nwork.colour.x = 1\n",
			errHas: []string{`unknown key "profiles.work.colour.x" on line 3`},
		},
		{
			name:   "unknown table reported once",
			file:   "[profiles.work]\norg_url = \"https://acme.okta.com\"\n[profiles.work.extra]\nx = 1\n",
			errHas: []string{`unknown key "profiles.work.extra" on line 3 (known`},
		},
		{
			name:   "syntax error names the line",
			file:   "[profiles.work]\norg_url = https://acme.okta.com\n",
			errHas: []string{"line 2"},
		},
		{
			name:   "wrong type",
			file:   "[profiles.work]\norg_url = \"https://acme.okta.com\"\nallow_writes = \"yes\"\n",
			errHas: []string{"allow_writes"},
		},
		{
			name:   "bad profile name",
			file:   "[profiles.Work]\norg_url = \"https://acme.okta.com\"\n",
			errHas: []string{"[profiles.Work]", "invalid profile name"},
		},
		{
			name:   "http org URL",
			file:   "[profiles.work]\norg_url = \"http://acme.okta.com\"\n",
			errHas: []string{"[profiles.work] org_url:", "loopback"},
		},
		{
			name:   "explicit zero budget share",
			file:   "[profiles.work]\norg_url = \"https://acme.okta.com\"\nbudget_share = 0.0\n",
			errHas: []string{"budget_share"},
		},
		{
			name:   "active names no profile",
			file:   "active = \"home\"\n[profiles.work]\norg_url = \"https://acme.okta.com\"\n",
			errHas: []string{`active = "home" names no profile`, "profiles: work"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := isolate(t)
			writeConfig(t, home, tt.file)
			c, err := Load()
			if len(tt.errHas) > 0 {
				if err == nil {
					t.Fatalf("Load() succeeded, want error containing %q", tt.errHas)
				}
				for _, s := range tt.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Fatalf("Load() = %v\nwant it to contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestKeyLines(t *testing.T) {
	doc := `# header
active = "x" # comment
[profiles.a]
org_url = "https://a.okta.com"
note = """
fake = 1
"""
"quoted.key" = 2
[ profiles . "b" ]
scopes = ["okta.users.read"]
`
	got := keyLines([]byte(doc))
	want := map[string]int{
		"active": 2, "profiles": 3, "profiles.a": 3, "profiles.a.org_url": 4, "profiles.a.note": 5,
		`profiles.a."quoted.key"`: 8, "profiles.b": 9, "profiles.b.scopes": 10,
	}
	for k, line := range want {
		if got[k] != line {
			t.Errorf("line of %s = %d, want %d", k, got[k], line)
		}
	}
	if _, ok := got["profiles.a.fake"]; ok {
		t.Errorf("a line inside a multi-line string was taken for a key")
	}
}
