package testorg_test

import (
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/testorg"
	"github.com/dirdeck/dirdeck/oktasim"
	dsync "github.com/dirdeck/dirdeck/sync"
)

func TestStartThenSyncReachesTruth(t *testing.T) {
	tests := []struct {
		name, token, wantToken string
	}{
		{"default token", "", "readonly"},
		{"super administrator", "superadmin", "superadmin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := testorg.Start(t, testorg.Options{Sim: oktasim.Options{Scenario: "S", Seed: 1}, Token: tt.token})
			if want := org.Server.Token(tt.wantToken); org.Token != want {
				t.Fatalf("client token %q, want the %s token %q", org.Token, tt.wantToken, want)
			}
			if run := org.Sync(t, dsync.Options{}); run.Status != directory.RunOK {
				t.Fatalf("sync status %s", run.Status)
			}
			_, digest := testorg.Cache(t, org.Store)
			if truth := org.Server.Sim.Truth().Digest; digest != truth {
				t.Fatalf("cache digest %s, truth %s", digest, truth)
			}
		})
	}
}
