package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/signature"
	"github.com/dirdeck/dirdeck/store"
)

func newSignatureCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "signature",
		Aliases: []string{"signatures", "sig"},
		Short:   "Preview, check and export email signatures built from the cache",
		Long: `Email signatures rendered from cached profile data (no Okta requests):
templates (Go html/template plus a plain-text variant), an ordered rule
list that picks a template by group, department, title, status or profile
attribute, a coverage report and a static HTML gallery for reviewers.

Without templates or rules everyone gets the built-in default template.`,
		Example: `  dirdeck signature render --user ana@example.com
  dirdeck signature template add sales sales.html
  dirdeck signature rules import rules.yaml
  dirdeck signature coverage
  dirdeck signature export --dir signatures/ && open signatures/index.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newSigRenderCmd(), newSigExportCmd(), newSigCoverageCmd(), newSigTemplateCmd(), newSigRulesCmd())
	return cmd
}

// sigSession opens the profile's cache for the signature commands.
func sigSession(cmd *cobra.Command, needData bool) (*store.Store, error) {
	r, err := config.Locate(profileFlag(cmd))
	if err != nil {
		return nil, notConfigured(err)
	}
	st, err := openCache(r.CachePath, false, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	if needData {
		var gen uint64
		if err := st.View(func(rd *store.Reader) error { gen = rd.Generation(); return nil }); err != nil {
			st.Close()
			return nil, withCode(exitFailed, err)
		}
		if gen == 0 {
			st.Close()
			return nil, withCode(exitFailed, fmt.Errorf("nothing synced yet for profile %q: run `dirdeck sync`", r.Name))
		}
	}
	return st, nil
}

// withSignatures opens the profile's cache (with needData it must hold a
// sync), loads its templates and rules and runs fn with them; the cache is
// closed when fn returns.
func withSignatures(cmd *cobra.Command, needData bool, fn func(st *store.Store, set *signature.Set) error) error {
	st, err := sigSession(cmd, needData)
	if err != nil {
		return err
	}
	defer st.Close()
	set, err := signature.Load(st)
	if err != nil {
		return withCode(exitFailed, err)
	}
	return fn(st, set)
}

// withSignatureData runs fn for the commands that render users: from a
// synced cache, with its users as a signature.Directory.
func withSignatureData(cmd *cobra.Command, fn func(set *signature.Set, d *signature.Directory) error) error {
	return withSignatures(cmd, true, func(st *store.Store, set *signature.Set) error {
		d, err := signature.LoadDirectory(st)
		if err != nil {
			return withCode(exitFailed, err)
		}
		return fn(set, d)
	})
}

func newSigRenderCmd() *cobra.Command {
	var user string
	var asHTML, asText bool
	cmd := &cobra.Command{
		Use:   "render --user LOGIN [--html|--text]",
		Short: "Render one user's signature (plain text by default)",
		Long: `Render the signature the rules pick for one user. The rule that matched and
the fields that were empty go to stderr; the signature alone to stdout.`,
		Example: `  dirdeck signature render --user ana@example.com
  dirdeck signature render --user ana@example.com --html > ana.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" {
				return withCode(exitUsage, errors.New("--user LOGIN is required"))
			}
			if asHTML && asText {
				return withCode(exitUsage, errors.New("use either --html or --text"))
			}
			return withSignatureData(cmd, func(set *signature.Set, d *signature.Directory) error {
				u, ok := d.ByLogin(user)
				if !ok {
					return withCode(exitFailed, fmt.Errorf("no user %q in the cache (login, email or id)", textsafe.Clean(user)))
				}
				res, err := set.Render(d, u)
				if err != nil {
					return withCode(exitFailed, err)
				}
				if asHTML {
					fmt.Fprint(cmd.OutOrStdout(), res.HTML)
				} else {
					fmt.Fprint(cmd.OutOrStdout(), res.Text)
				}
				printRenderChoice(cmd.ErrOrStderr(), res)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the user's login (or email, or Okta id)")
	cmd.Flags().BoolVar(&asHTML, "html", false, "print the HTML signature")
	cmd.Flags().BoolVar(&asText, "text", false, "print the plain-text signature (the default)")
	return cmd
}

// printRenderChoice tells the admin (on stderr, apart from the signature)
// which rule picked the template and which fields were empty.
func printRenderChoice(w io.Writer, res signature.Result) {
	why := "no rule matches: default"
	if res.Rule != "" {
		why = fmt.Sprintf("rule %d %q", res.RuleNum, res.Rule)
	}
	fmt.Fprintf(w, "template %s (%s)", res.Template, textsafe.Clean(why))
	if len(res.Matched) > 1 {
		fmt.Fprintf(w, "; also matched: %s", textsafe.Clean(strings.Join(res.Matched[1:], ", ")))
	}
	fmt.Fprintln(w)
	if len(res.Missing) > 0 {
		fmt.Fprintf(w, "missing required fields: %s\n", strings.Join(res.Missing, ", "))
	}
	if len(res.FellBack) > 0 {
		fmt.Fprintf(w, "empty, fell back: %s\n", textsafe.Clean(strings.Join(res.FellBack, ", ")))
	}
}

func newSigExportCmd() *cobra.Command {
	var dir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "export --dir DIR",
		Short: "Write every active user's signature and a searchable index.html gallery",
		Long: `Write one HTML page per active user (DIR/users/<id>.html) and DIR/index.html,
a gallery of every signature with a search box: static, self-contained files
with no external assets, for a reviewer to open in a browser before rollout.`,
		Example: `  dirdeck signature export --dir /tmp/signatures
  xdg-open /tmp/signatures/index.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return withCode(exitUsage, errors.New("--dir DIR is required"))
			}
			return withSignatureData(cmd, func(set *signature.Set, d *signature.Directory) error {
				stats, err := signature.Export(cmd.Context(), set, d, dir)
				if err != nil {
					return withCode(exitFailed, fmt.Errorf("export signatures: %w", err))
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), stats)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "exported %d signatures to %s\n", stats.Users, filepath.Join(dir, "index.html"))
				printTemplateCounts(cmd.OutOrStdout(), stats.ByTemplate)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory to write (created if needed)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON summary")
	return cmd
}

func newSigCoverageCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "coverage [--json]",
		Short: "Users per template, missing required fields by department, rule conflicts",
		Long: `Report which template each active user gets (the counts add up to the active
users: every status but STAGED, SUSPENDED and DEPROVISIONED), which users
lack a field their template requires (by department), users matched by more
than one rule (the first wins), and rules that match nobody or never win.`,
		Example: `  dirdeck signature coverage
  dirdeck signature coverage --json | jq '.missing_fields'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withSignatureData(cmd, func(set *signature.Set, d *signature.Directory) error {
				cov := set.Coverage(d)
				if asJSON {
					return printJSON(cmd.OutOrStdout(), cov)
				}
				printCoverage(cmd.OutOrStdout(), cov)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// printTemplateCounts lists how many users each template serves.
func printTemplateCounts(w io.Writer, byTemplate map[string]int) {
	for _, name := range slices.Sorted(maps.Keys(byTemplate)) {
		fmt.Fprintf(w, "  %-20s %d\n", name, byTemplate[name])
	}
}

// printCoverage writes the coverage report as text.
func printCoverage(w io.Writer, cov signature.Coverage) {
	fmt.Fprintf(w, "%d active users\n\nBy template:\n", cov.Users)
	printTemplateCounts(w, cov.ByTemplate)
	fmt.Fprintln(w, "\nMissing required fields:")
	lines := cov.Summary()
	if len(lines) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, l := range lines {
		fmt.Fprintln(w, "  "+textsafe.Clean(l))
	}
	fmt.Fprintln(w, "\nRule conflicts:")
	if len(cov.Conflicts) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, c := range cov.Conflicts {
		fmt.Fprintf(w, "  %s: %s", c.Kind, textsafe.Clean(c.Reason))
		if c.Kind == signature.ConflictOverlap {
			fmt.Fprintf(w, " (%d %s)", c.Count, map[bool]string{true: "user", false: "users"}[c.Count == 1])
		}
		fmt.Fprintln(w)
	}
}

func newSigTemplateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "template add|list|export|remove",
		Short: "Manage signature templates stored in the cache",
		Example: `  dirdeck signature template list
  dirdeck signature template export default > sales.html
  dirdeck signature template add sales sales.html`,
		Long: `A template file is a Go html/template: its top level (or {{define "html"}})
is the HTML signature, an optional {{define "text"}} block the plain-text
variant. Fields: {{.DisplayName}} {{.FirstName}} {{.LastName}} {{.Title}}
{{.Department}} {{.Division}} {{.Organization}} {{.Email}} {{.Login}}
{{.MobilePhone}} {{.PrimaryPhone}} {{.City}} {{.State}} {{.CountryCode}}
{{.Manager}} {{.ManagerEmail}} {{.EmployeeNumber}} {{.CostCenter}}
{{.UserType}} {{.Status}}. Helpers: {{attr "costCenter"}} (any profile
attribute), {{or .Title "Team member"}} (fallback), {{phone .MobilePhone}},
{{tel .MobilePhone}} (a tel: link), {{initials .DisplayName}}, upper,
lower, {{truncate 40 .Title}}. A template named "default" replaces the
built-in one. Errors are reported with line and column before anything is
saved.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	add := &cobra.Command{
		Use:     "add NAME FILE",
		Short:   "Validate a template file (- for stdin) and store it as NAME",
		Example: "  dirdeck signature template add sales sales.html",
		Args:    needArgs("template name", "template file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := readInput(cmd, args[1])
			if err != nil {
				return err
			}
			st, err := sigSession(cmd, false)
			if err != nil {
				return err
			}
			defer st.Close()
			t, err := signature.SaveTemplate(st, args[0], string(src), time.Now())
			if err != nil {
				return withCode(exitFailed, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "saved template %s (requires: %s)\n", t.Name, sigList(t.Required))
			return nil
		},
	}
	var listJSON bool
	list := &cobra.Command{
		Use:     "list",
		Short:   "List templates (built-in default included)",
		Example: `  dirdeck signature template list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withSignatures(cmd, false, func(st *store.Store, set *signature.Set) error {
				stored, err := st.SignatureTemplates()
				if err != nil {
					return withCode(exitFailed, err)
				}
				updated := map[string]time.Time{}
				for _, s := range stored {
					updated[s.Name] = s.Updated
				}
				type item struct {
					Name     string     `json:"name"`
					BuiltIn  bool       `json:"built_in"`
					Required []string   `json:"required"`
					Fields   []string   `json:"fields"`
					OwnText  bool       `json:"own_text"`
					Updated  *time.Time `json:"updated,omitempty"`
				}
				var items []item
				for _, name := range set.Names() {
					t := set.Templates[name]
					it := item{Name: name, Required: t.Required, Fields: t.Fields, OwnText: t.OwnText}
					if u, ok := updated[name]; ok {
						it.Updated = &u
					} else {
						it.BuiltIn = true
					}
					items = append(items, it)
				}
				if listJSON {
					return printJSON(cmd.OutOrStdout(), items)
				}
				for _, it := range items {
					src := "built-in"
					if !it.BuiltIn {
						src = "stored " + it.Updated.UTC().Format(time.DateTime)
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%-20s %-28s requires: %s\n", it.Name, src, sigList(it.Required))
				}
				return nil
			})
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print as JSON")
	var out string
	export := &cobra.Command{
		Use:     "export NAME",
		Short:   "Print a template's source (or write it with --out)",
		Example: "  dirdeck signature template export default --out default.html",
		Args:    needArgs("template name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withSignatures(cmd, false, func(_ *store.Store, set *signature.Set) error {
				t := set.Templates[args[0]]
				if t == nil {
					return withCode(exitFailed, fmt.Errorf("no template %q (templates: %s)", textsafe.Clean(args[0]), strings.Join(set.Names(), ", ")))
				}
				return writeOutput(cmd, out, []byte(t.Source))
			})
		},
	}
	export.Flags().StringVar(&out, "out", "", "write to this file instead of stdout")
	remove := &cobra.Command{
		Use:     "remove NAME",
		Short:   "Delete a stored template (rules must not use it)",
		Example: `  dirdeck signature template remove sales`,
		Args:    needArgs("template name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withSignatures(cmd, false, func(st *store.Store, set *signature.Set) error {
				name := args[0]
				for _, r := range set.Rules.Rules {
					if r.Template == name {
						return withCode(exitFailed, fmt.Errorf("rule %q uses template %q: change the rules first", r.Name, name))
					}
				}
				if set.Rules.Default == name && name != signature.DefaultName {
					return withCode(exitFailed, fmt.Errorf("template %q is the rules' default: change the rules first", name))
				}
				found, err := st.DeleteSignatureTemplate(name)
				if err != nil {
					return withCode(exitFailed, err)
				}
				if !found {
					return withCode(exitFailed, fmt.Errorf("no stored template %q", textsafe.Clean(name)))
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed template %s\n", name)
				return nil
			})
		},
	}
	cmd.AddCommand(add, list, export, remove)
	return cmd
}

func newSigRulesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules show|edit|import|export",
		Short: "Manage the ordered signature rules (YAML or TOML)",
		Example: `  dirdeck signature rules show
  dirdeck signature rules import rules.yaml
  dirdeck signature rules edit`,
		Long: `Rules are tried in order; the first whose conditions all hold picks the
user's template, and users no rule matches get the default. Conditions:
group (any of the user's groups, by name), department, title, status, and
attr.<name> (any profile attribute), each with exactly one of equals, in or
prefix (case-insensitive).

  default: default
  rules:
    - name: sales-emea
      template: sales
      when:
        department: {equals: Sales}
        group: {in: [EMEA, Sales EMEA]}
        attr:
          costCenter: {prefix: CC-10}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var showFormat string
	show := &cobra.Command{
		Use:     "show",
		Short:   "Print the rules",
		Example: `  dirdeck signature rules show`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := currentRules(cmd, showFormat)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	show.Flags().StringVar(&showFormat, "format", signature.YAML, "yaml or toml")
	var exportFormat, out string
	export := &cobra.Command{
		Use:     "export [--out FILE]",
		Short:   "Write the rules to a file (format from its extension) or stdout",
		Example: "  dirdeck signature rules export --out rules.toml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := exportFormat
			if f == "" {
				f = signature.FormatFor(out)
			}
			b, err := currentRules(cmd, f)
			if err != nil {
				return err
			}
			return writeOutput(cmd, out, b)
		},
	}
	export.Flags().StringVar(&exportFormat, "format", "", "yaml or toml (default: from --out's extension, else yaml)")
	export.Flags().StringVar(&out, "out", "", "write to this file instead of stdout")
	var importFormat string
	imp := &cobra.Command{
		Use:     "import FILE",
		Short:   "Replace the rules with a YAML or TOML file (- for stdin)",
		Example: "  dirdeck signature rules import rules.yaml",
		Args:    needArgs("rules file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			f := importFormat
			if f == "" {
				f = signature.FormatFor(args[0])
			}
			return saveRules(cmd, data, f)
		},
	}
	imp.Flags().StringVar(&importFormat, "format", "", "yaml or toml (default: from the file's extension or content)")
	edit := &cobra.Command{
		Use:   "edit",
		Short: "Edit the rules as YAML in $VISUAL or $EDITOR; saved only if valid",
		Example: `  dirdeck signature rules edit                   # opens $EDITOR; saved only if valid
  EDITOR=nano dirdeck signature rules edit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := currentRules(cmd, signature.YAML)
			if err != nil {
				return err
			}
			editor := os.Getenv("VISUAL")
			if editor == "" {
				editor = os.Getenv("EDITOR")
			}
			if editor == "" {
				editor = "vi"
			}
			f, err := os.CreateTemp("", "dirdeck-rules-*.yaml")
			if err != nil {
				return withCode(exitFailed, err)
			}
			path := f.Name()
			_, werr := f.Write(b)
			if err := errors.Join(werr, f.Close()); err != nil {
				os.Remove(path)
				return withCode(exitFailed, fmt.Errorf("write %s: %w", path, err))
			}
			fields := strings.Fields(editor)
			ed := exec.CommandContext(cmd.Context(), fields[0], append(fields[1:], path)...)
			ed.Stdin, ed.Stdout, ed.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			if err := ed.Run(); err != nil {
				os.Remove(path)
				return withCode(exitFailed, fmt.Errorf("run editor %s: %w", editor, err))
			}
			edited, err := os.ReadFile(path)
			if err != nil {
				return withCode(exitFailed, err)
			}
			if bytes.Equal(edited, b) {
				os.Remove(path)
				fmt.Fprintln(cmd.ErrOrStderr(), "no changes")
				return nil
			}
			if err := saveRules(cmd, edited, signature.YAML); err != nil {
				// Keep the edit so the admin can fix it and import it.
				return withCode(exitFailed, fmt.Errorf("%w\nyour edit is kept in %s (fix it, then `dirdeck signature rules import %s`)", errors.Unwrap(err), path, path))
			}
			os.Remove(path)
			return nil
		},
	}
	cmd.AddCommand(show, edit, imp, export)
	return cmd
}

// currentRules returns the stored rules (or the empty default list)
// encoded in format.
func currentRules(cmd *cobra.Command, format string) ([]byte, error) {
	if format != signature.YAML && format != signature.TOML {
		return nil, withCode(exitUsage, fmt.Errorf("invalid --format %q: use yaml or toml", format))
	}
	var encoded []byte
	err := withSignatures(cmd, false, func(_ *store.Store, set *signature.Set) error {
		b, err := set.Rules.Encode(format)
		if err != nil {
			return withCode(exitFailed, err)
		}
		encoded = b
		return nil
	})
	return encoded, err
}

func saveRules(cmd *cobra.Command, data []byte, format string) error {
	rules, err := signature.ParseRules(data, format)
	if err != nil {
		return withCode(exitFailed, err)
	}
	return withSignatures(cmd, false, func(st *store.Store, set *signature.Set) error {
		if err := signature.SaveRules(st, set, rules, time.Now()); err != nil {
			return withCode(exitFailed, err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "saved %d rules (default template %s)\n", len(rules.Rules), rules.Default)
		return nil
	})
}

// readInput reads a file argument, "-" meaning stdin.
func readInput(cmd *cobra.Command, path string) ([]byte, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20))
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, withCode(exitFailed, fmt.Errorf("read %s: %w", path, err))
	}
	return b, nil
}

// writeOutput writes to --out (atomically, 0600) or stdout.
func writeOutput(cmd *cobra.Command, out string, b []byte) error {
	if out == "" {
		_, err := cmd.OutOrStdout().Write(b)
		return err
	}
	if err := writeFileAtomic(out, b); err != nil {
		return withCode(exitFailed, err)
	}
	return nil
}

// writeFileAtomic writes b to path (0600) through a temporary file in the
// same directory and a rename, so a reader sees all of it or none.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return finishFile(f, path)
}

func sigList(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
