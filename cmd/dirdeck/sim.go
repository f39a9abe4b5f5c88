package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/spf13/cobra"
)

func newSimCmd() *cobra.Command {
	sim := &cobra.Command{
		Use:     "sim",
		Short:   "Simulated Okta org for demos, scripts and tests",
		Example: `  dirdeck sim serve --addr 127.0.0.1:0 --scenario S --seed 7`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	sim.AddCommand(newSimServeCmd())
	return sim
}

// simServeOptions are the flags of dirdeck sim serve.
type simServeOptions struct {
	addr       string
	scenario   string
	seed       int64
	rateLimits string
	dpop       bool
	logNoise   int
	logLag     time.Duration
	searchLag  time.Duration
	envFile    string
}

func newSimServeCmd() *cobra.Command {
	var o simServeOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a deterministic simulated Okta org over HTTP",
		Long: `Serve a simulated Okta org that the Okta SDK cannot tell from Okta: the
same paths, JSON shapes, cursor paging, error bodies and rate-limit headers,
generated deterministically from --scenario and --seed.

The first two lines on stdout are ORG_URL=<url> and API_TOKEN=<token> (a
Read-only Administrator's SSWS token), so scripts can read them. The
loopback-only control plane under /__sim/ lists the other tokens
(/__sim/tokens), the expected sync result (/__sim/truth), request stats,
faults, churn and the sim clock. Serves until interrupted.

--env-file FILE also writes "export DIRDECK_ORG_URL=…" and "export
DIRDECK_API_TOKEN=…" to FILE (mode 0600) once the org is listening, through a
temporary file and a rename, so a script that waits for FILE and sources it
never reads half of it; the file is removed when the sim stops. These are
the simulated org's tokens, never a real org's.

Scenarios: S ≈ 250 users, M 10k, L 100k, XL 1M.

Like a real org, the System Log is mostly sign-ins, app SSO and policy
evaluations (--log-noise events per active user per day, 0 for none), an
event shows up in it --log-lag after it happened, and group search sees a
write --search-lag after it (filter at once).`,
		Example: `  # a demo org on the default port
  dirdeck sim serve

  # a 10k-user org on a free port, with Okta's real rate limits
  dirdeck sim serve --addr 127.0.0.1:0 --scenario M --seed 7 --rate-limits realistic

  # then, in another shell, sync from it with the printed values
  DIRDECK_ORG_URL=http://127.0.0.1:8707 DIRDECK_API_TOKEN=<API_TOKEN> dirdeck sync

  # in a script: serve in the background, wait for the env file, use it
  dirdeck sim serve --addr 127.0.0.1:0 --env-file /tmp/sim.env &
  until [ -s /tmp/sim.env ]; do sleep 0.2; done; . /tmp/sim.env; dirdeck sync`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runSimServe(ctx, cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8707", "address to listen on (port 0 picks a free port)")
	f.StringVar(&o.scenario, "scenario", "S", "org size: S, M, L or XL")
	f.Int64Var(&o.seed, "seed", 1, "seed of the generated org")
	f.StringVar(&o.rateLimits, "rate-limits", "off", "rate limiting: off, realistic or dev")
	f.BoolVar(&o.dpop, "dpop", false, "the OAuth service apps require DPoP-bound access tokens, as new Okta API service apps do")
	f.IntVar(&o.logNoise, "log-noise", oktasim.DefaultLogNoise, "System Log background events per active user per day (0: none)")
	f.DurationVar(&o.logLag, "log-lag", 2*time.Second, "System Log ingestion lag: how long after it happened an event becomes visible")
	f.DurationVar(&o.searchLag, "search-lag", oktasim.DefaultSearchLag, "how long a group write stays invisible to search (filter sees it at once)")
	f.StringVar(&o.envFile, "env-file", "", "also write DIRDECK_ORG_URL and DIRDECK_API_TOKEN exports to this file once serving (removed on stop)")
	return cmd
}

// runSimServe generates the org, prints its URL and token, and serves
// until ctx ends.
func runSimServe(ctx context.Context, cmd *cobra.Command, o simServeOptions) error {
	switch o.scenario {
	case "S", "M", "L", "XL":
	default:
		return withCode(exitUsage, fmt.Errorf("invalid argument %q for --scenario: want S, M, L or XL", o.scenario))
	}
	switch o.rateLimits {
	case "off", "realistic", "dev":
	default:
		return withCode(exitUsage, fmt.Errorf("invalid argument %q for --rate-limits: want off, realistic or dev", o.rateLimits))
	}
	opts, err := o.simOptions()
	if err != nil {
		return withCode(exitUsage, err)
	}
	sim, err := oktasim.New(opts)
	if err != nil {
		return fmt.Errorf("generate simulated org: %w", err)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	if o.envFile != "" {
		env := fmt.Sprintf("export DIRDECK_ORG_URL=http://%s\nexport DIRDECK_API_TOKEN=%s\n", ln.Addr(), sim.Token("readonly"))
		if err := writeFileAtomic(o.envFile, []byte(env)); err != nil {
			_ = ln.Close()
			return fmt.Errorf("write --env-file: %w", err)
		}
		defer os.Remove(o.envFile)
	}
	out := cmd.OutOrStdout()
	if _, err := fmt.Fprintf(out, "ORG_URL=http://%s\nAPI_TOKEN=%s\n", ln.Addr(), sim.Token("readonly")); err != nil {
		_ = ln.Close()
		return fmt.Errorf("print org URL: %w", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "serving scenario %s (seed %d, rate limits %s); control plane at http://%s/__sim/; Ctrl-C to stop\n",
		o.scenario, o.seed, o.rateLimits, ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve simulated org: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stop simulated org: %w", err)
	}
	return nil
}

// simOptions turns the flags into the simulator's options. On the command
// line 0 turns the log noise or the search lag off; in oktasim.Options 0
// means the default and off is negative.
func (o simServeOptions) simOptions() (oktasim.Options, error) {
	if o.logNoise < 0 || o.logLag < 0 || o.searchLag < 0 {
		return oktasim.Options{}, errors.New("--log-noise, --log-lag and --search-lag must not be negative")
	}
	opts := oktasim.Options{Scenario: o.scenario, Seed: o.seed, RateLimits: o.rateLimits, DPoP: o.dpop,
		LogNoise: o.logNoise, LogLag: o.logLag, SearchLag: o.searchLag}
	if o.logNoise == 0 {
		opts.LogNoise = -1
	}
	if o.searchLag == 0 {
		opts.SearchLag = -1
	}
	return opts, nil
}
