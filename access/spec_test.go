package access

import "testing"

func TestFeatureScopes(t *testing.T) {
	want := map[string][]string{
		"browse users":                  {"okta.users.read"},
		"browse groups and memberships": {"okta.groups.read"},
		"browse apps and assignments":   {"okta.apps.read"},
		"incremental sync (System Log)": {"okta.logs.read"},
		"token inventory":               {"okta.apiTokens.read"},
		"push group changes":            {"okta.groups.manage"},
	}
	if len(Features) != len(want) {
		t.Fatalf("%d features, want %d", len(Features), len(want))
	}
	for _, f := range Features {
		got, err := f.Needed()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want[f.Name]) || got[0] != want[f.Name][0] {
			t.Errorf("%s needs %v, want %v", f.Name, got, want[f.Name])
		}
	}
	tests := []struct {
		method, path string
		want         string
		ok           bool
	}{
		{"GET", "/api/v1/users", "okta.users.read", true},
		{"get", "/api/v1/logs", "okta.logs.read", true},
		{"DELETE", "/api/v1/groups/{groupId}/users/{userId}", "okta.groups.manage", true},
		{"GET", "/api/v1/users/{id}", "", false},
		{"PATCH", "/api/v1/users", "", false},
	}
	for _, tt := range tests {
		got, err := ScopesFor(tt.method, tt.path)
		if (err == nil) != tt.ok || (tt.ok && (len(got) == 0 || got[0] != tt.want)) {
			t.Errorf("ScopesFor(%s %s) = %v, %v", tt.method, tt.path, got, err)
		}
	}
	bad := Feature{Name: "bad", Ops: []string{"GET/api/v1/users"}}
	if _, err := bad.Needed(); err == nil {
		t.Error("malformed operation accepted")
	}
}
