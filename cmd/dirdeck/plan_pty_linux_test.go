package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/oktasim"
)

// TestPlanApplyTypedConfirmation answers the apply prompt on a real
// terminal: a wrong domain writes nothing, the org's domain applies.
func TestPlanApplyTypedConfirmation(t *testing.T) {
	srv := simEnv(t, oktasim.Options{Scenario: "S", Seed: 3}, "superadmin")
	if res := profRun(t, "", "sync"); res.code != exitOK {
		t.Fatalf("sync: %d %v", res.code, res.err)
	}
	group, members, outsiders, _ := planTargets(t)
	res := profRun(t, "", "plan", "new", "--group", group, "--add", outsiders[0], "--remove", members[0], "--json")
	if res.code != exitOK {
		t.Fatalf("plan new: %d %v", res.code, res.err)
	}
	id := decode[map[string]string](t, res.stdout)["id"]
	t.Setenv("DIRDECK_API_TOKEN", srv.Token("reviewer"))
	if res := profRun(t, "", "plan", "approve", id); res.code != exitOK {
		t.Fatalf("approve: %d %v", res.code, res.err)
	}
	t.Setenv("DIRDECK_ALLOW_WRITES", "1")
	srv.Sim.ResetStats()

	tests := []struct {
		typed  string
		code   int
		writes int64
	}{
		{"acme.okta.com", exitFailed, 0},
		{"127.0.0.1", exitOK, 2},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			master, slave := profOpenPTY(t)
			go io.Copy(io.Discard, master) // the prompt and the diff go to the terminal
			if _, err := master.Write([]byte(tt.typed + "\n")); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			root := newRootCmd()
			root.SetArgs([]string{"plan", "apply", id})
			root.SetOut(&out)
			root.SetErr(slave)
			root.SetIn(slave)
			err := root.Execute()
			if code := exitCode(err); code != tt.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.code)
			}
			var writes int64
			for k, n := range srv.Sim.Stats().ByEndpoint {
				if !strings.HasPrefix(k, "GET ") {
					writes += n
				}
			}
			if writes != tt.writes {
				t.Fatalf("%d writes, want %d", writes, tt.writes)
			}
		})
	}
}
