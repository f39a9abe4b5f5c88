package main

import (
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/internal/simtest"
	"github.com/dirdeck/dirdeck/oktasim"
)

// TestUsageErrorsNameWhatIsWrong: missing arguments are named, unknown
// choices list the valid ones, --since takes days and refuses negative
// durations, and a huge plan ID is not echoed whole.
func TestUsageErrorsNameWhatIsWrong(t *testing.T) {
	simEnv(t, oktasim.Options{Scenario: "S", Seed: 2}, "readonly")
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync: exit %d %v", res.code, res.err)
	}
	tests := []struct {
		args []string
		code int
		want string // the error, exactly; "" for success
	}{
		{[]string{"plan", "show"}, exitUsage, "plan show: missing plan ID"},
		{[]string{"plan", "approve"}, exitUsage, "plan approve: missing plan ID"},
		{[]string{"bundle", "inspect"}, exitUsage, "bundle inspect: missing bundle file"},
		{[]string{"signature", "template", "add", "x"}, exitUsage, "signature template add: missing template file"},
		{[]string{"profile", "use", "a", "b"}, exitUsage, `profile use: unexpected argument "b" (takes profile name)`},
		{[]string{"export", "widgets"}, exitUsage, `export: unknown kind "widgets" (users, groups, apps, memberships, assignments)`},
		{[]string{"export"}, exitUsage, "export: missing kind"},
		{[]string{"history", "--since", "7d"}, exitOK, ""},
		{[]string{"history", "--since", "1.5d"}, exitOK, ""},
		{[]string{"history", "--since", "36h"}, exitOK, ""},
		{[]string{"history", "--since", "-5h"}, exitUsage, `invalid argument "-5h" for "--since" flag: "-5h" is negative: --since looks back, give how far (e.g. 5h)`},
		{[]string{"history", "--since", "-2d"}, exitUsage, `invalid argument "-2d" for "--since" flag: "-2d" is negative: --since looks back, give how far (e.g. 5h)`},
		{[]string{"history", "--since", "week"}, exitUsage, `invalid argument "week" for "--since" flag: "week" is not a duration (e.g. 12h, 7d)`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			res := profRun(t, "", tt.args...)
			if res.code != tt.code || res.errText() != tt.want {
				t.Errorf("exit %d, error %q; want exit %d, error %q", res.code, res.errText(), tt.code, tt.want)
			}
		})
	}

	long := "p-" + strings.Repeat("a", 100_000)
	res := profRun(t, "", "plan", "show", long)
	if res.code != exitUsage || len(res.errText()) > 200 || !strings.Contains(res.errText(), "is not a plan ID") {
		t.Errorf("plan show <100 KB id>: exit %d, %d-byte error %.200q", res.code, len(res.errText()), res.errText())
	}
}

// TestInvalidTokenHintFollowsItsSource: a rejected token from the
// environment is replaced in the environment, one from the keyring with
// `profile set-token`.
func TestInvalidTokenHintFollowsItsSource(t *testing.T) {
	const revoked = "00thisTokenWasRevokedLongAgo0000000000000x"
	t.Run("environment", func(t *testing.T) {
		simEnv(t, oktasim.Options{Scenario: "S", Seed: 3}, "readonly")
		t.Setenv("DIRDECK_API_TOKEN", revoked)
		res := profRun(t, "", "sync")
		if res.code != exitFailed || !strings.Contains(res.errText(), "put a new token in DIRDECK_API_TOKEN") ||
			strings.Contains(res.errText(), "and run `dirdeck profile set-token`") {
			t.Errorf("exit %d: %v", res.code, res.err)
		}
	})
	t.Run("keyring", func(t *testing.T) {
		profHome(t)
		profMockKeyring(t)
		t.Setenv("HOME", t.TempDir())
		srv := simtest.NewServer(t, oktasim.Options{Scenario: "S", Seed: 3})
		if r := profRun(t, "", "profile", "add", "acme", "--org-url", srv.URL); r.code != exitOK {
			t.Fatalf("profile add: %d %v", r.code, r.err)
		}
		if r := profRun(t, revoked+"\n", "profile", "set-token", "acme"); r.code != exitOK {
			t.Fatalf("set-token: %d %v", r.code, r.err)
		}
		res := profRun(t, "", "sync")
		if res.code != exitFailed || !strings.Contains(res.errText(), "run `dirdeck profile set-token`") ||
			strings.Contains(res.errText(), "DIRDECK_API_TOKEN") {
			t.Errorf("exit %d: %v", res.code, res.err)
		}
	})
}
