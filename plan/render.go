package plan

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/dirdeck/dirdeck/internal/english"
	"github.com/dirdeck/dirdeck/internal/textsafe"
)

// Summary is the plan's one-line count, Terraform style: "Plan: 3 to add,
// 2 to remove, 1 group to create, 0 groups to update."
func (p *Plan) Summary() string {
	c := p.Counts()
	groups := func(n int) string {
		if n == 1 {
			return "1 group"
		}
		return fmt.Sprintf("%d groups", n)
	}
	return fmt.Sprintf("Plan: %d to add, %d to remove, %s to create, %s to update.", c.Add, c.Remove, groups(c.Create), groups(c.Update))
}

// clean neutralises a directory value (names and logins come from the
// org and may hold escape sequences) for terminal output.
func clean(s string) string { return textsafe.Clean(s) }

// ApprovalLine is "approved (1/1)" or "pending (0/2 approvals)".
func (r *Record) ApprovalLine() string {
	n := len(r.Approvals())
	return fmt.Sprintf("%s (%d/%d approvals)", r.State, n, r.Plan.ApprovalsRequired)
}

// Kinds of line Render styles, the argument of Styler.LineStyle.
const (
	StyleTitle   = "title"   // headings: the plan, the summary, sections
	StyleMuted   = "muted"   // secondary facts: org, hash, collapsed counts
	StyleOK      = "ok"      // additions, approvals
	StyleWarning = "warning" // warnings and edited groups
	StyleError   = "error"   // removals, rejections, failures
)

// Styler is how Render colours a kind of line. A terminal theme
// (themes.Theme) is one; plan itself knows nothing of themes, so the
// dashboard and the CLI pass theirs in.
type Styler interface {
	LineStyle(kind string) lipgloss.Style
}

// plainStyler styles nothing.
type plainStyler struct{}

func (plainStyler) LineStyle(string) lipgloss.Style { return lipgloss.Style{} }

// Plain is the Styler without any styling, for output that is not a
// terminal (pipes, files, golden tests).
var Plain Styler = plainStyler{}

// Render is the human diff of a plan: header, warnings first, the summary
// line, then per group its edits and +/- members, the impact on apps and
// the reviews. Expanded lists the group refs whose members are listed in
// full; nil expands every group (the CLI), otherwise collapsed groups show
// counts only (the Review pane). Directory values are neutralised with
// textsafe.Clean; sty colours it (Plain for no escape sequences at all).
func Render(r *Record, sty Styler, expanded map[string]bool) string {
	var b strings.Builder
	t := struct{ Title, Muted, OK, Warning, Error lipgloss.Style }{
		sty.LineStyle(StyleTitle), sty.LineStyle(StyleMuted), sty.LineStyle(StyleOK), sty.LineStyle(StyleWarning), sty.LineStyle(StyleError),
	}
	p := &r.Plan
	line := func(st lipgloss.Style, format string, args ...any) {
		b.WriteString(st.Render(fmt.Sprintf(format, args...)))
		b.WriteByte('\n')
	}
	plain := lipgloss.NewStyle()
	line(t.Title, "Plan %s · %s", r.ID, clean(p.Title))
	line(plain, "State:  %s", r.ApprovalLine())
	line(plain, "Author: %s · staged %s", clean(p.Author.String()), p.Created.UTC().Format("2006-01-02 15:04 UTC"))
	switch {
	case r.AuthorStatus != "":
		line(t.Error, "        author not verified: %s", clean(r.AuthorStatus))
	case r.AuthorKey != "":
		line(t.Muted, "        signed with %s", r.AuthorKey)
	}
	line(t.Muted, "Org:    %s", clean(p.OrgURL))
	line(t.Muted, "Hash:   %s", r.Hash)
	if r.Error != "" {
		line(t.Error, "Last apply failed: %s", clean(r.Error))
	}
	b.WriteByte('\n')
	if len(p.Warnings) > 0 {
		line(t.Warning, "Warnings:")
		for _, w := range p.Warnings {
			line(t.Warning, "  ! %s", clean(w))
		}
		b.WriteByte('\n')
	}
	line(t.Title, "%s", p.Summary())
	b.WriteByte('\n')
	for _, g := range p.Groups {
		gi := groupImpact(p, g.Ref)
		if g.Create {
			line(t.OK, "+ group %q (to create) · %s after", clean(g.Name), english.Count(gi.After, "member", "members"))
		} else {
			line(t.Warning, "~ group %q (%s) · %d → %d members", clean(g.Name), g.Ref, gi.Before, gi.After)
		}
		open := expanded == nil || expanded[g.Ref]
		if !open {
			line(t.Muted, "    %d to add, %d to remove (collapsed)", gi.Added, gi.Removed)
			continue
		}
		for _, op := range p.Ops {
			if op.Group != g.Ref {
				continue
			}
			switch op.Kind {
			case OpCreate:
				if op.Description != "" {
					line(t.OK, "    + description %q", clean(op.Description))
				}
			case OpUpdate:
				if op.Name != g.Name {
					line(t.Warning, "    ~ name %q → %q", clean(g.Name), clean(op.Name))
				}
				if op.Description != g.Description {
					line(t.Warning, "    ~ description %q → %q", clean(g.Description), clean(op.Description))
				}
			case OpAdd:
				note := ""
				if op.BaseMember {
					note = "  (already a member)"
				}
				line(t.OK, "    + %s  %s%s", clean(op.Login), clean(op.UserName), note)
			case OpRemove:
				note := ""
				if !op.BaseMember {
					note = "  (not a member)"
				}
				line(t.Error, "    - %s  %s%s", clean(op.Login), clean(op.UserName), note)
			}
		}
	}
	if len(p.Impact.Apps) > 0 {
		b.WriteByte('\n')
		line(t.Title, "Impact on apps:")
		for _, a := range p.Impact.Apps {
			line(plain, "  %s: %s", clean(a.Label), clean(a.Summary()))
			if len(a.Lose) > 0 {
				line(t.Error, "      loses it: %s", clean(listSome(a.Lose, 8)))
			}
			if len(a.Keep) > 0 {
				keep := make([]string, 0, len(a.Keep))
				for _, k := range a.Keep {
					keep = append(keep, k.Login+" (via "+k.Via+")")
				}
				line(t.Muted, "      keeps it: %s", clean(listSome(keep, 8)))
			}
			if len(a.Gain) > 0 {
				line(t.OK, "      gains it: %s", clean(listSome(a.Gain, 8)))
			}
		}
	}
	if len(r.Reviews) > 0 {
		b.WriteByte('\n')
		line(t.Title, "Reviews:")
		for _, rv := range r.Reviews {
			st, mark := t.OK, "✓ approved"
			if rv.Decision == DecisionReject {
				st, mark = t.Error, "✗ rejected"
			}
			var notes []string
			if rv.Imported {
				notes = append(notes, "imported")
			}
			if rv.Key != "" {
				notes = append(notes, "signed with "+clean(rv.Key))
			}
			if rv.SameOSUser {
				notes = append(notes, "same OS user as the author")
			}
			switch {
			case rv.Status != "":
				st = t.Error
				notes = append(notes, "NOT COUNTED: "+clean(rv.Status))
			case rv.Hash != r.Hash:
				notes = append(notes, "for other content; void")
			}
			text := fmt.Sprintf("  %s by %s at %s", mark, clean(rv.Reviewer.String()), rv.Time.UTC().Format("2006-01-02 15:04 UTC"))
			if len(notes) > 0 {
				text += " (" + strings.Join(notes, "; ") + ")"
			}
			if rv.Comment != "" {
				text += ": " + clean(rv.Comment)
			}
			line(st, "%s", text)
		}
	}
	return b.String()
}

func groupImpact(p *Plan, ref string) GroupImpact {
	for _, g := range p.Impact.Groups {
		if g.Group == ref {
			return g
		}
	}
	return GroupImpact{Group: ref}
}

// listSome joins up to n items and says how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
