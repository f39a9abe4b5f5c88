package staging

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/plan"
)

var (
	sales    = directory.Group{ID: "00gsales", Name: "Sales", Description: "Sales team", Type: directory.GroupTypeOkta}
	everyone = directory.Group{ID: "00gevery", Name: "Everyone", Type: directory.GroupTypeBuiltIn}
	workday  = directory.Group{ID: "00gwd", Name: "Workday", Type: directory.GroupTypeApp}
	alice    = Member{ID: "00ualice", Login: "alice@example.com", Name: "Alice"}
	bob      = Member{ID: "00ubob", Login: "bob@example.com", Name: "Bob"}
)

func TestAreaChanges(t *testing.T) {
	tests := []struct {
		name  string
		do    func(a *Area) error
		want  []plan.Change
		count int
	}{
		{"add and remove", func(a *Area) error {
			return errors.Join(a.Add(sales, alice), a.Remove(sales, bob))
		}, []plan.Change{{Group: sales.ID, Add: []string{alice.ID}, Remove: []string{bob.ID}}}, 2},
		{"removing a staged add cancels it", func(a *Area) error {
			return errors.Join(a.Add(sales, alice), a.Remove(sales, alice))
		}, nil, 0},
		{"adding twice stages once", func(a *Area) error {
			return errors.Join(a.Add(sales, alice), a.Add(sales, alice))
		}, []plan.Change{{Group: sales.ID, Add: []string{alice.ID}}}, 1},
		{"unstage", func(a *Area) error {
			err := errors.Join(a.Remove(sales, alice), a.Remove(sales, bob))
			if !a.Unstage(sales.ID, alice.ID) {
				return errors.New("nothing unstaged")
			}
			return err
		}, []plan.Change{{Group: sales.ID, Remove: []string{bob.ID}}}, 1},
		{"rename keeps an unchanged description out", func(a *Area) error {
			return a.Edit(sales, " Sales EMEA ", sales.Description)
		}, []plan.Change{{Group: sales.ID, Rename: "Sales EMEA"}}, 1},
		{"clearing the description", func(a *Area) error {
			return a.Edit(sales, sales.Name, "")
		}, []plan.Change{{Group: sales.ID, SetDescription: true}}, 1},
		{"an edit back to the cached values stages nothing", func(a *Area) error {
			return errors.Join(a.Edit(sales, "Other", ""), a.Edit(sales, sales.Name, sales.Description))
		}, nil, 0},
		{"create", func(a *Area) error {
			return a.Create("Project X", "new project", false)
		}, []plan.Change{{Group: "Project X", Create: true, Description: "new project", SetDescription: true}}, 1},
		{"drop", func(a *Area) error {
			err := errors.Join(a.Add(sales, alice), a.Edit(sales, "S2", ""))
			a.Drop(sales.ID)
			return err
		}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(Options{})
			if err := tt.do(a); err != nil {
				t.Fatal(err)
			}
			if got := a.Changes(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Changes() = %+v, want %+v", got, tt.want)
			}
			if a.Count() != tt.count {
				t.Errorf("Count() = %d, want %d", a.Count(), tt.count)
			}
		})
	}
}

func TestAreaRefusals(t *testing.T) {
	tests := []struct {
		name string
		do   func(a *Area) error
		want string
	}{
		{"BUILT_IN add", func(a *Area) error { return a.Add(everyone, alice) }, `group "Everyone" is BUILT_IN`},
		{"BUILT_IN remove", func(a *Area) error { return a.Remove(everyone, alice) }, `group "Everyone" is BUILT_IN`},
		{"APP_GROUP add", func(a *Area) error { return a.Add(workday, alice) }, `group "Workday" is an APP_GROUP`},
		{"APP_GROUP edit", func(a *Area) error { return a.Edit(workday, "W2", "") }, `group "Workday" is an APP_GROUP`},
		{"unknown type", func(a *Area) error {
			return a.Add(directory.Group{ID: "g", Name: "G", Type: "WEIRD"}, alice)
		}, `has type "WEIRD"`},
		{"empty name", func(a *Area) error { return a.Edit(sales, "  ", "") }, "a group needs a name"},
		{"taken name", func(a *Area) error { return a.Create("Sales", "", true) }, `a group with that name exists`},
		{"created twice", func(a *Area) error {
			return errors.Join(a.Create("X", "", false), a.Create("X", "", false))
		}, `already staged to be created`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(Options{})
			err := tt.do(a)
			if !errors.Is(err, plan.ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a refusal containing %q", err, tt.want)
			}
			note, isErr := a.Note()
			if !isErr || !strings.HasPrefix(note, "refused: ") || !strings.Contains(note, tt.want) {
				t.Errorf("note = %q (error %v)", note, isErr)
			}
			a.ClearNote()
			if n, _ := a.Note(); n == "" {
				t.Error("a refusal must stay until the staged changes change")
			}
		})
	}
}

func TestSummary(t *testing.T) {
	a := New(Options{})
	if a.Summary() != "" || a.Active() {
		t.Fatal("an empty area shows nothing")
	}
	_ = a.Add(sales, alice)
	_ = a.Remove(sales, bob)
	_ = a.Edit(sales, "Sales EMEA", sales.Description)
	_ = a.Create("New", "", false)
	if got, want := a.Summary(), "4 staged changes (+1 -1 ~1 +1 new group) — S to submit or discard"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}
