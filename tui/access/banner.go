package access

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	chk "github.com/dirdeck/dirdeck/access"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/themes"
	"github.com/dirdeck/dirdeck/tui/pane"
)

// Banner is the one-line header banner shown on every pane while a token
// is warning, critical or expired, or a core scope is missing. It starts
// focused, so enter right after it appears opens the Access pane; any other
// key blurs it and goes to the pane as usual.
type Banner struct {
	Level string // chk.LevelWarning, LevelCritical or LevelExpired; "" = no banner
	Text  string
	// focused is true until a key other than enter arrives.
	focused bool
}

// BannerFor builds the banner from a check result; it is inactive when
// nothing needs attention.
func BannerFor(r Result) Banner {
	var b Banner
	var parts []string
	if s := r.Scopes; s != nil {
		switch {
		case s.Rejected != nil:
			b.Level = chk.LevelCritical
			parts = append(parts, "Okta refuses the credential")
		default:
			for _, f := range s.Features {
				if f.Core && f.Status == chk.StatusMissing {
					b.Level = chk.LevelCritical
					parts = append(parts, fmt.Sprintf("%s: missing %s", f.Feature, strings.Join(f.Missing, ", ")))
				}
			}
		}
	}
	if t := r.Tokens; t != nil {
		if t.Self.Status != chk.LevelOK {
			b.Level = worst(b.Level, t.Self.Status)
			parts = append(parts, selfBanner(t))
		}
		var bad []chk.TokenCheck
		for _, tc := range t.Tokens {
			if tc.Status != chk.LevelOK && !tc.Self && !tc.MaybeSelf {
				bad = append(bad, tc)
				b.Level = worst(b.Level, tc.Status)
			}
		}
		if len(bad) > 0 {
			// Tokens are sorted by days left: the first is the most urgent.
			first := fmt.Sprintf("API token %q is %s", bad[0].Name, bad[0].Status)
			if len(bad[0].Reasons) > 0 {
				first = fmt.Sprintf("API token %q %s", bad[0].Name, bad[0].Reasons[0])
			}
			if len(bad) > 1 {
				first += fmt.Sprintf(" (+%d more)", len(bad)-1)
			}
			parts = append(parts, first)
		}
	}
	if b.Level == "" {
		return Banner{}
	}
	b.Text = strings.Join(parts, " · ")
	b.focused = true
	return b
}

// selfBanner is the banner's part about the profile's own credential.
// When its owner has several tokens (Okta does not say which is the
// profile's), it names the most urgent candidate: tokens are sorted by
// days left.
func selfBanner(t *chk.TokenReport) string {
	if len(t.Self.Candidates) > 0 {
		var bad []chk.TokenCheck
		for _, tc := range t.Tokens {
			if tc.MaybeSelf && tc.Status != chk.LevelOK {
				bad = append(bad, tc)
			}
		}
		if len(bad) > 0 && len(bad[0].Reasons) > 0 {
			msg := fmt.Sprintf("this profile's token may be %q, which %s", bad[0].Name, bad[0].Reasons[0])
			if len(bad) > 1 {
				msg += fmt.Sprintf(" (+%d more)", len(bad)-1)
			}
			return msg
		}
	}
	msg := "this profile's credential is " + t.Self.Status
	if len(t.Self.Reasons) > 0 {
		msg += ": " + t.Self.Reasons[0]
	}
	return msg
}

// IdleBanner is the start-up banner of a profile not synced for a long
// time, from the local record of the token's last use (no request: one
// would renew the token and hide the problem it reports).
func IdleBanner(lastUsed, now time.Time) Banner {
	level, text := chk.IdleNotice(lastUsed, now)
	if level == "" {
		return Banner{}
	}
	return Banner{Level: level, Text: text, focused: true}
}

func worst(a, b string) string {
	rank := map[string]int{"": -1, chk.LevelOK: 0, chk.LevelWarning: 1, chk.LevelCritical: 2, chk.LevelExpired: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Active reports whether the banner is shown.
func (b Banner) Active() bool { return b.Level != "" }

// Focused reports whether enter opens the Access pane.
func (b Banner) Focused() bool { return b.Active() && b.focused }

// Focus makes enter open the Access pane (e.g. when the root moves focus
// to the banner).
func (b *Banner) Focus() { b.focused = true }

// Update handles a key while the banner is focused: enter answers
// pane.ShowMsg for the Access pane and reports handled; any other key
// blurs the banner and is not handled (the root passes it on to the
// pane).
func (b *Banner) Update(msg tea.Msg) (cmd tea.Cmd, handled bool) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || !b.Focused() {
		return nil, false
	}
	if k.String() == "enter" {
		b.focused = false
		return pane.Show(Name), true
	}
	b.focused = false
	return nil, false
}

// View renders the banner as one line of exactly w cells ("" when
// inactive).
func (b Banner) View(th themes.Theme, w int) string {
	if !b.Active() {
		return ""
	}
	style := th.Warning
	if b.Level != chk.LevelWarning {
		style = th.Error
	}
	hint := "  :access for details"
	if b.focused {
		hint = "  enter: open Access"
	}
	text := "⚠ " + textsafe.Clean(b.Text)
	room := max(w-textsafe.Width(hint), 1)
	return style.Render(textsafe.Fit(textsafe.Truncate(text, room), room)) + th.Muted.Render(textsafe.Truncate(hint, w-room))
}

// LinksHere reports whether a sync error is about the credential (401
// or 403, E0000011 or E0000006), so the footer can point to the Access
// pane (SyncErrorHint).
func LinksHere(errText string) bool {
	for _, s := range []string{"E0000011", "E0000006", ": 401 ", ": 403 ", "invalid_client", "invalid_scope", "insufficient_scope"} {
		if strings.Contains(errText, s) {
			return true
		}
	}
	return false
}
