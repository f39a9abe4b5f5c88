package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zalando/go-keyring"
)

// isolate points every dirdeck path at a fresh directory and clears the
// DIRDECK_* variables a developer's shell may have set.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("DIRDECK_HOME", home)
	for _, v := range []string{"DIRDECK_PROFILE", "DIRDECK_ORG_URL", "DIRDECK_API_TOKEN", "DIRDECK_CLIENT_ID",
		"DIRDECK_PRIVATE_KEY_FILE", "DIRDECK_SCOPES", "DIRDECK_KEY_ID", "DIRDECK_ALLOW_WRITES",
		"DIRDECK_SIGNING_KEY", "DIRDECK_ALLOWED_SIGNERS"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	return home
}

// useMockKeyring swaps the OS keyring for go-keyring's in-memory provider
// (fresh and empty on every call). The provider cannot be swapped back, so
// tests of the real keyring path run in a child process (see
// TestNoKeyringOnThisMachine).
func useMockKeyring(t *testing.T) {
	t.Helper()
	keyring.MockInit()
	old := sessionBusMissing
	sessionBusMissing = func() bool { return false }
	t.Cleanup(func() { sessionBusMissing = old })
}

func writeConfig(t *testing.T, home, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}
