package access

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"

	chk "github.com/dirdeck/dirdeck/access"
	"github.com/dirdeck/dirdeck/okta"
)

// CheckerOptions configure Checker.
type CheckerOptions struct {
	Scopes chk.CheckOptions
	Tokens chk.TokenOptions
	// Timeout bounds one run of both checks (default one minute).
	Timeout time.Duration
	// Used is called with the org's time after the credential worked: the
	// checks renewed the token's 30-day idle window (config.RecordTokenUse).
	// It runs on the command's goroutine.
	Used func(at time.Time)
}

// Checker returns the pane's check function for a live org: its command
// runs the scope and token checks (a dozen small requests, through c's
// rate-limit governor) off the UI goroutine and answers with a ResultMsg.
// ctx is the dashboard's lifetime.
func Checker(ctx context.Context, c *okta.Client, o CheckerOptions) func() tea.Cmd {
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	return func() tea.Cmd {
		return func() tea.Msg {
			cctx, cancel := context.WithTimeout(ctx, o.Timeout)
			defer cancel()
			return ResultMsg(run(cctx, c, o))
		}
	}
}

func run(ctx context.Context, c *okta.Client, o CheckerOptions) Result {
	s, serr := chk.CheckScopes(ctx, c, o.Scopes)
	t, terr := chk.CheckTokens(ctx, c, o.Tokens)
	r := Result{Scopes: s, Tokens: t, At: time.Now()}
	if err := errors.Join(serr, terr); err != nil {
		r.Err = err.Error()
	}
	if o.Used != nil && s != nil && s.Rejected == nil {
		o.Used(c.ServerTime())
	}
	return r
}
