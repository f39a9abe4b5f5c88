package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"gopkg.in/yaml.v3"

	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/internal/english"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/plan"
	"github.com/dirdeck/dirdeck/signing"
	"github.com/dirdeck/dirdeck/store"
	"github.com/dirdeck/dirdeck/themes"
)

func newPlanCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Stage, review, approve and apply group change plans",
		Long: `Group change plans are the only way dirdeck writes to Okta. An admin stages
changes (plan new), another admin reviews the diff and its impact and
approves it (plan approve: four eyes, the author cannot approve), and the
plan is applied (plan apply) after a drift check against the live org.
Plans travel between machines as files (plan export / plan import); their
content hash is verified on import and before apply.

Exit codes: 0 ok; 1 done with warnings; 2 refused or failed (nothing written
unless the report says so); 64 usage error.`,
		Example: `  dirdeck plan new --group Sales --add ana@acme.com,bo@acme.com --remove cy@acme.com --title "Q3 cleanup"
  dirdeck plan show p-1a2b3c4d5e6f
  dirdeck plan approve p-1a2b3c4d5e6f --comment "checked with Sales"
  DIRDECK_ALLOW_WRITES=1 dirdeck plan apply p-1a2b3c4d5e6f`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newPlanNewCmd(), newPlanListCmd(), newPlanShowCmd(), newPlanReviewCmd(plan.DecisionApprove),
		newPlanReviewCmd(plan.DecisionReject), newPlanApplyCmd(), newPlanExportCmd(), newPlanImportCmd())
	return cmd
}

// planErr maps a plan error to an exit code: refusals, drift and failed
// applies are 2 like any other failure; the message is what matters.
func planErr(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return withCode(exitFailed, err)
}

// planSession is a resolved profile with its cache open and, when asked
// for, a client and the identity behind it.
type planSession struct {
	r      config.Resolved
	st     *store.Store
	client *okta.Client
	me     plan.Identity
	// keys hold the profile's allowed_signers and approver roles; the
	// signing key is loaded by sign, for the commands that sign.
	keys plan.Keys
}

// planKeys reads the profile's allowed_signers file and approver roles
// (the signing key is loadSigner's).
func planKeys(p config.Profile) (plan.Keys, error) {
	k := plan.Keys{ApproverRoles: p.ApproverRoles}
	if p.AllowedSigners != "" {
		a, err := signing.LoadAllowedSigners(expandHome(p.AllowedSigners))
		if err != nil {
			return k, withCode(exitFailed, err)
		}
		k.Trust = a
	}
	return k, nil
}

// loadSigner loads the profile's signing key into k (none configured:
// nothing signs; plan refuses where allowed_signers requires signatures).
func loadSigner(p config.Profile, k *plan.Keys) error {
	if p.SigningKey == "" {
		return nil
	}
	s, err := signing.LoadSigner(expandHome(p.SigningKey))
	if err != nil {
		return withCode(exitFailed, err)
	}
	k.Signer = s
	return nil
}

// expandHome expands a leading "~/" as a shell would, since key paths in
// config.toml are usually written that way.
func expandHome(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return path
}

// keyFingerprint is the profile's signing key's fingerprint for the
// audit trail, "" when none is configured or it cannot be read (the
// commands that sign say why).
func keyFingerprint(p config.Profile) string {
	if p.SigningKey == "" {
		return ""
	}
	fp, _ := signing.KeyFingerprint(expandHome(p.SigningKey))
	return fp
}

// sign loads the signing key for a command that signs.
func (s *planSession) sign() error { return loadSigner(s.r.Profile, &s.keys) }

func openPlanSession(cmd *cobra.Command, online bool) (*planSession, error) {
	s := &planSession{}
	var err error
	if online {
		s.r, err = config.Resolve(profileFlag(cmd))
	} else {
		s.r, err = config.Locate(profileFlag(cmd))
	}
	if err != nil {
		return nil, notConfigured(err)
	}
	if s.keys, err = planKeys(s.r.Profile); err != nil {
		return nil, err
	}
	s.st, err = openCache(s.r.CachePath, false, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	s.me = plan.Local()
	if online {
		s.client, err = newClient(cmd.Context(), s.r, okta.Options{})
		if err != nil {
			s.st.Close()
			return nil, err
		}
		s.me, err = plan.WhoAmI(cmd.Context(), s.client, s.r.Profile.ClientID)
		if err != nil {
			s.st.Close()
			return nil, withCode(exitFailed, tokenHint(err, s.r))
		}
	}
	s.me.Key = keyFingerprint(s.r.Profile)
	return s, nil
}

// withPlanSession opens the plan session (online: with a client and the
// admin behind it) and runs fn in it; the cache is closed when fn returns.
func withPlanSession(cmd *cobra.Command, online bool, fn func(s *planSession) error) error {
	s, err := openPlanSession(cmd, online)
	if err != nil {
		return err
	}
	defer s.st.Close()
	return fn(s)
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// changesFile is the YAML form of --from-file.
type changesFile struct {
	Title   string `yaml:"title"`
	Changes []struct {
		Group       string   `yaml:"group"`
		Create      bool     `yaml:"create"`
		Rename      string   `yaml:"rename"`
		Description *string  `yaml:"description"`
		Add         []string `yaml:"add"`
		Remove      []string `yaml:"remove"`
	} `yaml:"changes"`
}

// readChangesFile reads a CSV (group,action,login rows; action add or
// remove) or YAML (title, changes: [{group, create, rename, description,
// add: [..], remove: [..]}]) change list.
func readChangesFile(path string) (string, []plan.Change, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("changes file: %w", err)
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		rd := csv.NewReader(f)
		rd.FieldsPerRecord = 3
		rows, err := rd.ReadAll()
		if err != nil {
			return "", nil, fmt.Errorf("changes file %s: %w", path, err)
		}
		var out []plan.Change
		index := map[string]int{}
		for i, row := range rows {
			g, action, login := strings.TrimSpace(row[0]), strings.ToLower(strings.TrimSpace(row[1])), strings.TrimSpace(row[2])
			if i == 0 && strings.EqualFold(g, "group") {
				continue // header
			}
			j, ok := index[g]
			if !ok {
				j = len(out)
				index[g] = j
				out = append(out, plan.Change{Group: g})
			}
			switch action {
			case "add", "+":
				out[j].Add = append(out[j].Add, login)
			case "remove", "-":
				out[j].Remove = append(out[j].Remove, login)
			default:
				return "", nil, fmt.Errorf("changes file %s line %d: action %q, want add or remove", path, i+1, row[1])
			}
		}
		return "", out, nil
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(io.LimitReader(f, 16<<20))
		dec.KnownFields(true)
		var cf changesFile
		if err := dec.Decode(&cf); err != nil {
			return "", nil, fmt.Errorf("changes file %s: %w", path, err)
		}
		var out []plan.Change
		for _, c := range cf.Changes {
			ch := plan.Change{Group: c.Group, Create: c.Create, Rename: c.Rename, Add: c.Add, Remove: c.Remove}
			if c.Description != nil {
				ch.Description, ch.SetDescription = *c.Description, true
			}
			out = append(out, ch)
		}
		return cf.Title, out, nil
	}
	return "", nil, fmt.Errorf("changes file %s: want a .csv or .yaml file", path)
}

func newPlanNewCmd() *cobra.Command {
	var (
		group, title, fromFile, rename, desc string
		add, remove                          []string
		create, allowLarge, asJSON           bool
	)
	cmd := &cobra.Command{
		Use:   "new",
		Short: "Stage a group change plan from the cache",
		Long: `Stage a plan: members to add to or remove from a group (logins, emails or
user ids), a group to create (--create), or a new name or description. The
plan is checked against the cache (run dirdeck sync first): APP_GROUP and
BUILT_IN groups are refused, unknown users are refused, and more than 100
removals need --allow-large. The impact on app access is computed and shown
by plan show, and users who hold Okta admin roles are flagged (one role
look-up per user, up to 200). Prints the plan id; --json prints {"id","hash"}.

--from-file takes a CSV of group,action,login rows (action add or remove)
or a YAML file: title, changes: [{group, create, rename, description, add:
[...], remove: [...]}].`,
		Example: `  dirdeck plan new --group Sales --add ana@acme.com --remove bo@acme.com
  dirdeck plan new --group "Project Falcon" --create --description "Launch team" --add ana@acme.com
  dirdeck plan new --from-file changes.csv --title "Joiners and leavers" --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var changes []plan.Change
			if fromFile != "" {
				t, cs, err := readChangesFile(fromFile)
				if err != nil {
					return withCode(exitUsage, err)
				}
				if title == "" {
					title = t
				}
				changes = cs
			}
			if group != "" {
				ch := plan.Change{Group: group, Create: create, Rename: rename, Add: splitList(add), Remove: splitList(remove)}
				if cmd.Flags().Changed("description") {
					ch.Description, ch.SetDescription = desc, true
				}
				changes = append(changes, ch)
			} else if len(add)+len(remove) > 0 || create || rename != "" || cmd.Flags().Changed("description") {
				return withCode(exitUsage, errors.New("--add, --remove, --create, --rename and --description need --group"))
			}
			if len(changes) == 0 {
				return withCode(exitUsage, errors.New("nothing to stage: give --group with --add/--remove/--create/--rename, or --from-file"))
			}
			return withPlanSession(cmd, true, func(s *planSession) error {
				req := plan.Request{Title: title, OrgURL: s.r.Profile.OrgURL, Author: s.me, Now: time.Now(),
					ApprovalsRequired: s.r.Profile.ApprovalsRequired, AllowLarge: allowLarge, Changes: changes}
				var p plan.Plan
				err := s.st.View(func(r *store.Reader) error {
					var err error
					p, err = plan.Build(r, req)
					return err
				})
				if err != nil {
					return planErr(err)
				}
				if err := plan.FlagAdmins(cmd.Context(), s.client, &p); err != nil {
					return planErr(err)
				}
				if err := plan.FlagRules(cmd.Context(), s.client, &p); err != nil {
					return planErr(err)
				}
				if err := s.sign(); err != nil {
					return err
				}
				rec, err := plan.Submit(s.st, p, s.keys)
				if err != nil {
					return planErr(err)
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), map[string]string{"id": rec.ID, "hash": rec.Hash})
				}
				fmt.Fprintln(cmd.OutOrStdout(), rec.ID)
				fmt.Fprintf(cmd.ErrOrStderr(), "%s\nReview it with `dirdeck plan show %s`; another admin approves it with `dirdeck plan approve %s`.\n", p.Summary(), rec.ID, rec.ID)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&group, "group", "", "group name or id (or the name of the group to create with --create)")
	fl.StringSliceVar(&add, "add", nil, "users to add: logins, emails or ids, comma-separated")
	fl.StringSliceVar(&remove, "remove", nil, "users to remove: logins, emails or ids, comma-separated")
	fl.BoolVar(&create, "create", false, "create the group (an OKTA_GROUP)")
	fl.StringVar(&rename, "rename", "", "new name of the group")
	fl.StringVar(&desc, "description", "", "new description of the group")
	fl.StringVar(&fromFile, "from-file", "", "changes from a .csv (group,action,login) or .yaml file")
	fl.StringVar(&title, "title", "", "what the plan is for, shown to reviewers")
	fl.BoolVar(&allowLarge, "allow-large", false, "allow more than 100 removals")
	fl.BoolVar(&asJSON, "json", false, `print {"id","hash"}`)
	return cmd
}

func newPlanListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the plans in this profile's cache",
		Long: `List plans, newest first: id, state, approvals, summary and title. --json
prints an array of plan records.`,
		Example: `  dirdeck plan list
  dirdeck plan list --json | jq '.[] | select(.state == "pending") | .id'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withPlanSession(cmd, false, func(s *planSession) error {
				recs, bad, err := plan.List(s.st)
				if err != nil {
					return planErr(err)
				}
				for _, e := range bad {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: %v\n", e)
				}
				if asJSON {
					if recs == nil {
						recs = []*plan.Record{}
					}
					if err := printJSON(cmd.OutOrStdout(), recs); err != nil {
						return err
					}
				} else {
					w := cmd.OutOrStdout()
					if len(recs) == 0 {
						fmt.Fprintln(w, "No plans. Stage one with `dirdeck plan new`.")
					}
					for _, r := range recs {
						fmt.Fprintf(w, "%s  %-28s  %s  %s\n", r.ID, r.ApprovalLine(), r.Plan.Summary(), textsafe.Clean(r.Plan.Title))
					}
				}
				if len(bad) > 0 {
					return withCode(exitWarnings, nil)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan records as JSON")
	return cmd
}

// isTerminal reports whether w is a terminal (colour, prompts).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newPlanShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a plan's diff, impact, warnings and reviews",
		Long: `Show a plan like a Terraform plan: warnings first, then the summary line
("Plan: 3 to add, 2 to remove, 1 group to create, 0 groups to update."),
then +/-/~ per group, the impact on app access and the reviews. Colour on
a terminal. --json prints the plan record (plan, hash, state, reviews).`,
		Example: `  dirdeck plan show p-1a2b3c4d5e6f
  dirdeck plan show p-1a2b3c4d5e6f --json | jq .plan.impact`,
		Args: planIDArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPlanSession(cmd, false, func(s *planSession) error {
				rec, err := plan.Load(s.st, args[0])
				if err != nil {
					return planErr(err)
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), rec)
				}
				th := plan.Plain
				if isTerminal(cmd.OutOrStdout()) {
					th = planTheme()
				}
				_, err = io.WriteString(cmd.OutOrStdout(), plan.Render(rec, th, nil))
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan record as JSON")
	return cmd
}

func newPlanReviewCmd(decision string) *cobra.Command {
	var comment string
	verb, short := "approve", "Approve a plan (four eyes: not its author)"
	if decision == plan.DecisionReject {
		verb, short = "reject", "Reject a plan (final: stage a new one)"
	}
	cmd := &cobra.Command{
		Use:   verb + " ID",
		Short: short,
		Long: short + `. You are the Okta admin behind the profile's credential
(/api/v1/users/me) plus your local OS user. The author of a plan cannot
approve it (exit 2), nor an admin without a role that can change groups
(Super, Org, Group or Group Membership Administrator, or the profile's
approver_roles); a plan is approved once the required number of other
admins (the profile's approvals_required, default 1) approved its current
content hash. A rejection by anyone makes it rejected. With a signing key
(signing_key or DIRDECK_SIGNING_KEY) the review is signed, so it counts on
other machines whose allowed_signers trusts your key for your Okta login.`,
		Example: "  dirdeck plan " + verb + ` p-1a2b3c4d5e6f --comment "checked with the team lead"`,
		Args:    planIDArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPlanSession(cmd, true, func(s *planSession) error {
				fn := plan.Approve
				if decision == plan.DecisionReject {
					fn = plan.Reject
				}
				if err := s.sign(); err != nil {
					return err
				}
				rec, err := fn(s.st, args[0], s.me, comment, time.Now(), s.keys)
				if err != nil {
					return planErr(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", rec.ID, rec.ApprovalLine())
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "a comment for the author and the audit log")
	return cmd
}

func newPlanApplyCmd() *cobra.Command {
	var yes, rebase, asJSON bool
	cmd := &cobra.Command{
		Use:   "apply ID",
		Short: "Apply an approved plan to Okta",
		Long: `Apply an approved plan. Refused (exit 2, nothing written) unless the plan is
approved by enough admins other than its author, its content matches its
hash, writes are enabled (allow_writes = true in the profile, or
DIRDECK_ALLOW_WRITES=1) and the credential may manage groups
(okta.groups.manage: an admin role that can, or the OAuth scope).

Before writing, every target group is read again: if the org changed it
since staging the drift is shown and nothing is written (exit 2);
--rebase accepts membership changes of the target groups (operations whose
intent already holds become no-ops); a deleted group, a group no longer
OKTA_GROUP, a profile edited under a rename or a name taken by a group to
create always stop the apply.

Each operation is journaled; a failure stops the run (exit 2) and applying
again resumes without repeating done operations. Afterwards the affected
groups are read back into the cache, as a sync reads them: what it may not
read is flagged partial (exit 1), as is a failed read-back. On a terminal you type the org's
domain to confirm; scripts pass --yes. --json prints the report.`,
		Example: `  DIRDECK_ALLOW_WRITES=1 dirdeck plan apply p-1a2b3c4d5e6f
  dirdeck plan apply p-1a2b3c4d5e6f --yes --json
  dirdeck plan apply p-1a2b3c4d5e6f --rebase   # after reviewing the drift`,
		Args: planIDArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPlanSession(cmd, true, func(s *planSession) error {
				rec, err := plan.Load(s.st, args[0])
				if err != nil {
					return planErr(err)
				}
				if !yes && rec.State != plan.StateApplied {
					if err := confirmApply(cmd, rec, s.r.Profile.OrgURL); err != nil {
						return err
					}
				}
				stderr := cmd.ErrOrStderr()
				opts := plan.ApplyOptions{Client: s.client, Actor: s.me, AllowWrites: s.r.Profile.AllowWrites,
					ApprovalsRequired: s.r.Profile.ApprovalsRequired, Rebase: rebase, Keys: s.keys}
				if !asJSON {
					opts.Progress = func(op plan.Op, state string) {
						fmt.Fprintf(stderr, "  %3d/%d %-7s %s\n", op.Seq, len(rec.Plan.Ops), state, textsafe.Clean(describeOp(op)))
					}
				}
				rep, err := plan.Apply(cmd.Context(), s.st, rec.ID, opts)
				if asJSON {
					out := struct {
						plan.ApplyReport
						Error string `json:"error,omitempty"`
					}{ApplyReport: rep}
					if err != nil {
						out.Error = err.Error()
					}
					if perr := printJSON(cmd.OutOrStdout(), out); perr != nil {
						return perr
					}
				} else {
					printApplyReport(cmd.OutOrStdout(), rec, rep)
				}
				if err != nil {
					return planErr(err)
				}
				if rep.ResyncError != "" {
					return withCode(exitWarnings, fmt.Errorf("applied, but re-reading the groups failed (run dirdeck sync): %s", rep.ResyncError))
				}
				if len(rep.ResyncPartial) > 0 {
					return withCode(exitWarnings, nil) // partial data, as a sync reports it
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for the typed confirmation (scripts)")
	cmd.Flags().BoolVar(&rebase, "rebase", false, "accept membership changes made in Okta since staging")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the apply report as JSON")
	return cmd
}

func describeOp(op plan.Op) string {
	switch op.Kind {
	case plan.OpAdd:
		return fmt.Sprintf("+ %s → %s", op.Login, op.GroupName)
	case plan.OpRemove:
		return fmt.Sprintf("- %s ← %s", op.Login, op.GroupName)
	case plan.OpCreate:
		return fmt.Sprintf("+ group %s", op.Name)
	}
	return fmt.Sprintf("~ group %s → %s", op.GroupName, op.Name)
}

// confirmApply shows the plan and asks for the org's domain on a
// terminal; without one the caller must pass --yes.
func confirmApply(cmd *cobra.Command, rec *plan.Record, orgURL string) error {
	in := cmd.InOrStdin()
	if !isTerminal(in) || !isTerminal(cmd.ErrOrStderr()) {
		return withCode(exitUsage, errors.New("plan apply needs a typed confirmation on a terminal; pass --yes in scripts"))
	}
	domain := orgURL
	if u, err := url.Parse(orgURL); err == nil && u.Host != "" {
		domain = u.Hostname()
	}
	stderr := cmd.ErrOrStderr()
	fmt.Fprint(stderr, plan.Render(rec, planTheme(), nil))
	fmt.Fprintf(stderr, "\nThis writes to %s. Type the org's domain (%s) to apply: ", orgURL, domain)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return withCode(exitFailed, fmt.Errorf("read confirmation: %w", err))
	}
	if strings.TrimSpace(line) != domain {
		return withCode(exitFailed, errors.New("confirmation did not match the org's domain; nothing was written"))
	}
	return nil
}

func printApplyReport(w io.Writer, rec *plan.Record, rep plan.ApplyReport) {
	if len(rep.Drift) > 0 {
		fmt.Fprintf(w, "Drift since the plan was staged:\n")
		for _, d := range rep.Drift {
			mark := "~"
			if d.Blocking {
				mark = "!"
			}
			fmt.Fprintf(w, "  %s %s: %s\n", mark, textsafe.Clean(d.GroupName), textsafe.Clean(d.What))
		}
	}
	switch {
	case rep.State == plan.StateApplied && rep.Done+rep.Noop == len(rec.Plan.Ops):
		earlier := 0
		for _, r := range rep.Results {
			if r.Earlier {
				earlier++
			}
		}
		note := ""
		if earlier > 0 && earlier < len(rep.Results) {
			note = fmt.Sprintf(" (%d by earlier runs)", earlier)
		}
		fmt.Fprintf(w, "Plan %s applied: %d done, %d no-op%s.\n", rep.ID, rep.Done, rep.Noop, note)
	case rep.State == plan.StateFailed:
		fmt.Fprintf(w, "Plan %s stopped: %d done, %d no-op, %d failed, %d not attempted.\n", rep.ID, rep.Done, rep.Noop, rep.Failed, rep.Pending)
		for _, r := range rep.Results {
			if r.State == plan.OpFailed {
				fmt.Fprintf(w, "  failed: %s: %s\n", textsafe.Clean(describeOp(r.Op)), textsafe.Clean(r.Error))
			}
		}
		fmt.Fprintf(w, "Apply again to resume from the journal.\n")
	}
	if len(rep.Resynced) > 0 {
		fmt.Fprintf(w, "Re-synced %s into the cache.\n", pluralGroups(len(rep.Resynced)))
	}
	for _, p := range rep.ResyncPartial {
		fmt.Fprintf(w, "partial: %s not read completely: %s\n", p.Resource, textsafe.Clean(p.Reason))
	}
}

func newPlanExportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "export ID",
		Short: "Write a plan file for a reviewer on another machine",
		Long: `Write plan ID as JSON (plan, hash, reviews) to stdout, for a reviewer who
imports it with dirdeck plan import on their machine. Like import, it asks
Okta who you are (/api/v1/users/me), so the audit log names the admin.`,
		Example: `  dirdeck plan export p-1a2b3c4d5e6f > plan.json`,
		Args:    planIDArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withPlanSession(cmd, true, func(s *planSession) error {
				return planErr(plan.Export(s.st, args[0], cmd.OutOrStdout(), s.me))
			})
		},
	}
}

func newPlanImportCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import a plan file (hash verified)",
		Long: `Import a plan file written by dirdeck plan export ("-" reads stdin). The
plan's content must match its hash and the file must be for this
profile's org; a tampered file is refused (exit 2), and so is a plan whose
author's signature does not verify. Reviews in the file are merged (marked
imported) and count only when signed by a key allowed_signers trusts for
the reviewer's Okta login, for this plan's hash; the others are kept,
shown by plan show with the reason, and audited as refused. Asks Okta who
you are, for the audit log. --json prints {"id","hash","state"}.`,
		Example: `  dirdeck plan import plan.json
  ssh reviewer-host dirdeck plan export p-1a2b3c4d5e6f | dirdeck plan import -`,
		Args: needArgs("plan file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return withCode(exitFailed, fmt.Errorf("plan file: %w", err))
				}
				defer f.Close()
				in = f
			}
			return withPlanSession(cmd, true, func(s *planSession) error {
				rec, err := plan.Import(s.st, in, s.r.Profile.OrgURL, s.me, time.Now(), s.keys)
				if err != nil {
					return planErr(err)
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), map[string]string{"id": rec.ID, "hash": rec.Hash, "state": rec.State})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", rec.ID, rec.ApprovalLine())
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"id","hash","state"}`)
	return cmd
}

func newAuditCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the audit log of group change plans",
		Long: `Show the append-only audit log: who staged, approved, rejected, exported,
imported, applied or was refused what, and when, with results: the Okta
admin, the OS user and host, and the fingerprint of the key that signed.
Each entry commits to the one before it (a hash chain); dirdeck audit
verify checks it. The log lives in the plan ledger beside the cache
(<profile>.plans.db), which sync --rebuild never moves. --json prints an
array of {"seq","time","action","actor","plan_id","hash","title","detail",
"key","signature","signed","prev","link"}.`,
		Example: `  dirdeck audit
  dirdeck audit --json | jq '.[] | select(.action == "applied")'
  dirdeck audit verify`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withPlanSession(cmd, false, func(s *planSession) error {
				entries, err := plan.Audit(s.st)
				if err != nil {
					return planErr(err)
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), entries)
				}
				w := cmd.OutOrStdout()
				if len(entries) == 0 {
					fmt.Fprintln(w, "The audit log is empty.")
				}
				for _, e := range entries {
					fmt.Fprintf(w, "%4d  %s  %-13s  %s  %s", e.Seq, e.Time.UTC().Format("2006-01-02 15:04:05Z"), e.Action, e.PlanID, textsafe.Clean(e.Actor.String()))
					if e.Detail != "" {
						fmt.Fprintf(w, ": %s", textsafe.Clean(e.Detail))
					}
					if e.Key != "" {
						fmt.Fprintf(w, " [key %s]", textsafe.Clean(e.Key))
					}
					fmt.Fprintln(w)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the log as JSON")
	cmd.AddCommand(newAuditVerifyCmd())
	return cmd
}

func newAuditVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's hash chain and every stored signature",
		Long: `Check that every audit entry is the one written: numbered in order, linked
to the entry before it, hashing to its own link, and that every signature
it keeps (a staged plan's, a review's) verifies by the key it names.
Exit 0 when all hold; exit 1 naming the first broken entry.`,
		Example: `  dirdeck audit verify`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withPlanSession(cmd, false, func(s *planSession) error {
				n, err := plan.VerifyAudit(s.st)
				if errors.Is(err, plan.ErrAuditBroken) {
					return withCode(exitWarnings, fmt.Errorf("%w (the %s before it verified)", err, english.Count(n, "entry", "entries")))
				}
				if err != nil {
					return planErr(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Audit log verified: %s, chain and signatures intact.\n", english.Count(n, "entry", "entries"))
				return nil
			})
		},
	}
}

// planTheme is the theme for plan output on a terminal (NO_COLOR and
// DIRDECK_THEME respected); plain text when none can be chosen.
func planTheme() plan.Styler {
	th, err := themes.Choose("", os.LookupEnv)
	if err != nil {
		return plan.Plain
	}
	return th
}

func pluralGroups(n int) string { return english.Count(n, "group", "groups") }
