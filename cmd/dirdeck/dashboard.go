package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/dirdeck/dirdeck/access"
	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/plan"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
	"github.com/dirdeck/dirdeck/tui"
	accesspane "github.com/dirdeck/dirdeck/tui/access"
	"github.com/dirdeck/dirdeck/tui/review"
	"github.com/dirdeck/dirdeck/tui/staging"
	"github.com/dirdeck/dirdeck/tui/syncer"
)

// demoHint is the line under the header in demo mode: the second admin
// first (four eyes is the demo's point), then how to leave the demo.
const demoHint = "Demo: :profile reviewer = a 2nd admin · your org: dirdeck profile add NAME --org-url https://…"

// flagHook is the TUI's one pre-submit hook: it flags both admins and
// groups that group rules fill.
func flagHook(ctx context.Context, c *okta.Client) func(*plan.Plan) error {
	return func(p *plan.Plan) error {
		if err := plan.FlagAdmins(ctx, c, p); err != nil {
			return err
		}
		return plan.FlagRules(ctx, c, p)
	}
}

// runDashboard opens the TUI on the active profile, or on an in-process
// simulated org when nothing is configured. `:profile NAME` closes the
// dashboard and opens it again on that profile.
func runDashboard(cmd *cobra.Command, theme string) error {
	profile := profileFlag(cmd)
	for {
		next, err := openDashboard(cmd.Context(), profile, theme)
		if err != nil || next == "" {
			return err
		}
		profile = next
	}
}

// openDashboard runs the TUI on one profile until the user quits (next
// is empty) or switches to profile next.
func openDashboard(ctx context.Context, profile, theme string) (next string, err error) {
	r, err := config.Resolve(profile)
	if errors.Is(err, config.ErrNotConfigured) {
		return "", runDemo(ctx, theme)
	}
	if err != nil {
		return "", withCode(exitFailed, err)
	}
	st, err := store.Open(r.CachePath, store.Options{})
	if errors.Is(err, store.ErrLocked) {
		return "", runSnapshot(ctx, r, theme, err)
	}
	if err != nil {
		return "", withCode(exitFailed, fmt.Errorf("open cache: %w", err))
	}
	defer st.Close()
	logger, closeLog, err := openLog(r.LogPath)
	if err != nil {
		return "", withCode(exitFailed, err)
	}
	defer closeLog()
	c, err := newClient(ctx, r, okta.Options{Logger: logger})
	if err != nil {
		return "", err
	}
	// Syncs and access checks renew the token's idle window: note when,
	// on the org's clock, for the token-age warnings.
	recordUse := func(at time.Time) {
		if err := config.RecordTokenUse(r.Name, at); err != nil {
			logger.Warn("record token use", "err", err)
		}
	}
	runner := syncer.New(dsync.Source{Client: c}, st, r.Profile.SyncInterval)
	runner.OnSuccess = func(_ directory.SyncRun, serverTime time.Time) { recordUse(serverTime) }
	tokens, err := tokenOptions(r)
	if err != nil {
		logger.Warn("read token-use record", "err", err)
	}
	o := tui.Options{
		Store: st, Theme: theme, Profile: r.Name, OrgURL: r.Profile.OrgURL,
		ReadOnly: !r.Profile.AllowWrites,
	}
	accessOpts := accesspane.Options{
		Check: accesspane.Checker(ctx, access.Org{Client: c}, accesspane.CheckerOptions{
			Scopes: access.CheckOptions{AllowWrites: r.Profile.AllowWrites, ClientID: r.Profile.ClientID},
			Tokens: tokens,
			Used:   recordUse,
		}),
		// A profile idle for weeks warns at once, before any request
		// renews the token and hides the problem.
		Banner: accesspane.IdleBanner(tokens.LastUsed, time.Now()),
	}
	// Plans are staged, submitted and reviewed as the admin behind the
	// credential, asked once when first needed.
	ident, fp := identity(ctx, c, r.Profile.ClientID), keyFingerprint(r.Profile)
	who := func() (plan.Identity, error) {
		me, err := ident()
		me.Key = fp // the audit trail names the key this admin works with
		return me, err
	}
	o.Staging = staging.Options{Who: who, ApprovalsRequired: r.Profile.ApprovalsRequired, FlagAdmins: flagHook(ctx, c)}
	// Plans and reviews made in the TUI are signed like the CLI's; a key
	// that cannot be loaded (ssh-agent not running, say) is logged, and
	// signing then refuses where allowed_signers requires it.
	keys, err := planKeys(r.Profile)
	if err != nil {
		return "", err
	}
	if err := loadSigner(r.Profile, &keys); err != nil {
		logger.Warn("load signing key", "err", err)
	}
	o.Staging.Keys = keys
	o.PaneOptions = []any{accessOpts, review.PlanActions(ctx, st, who, plan.ApplyOptions{
		Client: c, AllowWrites: r.Profile.AllowWrites, ApprovalsRequired: r.Profile.ApprovalsRequired, Keys: keys,
	})}
	if cfg, err := config.Load(); err == nil && r.Source == config.SourceProfile {
		o.Profiles = cfg.Names()
		o.SwitchProfile = func(name string) tea.Cmd {
			if _, ok := cfg.Profiles[name]; !ok || name == r.Name {
				return nil
			}
			next = name
			return tea.Quit
		}
	}
	// SwitchProfile sets next while the TUI runs: read it only afterwards.
	err = runTUI(ctx, runner, o)
	return next, err
}

// runDemo serves a simulated org on loopback, syncs it into a throwaway
// cache and opens the TUI on it. The demo has two admins, so a newcomer
// can see four eyes through: the sim's "superadmin" stages, submits and
// applies, and `:profile reviewer` switches to the sim's "reviewer" (another
// admin, with a token of her own) to approve. Writes go to the in-process
// simulated org only; syncs read with its read-only token.
func runDemo(ctx context.Context, theme string) error {
	dir, err := os.MkdirTemp("", "dirdeck-demo-")
	if err != nil {
		return withCode(exitFailed, err)
	}
	defer removeTempDir(dir)
	sim, err := oktasim.New(oktasim.Options{Scenario: "S", Seed: 1})
	if err != nil {
		return withCode(exitFailed, err)
	}
	url, stop, err := serveSim(sim, "127.0.0.1:0")
	if err != nil {
		return withCode(exitFailed, err)
	}
	defer stop()
	st, err := store.Open(filepath.Join(dir, "demo.db"), store.Options{})
	if err != nil {
		return withCode(exitFailed, err)
	}
	defer st.Close()
	logger, closeLog, err := openLog(filepath.Join(dir, "demo.log"))
	if err != nil {
		return withCode(exitFailed, err)
	}
	defer closeLog()
	client := func(token string) (*okta.Client, error) {
		return okta.New(ctx, okta.Credentials{OrgURL: url, Token: sim.Token(token)}, okta.Options{Logger: logger})
	}
	c, err := client("readonly")
	if err != nil {
		return withCode(exitFailed, err)
	}
	seats := map[string]*demoSeat{}
	for _, s := range []struct{ name, token string }{{"admin", "superadmin"}, {"reviewer", "reviewer"}} {
		sc, err := client(s.token)
		if err != nil {
			return withCode(exitFailed, err)
		}
		who := identity(ctx, sc, "")
		seats[s.name] = &demoSeat{name: s.name, client: sc, who: who,
			actions: review.PlanActions(ctx, st, who, plan.ApplyOptions{Client: sc, AllowWrites: true})}
	}
	var current atomic.Pointer[demoSeat]
	current.Store(seats["admin"])
	seat := func() *demoSeat { return current.Load() }
	o := tui.Options{
		Store: st, Theme: theme, Profile: "demo admin", OrgURL: url, Demo: true, Hint: demoHint,
		Staging: staging.Options{
			Who:        func() (plan.Identity, error) { return seat().who() },
			FlagAdmins: func(p *plan.Plan) error { return flagHook(ctx, seat().client)(p) },
		},
		PaneOptions: []any{
			// The checks run as the admin who writes: its scopes, the
			// org's token inventory (the sim's tokens age like real ones)
			// and the expiry banner.
			accesspane.Options{Check: accesspane.Checker(ctx, access.Org{Client: seats["admin"].client}, accesspane.CheckerOptions{
				Scopes: access.CheckOptions{AllowWrites: true},
			})},
			// Reviews act as whichever admin is seated.
			review.Actions{
				Approve: func(id, comment string) tea.Cmd { return seat().actions.Approve(id, comment) },
				Reject:  func(id, comment string) tea.Cmd { return seat().actions.Reject(id, comment) },
				Apply:   func(id string, rebase bool) tea.Cmd { return seat().actions.Apply(id, rebase) },
				Check:   func(id, action string) tea.Cmd { return seat().actions.Check(id, action) },
			},
		},
		Profiles: []string{"admin", "reviewer"},
		SwitchProfile: func(name string) tea.Cmd {
			next, ok := seats[name]
			if !ok {
				return func() tea.Msg {
					return tui.ProfileSwitchedMsg{Err: fmt.Errorf("the demo has two admins: admin and reviewer, not %q", name)}
				}
			}
			current.Store(next)
			return func() tea.Msg {
				me, err := next.who()
				return tui.ProfileSwitchedMsg{Profile: "demo " + next.name, As: me.String(), Err: err}
			}
		},
	}
	return runTUI(ctx, syncer.New(dsync.Source{Client: c}, st, time.Hour), o)
}

// identity is review.Identity asking plan.WhoAmI of c: the dashboard
// learns who the admin is without holding the client.
func identity(ctx context.Context, c *okta.Client, oauthClientID string) func() (plan.Identity, error) {
	return review.Identity(func() (plan.Identity, error) { return plan.WhoAmI(ctx, c, oauthClientID) })
}

// demoSeat is one of the demo's two admins: the credential it acts with,
// who it is (asked of the sim on first use) and its review actions.
type demoSeat struct {
	name    string
	client  *okta.Client
	who     func() (plan.Identity, error)
	actions review.Actions
}

// runSnapshot opens the TUI read-only on a copy of a cache that another
// dirdeck holds (locked says which), without syncing: browsing still works
// while the other process owns the file.
func runSnapshot(ctx context.Context, r config.Resolved, theme string, locked error) error {
	dir, err := os.MkdirTemp("", "dirdeck-snapshot-")
	if err != nil {
		return withCode(exitFailed, err)
	}
	defer removeTempDir(dir)
	st, closeSnap, err := store.OpenSnapshot(r.CachePath, dir)
	if err != nil {
		return withCode(exitFailed, fmt.Errorf("%w; a read-only copy failed too: %w", locked, err))
	}
	defer closeSnap()
	return runTUI(ctx, nil, tui.Options{
		Store: st, Theme: theme, Profile: r.Name, OrgURL: r.Profile.OrgURL, ReadOnly: true, NoStaging: true,
		Hint: snapshotHint(store.HolderPID(r.CachePath)),
	})
}

// snapshotHint says why the dashboard is a read-only snapshot.
func snapshotHint(pid int) string {
	holder := "another process"
	if pid > 0 {
		holder = fmt.Sprintf("another dirdeck (pid %d)", pid)
	}
	return "READ-ONLY SNAPSHOT: " + holder + " holds this profile's cache; close it to sync and stage here"
}

// runTUI runs the dashboard with background syncs until the user quits.
// A nil runner means no syncing (a read-only snapshot).
func runTUI(ctx context.Context, runner *syncer.Runner, o tui.Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if runner != nil {
		defer func() {
			cancel() // stop the schedule and any running sync first
			runner.Wait()
		}()
		o.SyncNow = runner.SyncNow
		o.Attach = func(send func(tea.Msg)) {
			runner.Attach(ctx, send)
			runner.Start(ctx)
		}
	}
	if err := tui.Run(ctx, o); err != nil {
		return withCode(exitFailed, err)
	}
	return nil
}

// openLog opens the profile's log file: the TUI owns the terminal, so
// nothing may be logged to stdout or stderr while it runs.
func openLog(path string) (*slog.Logger, func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("create log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})), func() { f.Close() }, nil
}

// serveSim serves sim on addr (loopback) until stop is called, and
// returns its org URL.
func serveSim(sim *oktasim.Sim, addr string) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop = func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}
	return "http://" + ln.Addr().String(), stop, nil
}
