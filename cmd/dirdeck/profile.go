package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dirdeck/dirdeck/config"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newProfileCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Manage Okta org profiles (org URL, auth method, API token)",
		Long: `A profile is one Okta org: its URL, how dirdeck authenticates (an SSWS API
token kept in the OS keyring, or an OAuth 2.0 service app with a private key),
and whether dirdeck may write to it. Profiles live in config.toml; tokens never
do. Each profile has its own local cache.

Without a keyring (headless Linux, CI) or without any profile, configure dirdeck
with environment variables instead: DIRDECK_ORG_URL with DIRDECK_API_TOKEN, or
with DIRDECK_CLIENT_ID, DIRDECK_PRIVATE_KEY_FILE and DIRDECK_SCOPES.`,
		Example: `  dirdeck profile add acme --org-url https://acme.okta.com
  dirdeck profile set-token acme
  dirdeck profile list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newProfileAddCmd(), newProfileListCmd(), newProfileUseCmd(),
		newProfileRemoveCmd(), newProfileSetTokenCmd())
	return cmd
}

func newProfileAddCmd() *cobra.Command {
	var (
		orgURL, auth, clientID, keyFile, keyID, scopes string
		allowWrites, use, noCheck                      bool
	)
	cmd := &cobra.Command{
		Use:   "add NAME --org-url URL",
		Short: "Add a profile for an Okta org",
		Long: `Add a profile. NAME uses lowercase letters, digits, '-' and '_'.

--org-url is the org's base URL (https://acme.okta.com, not the -admin URL);
plain http is accepted only for loopback hosts (a local simulated org).

--auth ssws (the default) uses an API token: store it afterwards with
"dirdeck profile set-token NAME"; it is never a flag. --auth oauth uses an
OAuth 2.0 service app with private_key_jwt, the least-privilege option: give
--client-id, --private-key-file (mode 0600, PEM RSA or EC P-256) and the
--scopes granted to the app (default: okta.users.read, okta.groups.read,
okta.apps.read, okta.logs.read). --auth oauth is implied by --client-id.
The new service app profile is checked with Okta at once (one token request
and one read; --no-check skips it): whether Okta accepts the key and scopes,
and whether the app requires DPoP-bound tokens, which dirdeck then uses.

Writes to Okta (pushing approved group changes) stay off unless --allow-writes
is given. The first profile added becomes the active one; --use makes any new
profile active. Other settings (sync_interval, budget_share, rotation_days,
approvals_required) are edited in config.toml.`,
		Example: `  # API token (SSWS); the token is read afterwards, never from a flag
  dirdeck profile add acme --org-url https://acme.okta.com
  dirdeck profile set-token acme

  # OAuth 2.0 service app with a private key
  dirdeck profile add acme-svc --org-url https://acme.okta.com \
      --client-id 0oa1b2c3d4 --private-key-file ~/.config/dirdeck/acme.pem \
      --key-id kid-1 --scopes okta.users.read,okta.groups.read --use

  # a local simulated org ("dirdeck sim serve")
  dirdeck profile add sim --org-url http://127.0.0.1:8707 --allow-writes`,
		Args: needArgs("profile name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := config.ValidateProfileName(name); err != nil {
				return withCode(exitUsage, err)
			}
			p := config.DefaultProfile()
			p.OrgURL, p.AllowWrites = orgURL, allowWrites
			switch {
			case cmd.Flags().Changed("auth"):
				p.Auth = auth
			case clientID != "" || keyFile != "":
				p.Auth = config.AuthOAuth
			}
			p.ClientID, p.KeyID = clientID, keyID
			if keyFile != "" {
				abs, err := filepath.Abs(profileExpandHome(keyFile))
				if err != nil {
					return withCode(exitUsage, fmt.Errorf("--private-key-file: %w", err))
				}
				p.PrivateKeyFile = abs
			}
			if scopes != "" {
				s, err := config.ParseScopes(scopes)
				if err != nil {
					return withCode(exitUsage, fmt.Errorf("--scopes: %w", err))
				}
				p.Scopes = s
			}
			if err := p.Validate(); err != nil {
				return withCode(exitUsage, fmt.Errorf("profile %q: %s", name, profileFlagNames(err.Error())))
			}
			if p.Auth == config.AuthOAuth {
				// Refuse a key dirdeck could not use now rather than at
				// the first sync.
				if _, err := config.LoadPrivateKey(p.PrivateKeyFile); err != nil {
					return withCode(exitFailed, err)
				}
			}
			cfg, err := config.Load()
			if err != nil {
				return withCode(exitFailed, err)
			}
			if err := cfg.Add(name, p); err != nil {
				return withCode(exitFailed, err)
			}
			if use || cfg.Active == "" {
				cfg.Active = name
			}
			if err := cfg.Save(); err != nil {
				return withCode(exitFailed, err)
			}
			out := cmd.OutOrStdout()
			p = cfg.Profiles[name]
			fmt.Fprintf(out, "Added profile %s: %s, auth %s, writes %s.\n", name, textsafe.Clean(p.OrgURL), p.Auth, profileOnOff(p.AllowWrites))
			warnLookalike(cmd.ErrOrStderr(), p.OrgURL)
			if cfg.Active == name {
				fmt.Fprintf(out, "%s is the active profile.\n", name)
			}
			if p.Auth == config.AuthSSWS {
				fmt.Fprintf(out, "Next: store its API token with \"dirdeck profile set-token %s\" (or set DIRDECK_API_TOKEN).\n", name)
			}
			if p.Auth == config.AuthOAuth && !noCheck {
				return checkServiceApp(cmd, name)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&orgURL, "org-url", "", "the org's base URL, like https://acme.okta.com")
	f.StringVar(&auth, "auth", config.AuthSSWS, "authentication: ssws (API token) or oauth (service app, private_key_jwt)")
	f.StringVar(&clientID, "client-id", "", "OAuth service app client ID (--auth oauth)")
	f.StringVar(&keyFile, "private-key-file", "", "PEM private key of the service app, mode 0600 (--auth oauth)")
	f.StringVar(&keyID, "key-id", "", "key ID (kid) registered for the private key (--auth oauth)")
	f.StringVar(&scopes, "scopes", "", "comma-separated Okta scopes granted to the service app (--auth oauth)")
	f.BoolVar(&allowWrites, "allow-writes", false, "allow dirdeck to write to this org (push approved group changes)")
	f.BoolVar(&use, "use", false, "make this the active profile")
	f.BoolVar(&noCheck, "no-check", false, "do not ask Okta for a token to check the service app (--auth oauth)")
	_ = cmd.MarkFlagRequired("org-url")
	return cmd
}

// checkServiceApp asks Okta once for an access token for the new OAuth
// profile name and reads one user with it: whether the key, client id and
// scopes work, and whether the app requires DPoP-bound tokens (new Okta
// API service apps do; dirdeck handles them, but admins should know). A
// refusal from Okta is a warning (exit 1); an org that cannot be reached
// now is only noted.
func checkServiceApp(cmd *cobra.Command, name string) error {
	out := cmd.OutOrStdout()
	r, err := config.Resolve(name)
	if err != nil {
		return withCode(exitWarnings, fmt.Errorf("check the service app: %w", err))
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 20*time.Second)
	defer cancel()
	c, err := newClient(ctx, r, okta.Options{MaxRetries: 1})
	if err != nil {
		return withCode(exitWarnings, fmt.Errorf("check the service app: %w", err))
	}
	perr := c.Probe(ctx, okta.ProbeUsers)
	var ae *okta.APIError
	switch {
	case perr != nil && !errors.As(perr, &ae):
		fmt.Fprintf(out, "Not checked with Okta (%s); `dirdeck scopes` checks the service app once the org is reachable.\n", textsafe.Clean(perr.Error()))
		return nil
	case c.GrantedScopes() == nil:
		fmt.Fprintf(out, "Okta refuses the service app: %s\n", textsafe.Clean(perr.Error()))
		return withCode(exitWarnings, nil)
	}
	tokens := "Bearer tokens"
	if c.DPoPBound() {
		tokens = "DPoP-bound tokens: the app requires DPoP (proof-of-possession), and dirdeck signs a fresh proof for every request"
	}
	fmt.Fprintf(out, "Checked with Okta: the service app gets %s (scopes %s).\n", tokens, textsafe.List(c.GrantedScopes()))
	if perr != nil {
		fmt.Fprintf(out, "Reading users was refused: %s\nRun `dirdeck scopes --profile %s` for what is missing.\n", textsafe.Clean(perr.Error()), name)
		return withCode(exitWarnings, nil)
	}
	return nil
}

// profileFlagNames rewrites config.toml key names in a validation error to the
// flags the user typed.
func profileFlagNames(msg string) string {
	return strings.NewReplacer("org_url:", "--org-url:", "auth:", "--auth:", "client_id:", "--client-id:",
		"private_key_file:", "--private-key-file:", "key_id:", "--key-id:", "scopes:", "--scopes:").Replace(msg)
}

func profileExpandHome(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return path
}

func profileOnOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// Token states shown by "profile list".
const (
	profileTokenStored    = "stored"
	profileTokenNone      = "none"
	profileTokenNoKeyring = "unknown (no keyring)"
	profileTokenOAuth     = "n/a (oauth)"
)

// profileListEntry is one profile in "profile list --json".
type profileListEntry struct {
	Name        string `json:"name"`
	OrgURL      string `json:"org_url"`
	Auth        string `json:"auth"`
	Active      bool   `json:"active"`
	AllowWrites bool   `json:"allow_writes"`
	// Token is "stored", "none", "unknown (no keyring)", "n/a (oauth)" or
	// "error: ..." when the keyring failed.
	Token string `json:"token"`
}

func newProfileListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List profiles, the active one and whether each has a token",
		Long: `List the profiles in config.toml: name, org URL, auth method, whether it is
active (*), whether writes are allowed, and whether an API token is stored in
the OS keyring ("unknown (no keyring)" where this machine has none; such
profiles take their token from DIRDECK_API_TOKEN).

--json prints {"active": NAME, "profiles": [{"name", "org_url", "auth",
"active", "allow_writes", "token"}]}.`,
		Example: `  dirdeck profile list
  dirdeck profile list --json | jq -r '.profiles[] | select(.token == "none") | .name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load()
			if err != nil {
				return withCode(exitFailed, err)
			}
			entries := make([]profileListEntry, 0, len(cfg.Profiles))
			for _, name := range cfg.Names() {
				p := cfg.Profiles[name]
				entries = append(entries, profileListEntry{
					Name: name, OrgURL: p.OrgURL, Auth: p.Auth, Active: name == cfg.Active,
					AllowWrites: p.AllowWrites, Token: profileTokenState(name, p),
				})
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return printJSON(out, struct {
					Active   string             `json:"active"`
					Profiles []profileListEntry `json:"profiles"`
				}{cfg.Active, entries})
			}
			if os.Getenv("DIRDECK_ORG_URL") != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "Note: DIRDECK_ORG_URL is set, so commands use the environment configuration unless --profile or DIRDECK_PROFILE names a profile.")
			}
			if len(entries) == 0 {
				fmt.Fprintln(out, `No profiles. Add one with "dirdeck profile add NAME --org-url URL".`)
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "\tNAME\tORG URL\tAUTH\tWRITES\tTOKEN")
			for _, e := range entries {
				mark := ""
				if e.Active {
					mark = "*"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mark, e.Name, e.OrgURL, e.Auth, profileOnOff(e.AllowWrites), e.Token)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

// profileTokenState looks the profile's token up in the keyring without showing it.
func profileTokenState(name string, p config.Profile) string {
	if p.Auth == config.AuthOAuth {
		return profileTokenOAuth
	}
	_, err := config.Token(name)
	switch {
	case err == nil:
		return profileTokenStored
	case errors.Is(err, config.ErrNoToken):
		return profileTokenNone
	case errors.Is(err, config.ErrNoKeyring):
		return profileTokenNoKeyring
	default:
		return "error: " + err.Error()
	}
}

func newProfileUseCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "use NAME",
		Short: "Make a profile the active one",
		Long: `Make NAME the active profile: the one commands use when neither --profile
nor DIRDECK_PROFILE names one and DIRDECK_ORG_URL is not set.`,
		Example: `  dirdeck profile use acme`,
		Args:    needArgs("profile name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load()
			if err != nil {
				return withCode(exitFailed, err)
			}
			if err := cfg.Use(args[0]); err != nil {
				return withCode(exitFailed, err)
			}
			if err := cfg.Save(); err != nil {
				return withCode(exitFailed, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Active profile: %s (%s).\n", args[0], cfg.Profiles[args[0]].OrgURL)
			return nil
		},
	}
}

func newProfileRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a profile and its stored API token",
		Long: `Remove profile NAME from config.toml and delete its API token from the OS
keyring, without asking. The profile's local cache file is kept (it is only a
copy of the org's data); the command prints where it is.`,
		Example: `  dirdeck profile remove acme`,
		Args:    needArgs("profile name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			cfg, err := config.Load()
			if err != nil {
				return withCode(exitFailed, err)
			}
			wasActive := cfg.Active == name
			p, err := cfg.Profile(name)
			if err != nil {
				return withCode(exitFailed, err)
			}
			if err := cfg.Remove(name); err != nil {
				return withCode(exitFailed, err)
			}
			if err := cfg.Save(); err != nil {
				return withCode(exitFailed, err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Removed profile %s (%s) from %s.\n", name, p.OrgURL, cfg.Path())
			if wasActive {
				fmt.Fprintln(out, `It was the active profile; no profile is active now ("dirdeck profile use NAME").`)
			}
			tokErr := config.DeleteToken(name)
			switch {
			case tokErr == nil:
				fmt.Fprintln(out, "Deleted its API token from the OS keyring.")
			case errors.Is(tokErr, config.ErrNoToken):
				if p.Auth == config.AuthSSWS {
					fmt.Fprintln(out, "No API token was stored for it in the OS keyring.")
				}
			case errors.Is(tokErr, config.ErrNoKeyring):
				if p.Auth == config.AuthSSWS {
					fmt.Fprintln(out, "No OS keyring on this machine, so no stored token to delete.")
				}
			}
			if err := config.ForgetTokenUse(name); err != nil {
				return withCode(exitFailed, err)
			}
			if cache, err := config.CachePath(name); err == nil {
				if _, err := os.Stat(cache); err == nil {
					fmt.Fprintf(out, "Kept its cache %s; delete it if you no longer need it.\n", cache)
				}
			}
			if tokErr != nil && !errors.Is(tokErr, config.ErrNoToken) && !errors.Is(tokErr, config.ErrNoKeyring) {
				return withCode(exitFailed, fmt.Errorf("profile removed, but its token could not be deleted: %w", tokErr))
			}
			return nil
		},
	}
}

// profileMaxTokenInput bounds what set-token reads from a pipe; a token is ~42
// bytes, so anything much longer is a mistake (a whole file piped in).
const profileMaxTokenInput = 4096

func newProfileSetTokenCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "set-token [NAME]",
		Short: "Store a profile's API token in the OS keyring",
		Long: `Store the SSWS API token of profile NAME (default: the active profile) in
the OS keyring. The token is read from standard input when it is not a
terminal, otherwise from a hidden prompt; it is never a command-line flag and
never written to a file.

Where this machine has no keyring (headless Linux without a D-Bus Secret
Service, CI), set DIRDECK_API_TOKEN in the environment instead; set-token then
fails with exit code 2.`,
		Example: `  # prompt (input hidden)
  dirdeck profile set-token acme

  # from a secret manager, without the token touching the shell history
  op read op://it/okta-acme/token | dirdeck profile set-token acme`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load()
			if err != nil {
				return withCode(exitFailed, err)
			}
			name := cfg.Active
			if len(args) == 1 {
				name = args[0]
			}
			if name == "" {
				return withCode(exitUsage, errors.New(`no profile named and no active profile: "dirdeck profile set-token NAME"`))
			}
			p, err := cfg.Profile(name)
			if err != nil {
				return withCode(exitFailed, err)
			}
			if p.Auth != config.AuthSSWS {
				return withCode(exitFailed, fmt.Errorf("profile %q uses auth %q (a private key file), not an API token", name, p.Auth))
			}
			// Find out there is no keyring before asking for the token.
			if _, err := config.Token(name); errors.Is(err, config.ErrNoKeyring) {
				return withCode(exitFailed, err)
			}
			token, err := readProfileToken(cmd, name)
			if err != nil {
				return withCode(exitFailed, err)
			}
			if err := config.SetToken(name, token); err != nil {
				return withCode(exitFailed, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Stored the API token for profile %s in the OS keyring.\n", name)
			return nil
		},
	}
}

// readProfileToken reads the token from a hidden prompt when stdin is a terminal,
// else from stdin itself.
func readProfileToken(cmd *cobra.Command, name string) (string, error) {
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(cmd.ErrOrStderr(), "API token for profile %s (input hidden): ", name)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("read token from the terminal: %w", err)
		}
		return string(b), nil
	}
	b, err := io.ReadAll(io.LimitReader(in, profileMaxTokenInput+1))
	if err != nil {
		return "", fmt.Errorf("read token from standard input: %w", err)
	}
	if len(b) > profileMaxTokenInput {
		return "", fmt.Errorf("standard input has more than %d bytes; expected one API token", profileMaxTokenInput)
	}
	return string(b), nil
}
