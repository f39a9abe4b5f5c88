package access

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"

	chk "github.com/dirdeck/dirdeck/access"
)

// Org is the live org the checks run against: cmd hands over chk.Org, so
// the pane never holds an Okta client itself.
type Org interface {
	CheckScopes(context.Context, chk.CheckOptions) (*chk.ScopeReport, error)
	CheckTokens(context.Context, chk.TokenOptions) (*chk.TokenReport, error)
	// ServerTime is the org's clock (okta.Client.ServerTime).
	ServerTime() time.Time
}

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
func Checker(ctx context.Context, c Org, o CheckerOptions) func() tea.Cmd {
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

func run(ctx context.Context, c Org, o CheckerOptions) Result {
	s, serr := c.CheckScopes(ctx, o.Scopes)
	t, terr := c.CheckTokens(ctx, o.Tokens)
	r := Result{Scopes: s, Tokens: t, At: time.Now()}
	if err := errors.Join(serr, terr); err != nil {
		r.Err = err.Error()
	}
	if o.Used != nil && s != nil && s.Rejected == nil {
		o.Used(c.ServerTime())
	}
	return r
}
