package plan

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/store"
)

// rawProfile reads a group's profile as Okta sends it, every attribute
// included, straight over HTTP (the client's own mapping keeps only name
// and description, so it cannot be the witness).
func (f *fixture) rawProfile(t *testing.T, gid string) map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.Server.URL+"/api/v1/groups/"+gid, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "SSWS "+f.Server.Token("readonly"))
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET group %s: %s", gid, resp.Status)
	}
	var g struct {
		Profile map[string]any `json:"profile"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&g); err != nil {
		t.Fatal(err)
	}
	return g.Profile
}

// TestRenameKeepsCustomProfileAttributes applies a rename to a group whose
// profile has custom attributes. Okta's PUT replaces the whole profile, so
// a write of only name and description would wipe them; after the apply
// every attribute but the name must be as it was.
func TestRenameKeepsCustomProfileAttributes(t *testing.T) {
	f := newFixture(t)
	var g directory.Group
	var before map[string]any
	if err := f.Store.View(func(r *store.Reader) error {
		for cand := range r.Groups() {
			if cand.Type != directory.GroupTypeOkta || privileged.MatchString(cand.Name) {
				continue
			}
			if p := f.rawProfile(t, cand.ID); len(p) > 2 && p["description"] != nil {
				g, before = cand, p
				return nil
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if g.ID == "" {
		t.Fatal("scenario S has no OKTA_GROUP with a description and custom profile attributes")
	}
	rec := f.approved(t, Request{Title: "rename", Changes: []Change{{Group: g.Name, Rename: g.Name + " (EMEA)"}}})
	if rep, err := Apply(context.Background(), f.Store, rec.ID, ApplyOptions{Client: f.client(t, "superadmin"), AllowWrites: true}); err != nil || rep.Done != 1 {
		t.Fatalf("apply: %v %+v", err, rep)
	}
	after := f.rawProfile(t, g.ID)
	if after["name"] != g.Name+" (EMEA)" {
		t.Fatalf("name = %v, want %q", after["name"], g.Name+" (EMEA)")
	}
	delete(before, "name")
	delete(after, "name")
	if !maps.Equal(before, after) {
		t.Fatalf("the rename changed other attributes:\nbefore %v\nafter  %v", before, after)
	}
}
