package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dirdeck/dirdeck/store"
)

func TestReviewExportImport(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	third := Identity{AdminID: "00u-third", Login: "third@example.com", Roles: []string{"CUSTOM:Group writers"}}
	keys := teamKeys(t, ada.Login, priya.Login, third.Login)
	// The team lets holders of its custom role "Group writers" approve.
	for login, k := range keys {
		k.ApproverRoles = append(slices.Clone(DefaultApproverRoles), "Group writers")
		keys[login] = k
	}
	p, err := f.build(t, Request{Title: "two reviewers", ApprovalsRequired: 2, Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:1]}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Submit(f.Store, p, Keys{Trust: keys[ada.Login].Trust}); !errors.Is(err, ErrRefused) {
		t.Fatalf("unsigned plan where allowed_signers is set: %v", err)
	}
	rec, err := Submit(f.Store, p, keys[ada.Login])
	if err != nil {
		t.Fatal(err)
	}
	if rec.AuthorSig == "" || rec.AuthorKey != keys[ada.Login].Signer.Fingerprint() {
		t.Fatalf("plan not signed by its author: %+v", rec)
	}
	// Same admin from another OS account is still the author.
	sameAdmin := ada
	sameAdmin.OSUser = "someone-else"
	if _, err := Approve(f.Store, rec.ID, sameAdmin, "", stamp, keys[ada.Login]); !errors.Is(err, ErrSelfApproval) {
		t.Fatalf("author under another OS user: %v", err)
	}
	readOnly := Identity{AdminID: "00u-ro", Login: "ro@example.com", Roles: []string{"READ_ONLY_ADMIN"}}
	if _, err := Approve(f.Store, rec.ID, readOnly, "", stamp, keys[priya.Login]); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "READ_ONLY_ADMIN, which cannot change groups") {
		t.Fatalf("read-only admin's approval: %v", err)
	}
	if _, err := Approve(f.Store, rec.ID, priya, "", stamp, keys[ada.Login]); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "would not count for priya@example.com") {
		t.Fatalf("approval signed with another admin's key: %v", err)
	}
	// Priya approves on the author's machine as its OS user: allowed, marked.
	onAdasDesk := priya
	onAdasDesk.OSUser, onAdasDesk.Host = ada.OSUser, ada.Host
	rec, err = Approve(f.Store, rec.ID, onAdasDesk, "fine", stamp, keys[priya.Login])
	if err != nil || rec.State != StatePending || len(rec.Approvals()) != 1 || !rec.Reviews[0].SameOSUser || rec.Reviews[0].Signature == "" {
		t.Fatalf("one of two approvals: %v %+v", err, rec)
	}
	if _, err := Approve(f.Store, rec.ID, priya, "again", stamp, keys[priya.Login]); !errors.Is(err, ErrRefused) {
		t.Fatalf("second approval by the same admin: %v", err)
	}

	var buf bytes.Buffer
	if err := Export(f.Store, rec.ID, &buf, ada); err != nil {
		t.Fatal(err)
	}
	exported := buf.Bytes()

	// Another machine's cache.
	other, err := store.Open(filepath.Join(t.TempDir(), "other.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := Import(other, bytes.NewReader(exported), "https://other.okta.com", third, stamp, keys[third.Login]); !errors.Is(err, ErrRefused) {
		t.Fatalf("import for another org: %v", err)
	}
	imp, err := Import(other, bytes.NewReader(exported), f.Server.URL, third, stamp, keys[third.Login])
	if err != nil {
		t.Fatal(err)
	}
	if imp.ID != rec.ID || imp.Hash != rec.Hash || len(imp.Approvals()) != 1 || !imp.Reviews[0].Imported || !imp.Imported || imp.AuthorStatus != "" {
		t.Fatalf("imported = %+v", imp)
	}
	imp, err = Approve(other, rec.ID, third, "second pair of eyes", stamp, keys[third.Login])
	if err != nil || imp.State != StateApproved {
		t.Fatalf("second approval on the other machine: %v %+v", err, imp)
	}
	buf.Reset()
	if err := Export(other, rec.ID, &buf, third); err != nil {
		t.Fatal(err)
	}
	back, err := Import(f.Store, &buf, f.Server.URL, ada, stamp, keys[ada.Login])
	if err != nil || back.State != StateApproved || len(back.Approvals()) != 2 {
		t.Fatalf("import back: %v %+v", err, back)
	}
	// Without allowed_signers nothing from a file counts, signed or not.
	blind, err := store.Open(filepath.Join(t.TempDir(), "blind.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer blind.Close()
	imp, err = Import(blind, bytes.NewReader(exported), f.Server.URL, third, stamp, Keys{})
	if err != nil || len(imp.Approvals()) != 0 || !strings.Contains(imp.Reviews[0].Status, "no allowed_signers") || imp.AuthorStatus == "" {
		t.Fatalf("import without trust: %v %+v", err, imp)
	}

	tamper := []struct {
		name string
		edit func(*File)
	}{
		{"op changed", func(f *File) { f.Plan.Ops[0].UserID = "00u-mallory" }},
		{"approvals lowered", func(f *File) { f.Plan.ApprovalsRequired = 1 }},
		{"author changed", func(f *File) { f.Plan.Author = priya }},
		{"hash replaced", func(f *File) { f.Hash = "sha256:" + strings.Repeat("0", 64) }},
	}
	for _, tt := range tamper {
		t.Run(tt.name, func(t *testing.T) {
			var pf File
			if err := json.Unmarshal(exported, &pf); err != nil {
				t.Fatal(err)
			}
			tt.edit(&pf)
			b, _ := json.Marshal(pf)
			fresh, err := store.Open(filepath.Join(t.TempDir(), "c.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer fresh.Close()
			if _, err := Import(fresh, bytes.NewReader(b), "", priya, stamp, Keys{}); !errors.Is(err, ErrTampered) || !errors.Is(err, ErrRefused) {
				t.Fatalf("tampered import: %v", err)
			}
			if all, _ := fresh.Plans(); len(all) != 0 {
				t.Fatal("a tampered plan was stored")
			}
		})
	}
	if _, err := Import(other, strings.NewReader(`{"format":"dirdeck-plan/1","extra":1}`), "", priya, stamp, Keys{}); !errors.Is(err, ErrRefused) {
		t.Fatalf("unknown fields: %v", err)
	}

	// A reviewer may still veto an approved plan before it is applied.
	rec2, err := Reject(f.Store, rec.ID, priya, "changed my mind", stamp, keys[priya.Login])
	if err != nil || rec2.State != StateRejected {
		t.Fatalf("veto an approved plan: %v %+v", err, rec2)
	}
}

func TestRejectIsFinal(t *testing.T) {
	f := newFixture(t)
	tg := f.targets(t, 4)
	p, _ := f.build(t, Request{Changes: []Change{{Group: tg.group.Name, Add: tg.outsiders[:1]}}})
	rec, _ := Submit(f.Store, p, Keys{})
	rec, err := Reject(f.Store, rec.ID, priya, "wrong group", stamp, Keys{})
	if err != nil || rec.State != StateRejected {
		t.Fatalf("reject: %v %+v", err, rec)
	}
	if _, err := Approve(f.Store, rec.ID, priya, "", stamp, Keys{}); !errors.Is(err, ErrRefused) {
		t.Fatalf("approve after reject: %v", err)
	}
	out := Render(rec, Plain, nil)
	if !strings.Contains(out, "✗ rejected by Priya") || !strings.Contains(out, "wrong group") {
		t.Fatalf("render lacks the rejection:\n%s", out)
	}
}
