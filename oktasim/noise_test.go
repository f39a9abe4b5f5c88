package oktasim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// pollLogs follows a GET /api/v1/logs query through its next links until
// an empty page (polling) or the last page (bounded), returning every
// event and the number of requests.
func pollLogs(t *testing.T, srv *Server, params url.Values) ([]LogEvent, int) {
	t.Helper()
	next := srv.URL + "/api/v1/logs?" + params.Encode()
	var all []LogEvent
	for n := 1; ; n++ {
		if n > 500 {
			t.Fatal("paging does not end")
		}
		req, err := http.NewRequest("GET", next, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "SSWS "+srv.ReadOnlyToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s %v", next, resp.StatusCode, body, err)
		}
		link := linkNext(resp.Header)
		var page []LogEvent
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) == 0 || link == "" {
			return all, n
		}
		next = link
	}
}

// TestLogNoise checks the background noise: about LogNoise events per
// active user per day, in Okta's shapes, on the sim clock (none from the
// future), read page by page without a gap or a repeat, merged in time
// order with the admin events, and left out by an eventType filter.
func TestLogNoise(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 3, LogNoise: 10})
	s := srv.Sim
	start := s.Now()
	s.Advance(6 * time.Hour)
	if _, err := s.Churn(30); err != nil {
		t.Fatal(err)
	}
	s.Advance(6 * time.Hour)
	since := url.Values{"since": {start.Add(-time.Minute).UTC().Format(time.RFC3339)}, "limit": {"1000"}}
	all, _ := pollLogs(t, srv, since)

	want := s.LogNoiseEvents(12 * time.Hour)
	noise, admin := 0, 0
	seen := map[string]bool{}
	var last time.Time
	for _, ev := range all {
		if seen[ev.UUID] {
			t.Fatalf("event %s returned twice", ev.UUID)
		}
		seen[ev.UUID] = true
		pub, err := time.Parse(time.RFC3339Nano, ev.Published)
		if err != nil || pub.Before(last) || pub.After(s.Now()) {
			t.Fatalf("event at %s after %s (now %s): out of order or from the future", ev.Published, last, s.Now())
		}
		last = pub
		switch ev.EventType {
		case EventSessionStart, EventSessionEnd, EventSignOnPolicy, EventAppSSO:
			noise++
			if !strings.HasPrefix(ev.Actor.ID, prefixUser) || ev.Actor.Type != logActorUser || ev.DisplayMessage == "" {
				t.Fatalf("noise event %+v", ev)
			}
			wantTargets := map[string]string{EventSessionStart: "", EventSessionEnd: "", EventSignOnPolicy: "PolicyEntity PolicyRule", EventAppSSO: "AppInstance AppUser"}[ev.EventType]
			var types []string
			for _, tg := range ev.Target {
				types = append(types, tg.Type)
			}
			if strings.Join(types, " ") != wantTargets {
				t.Fatalf("%s targets %v, want %q (captured shape)", ev.EventType, types, wantTargets)
			}
		default:
			admin++
		}
	}
	if noise < want-2 || noise > want+2 || want < 1000 {
		t.Fatalf("%d noise events in 12 h, want about %d", noise, want)
	}
	if admin < 30 {
		t.Fatalf("%d admin events among the noise, want the churn's", admin)
	}

	// A filter on the consumed types reads the admin events only, in one
	// page and the empty page that ends the poll.
	filtered := url.Values{"since": since["since"], "limit": {"1000"},
		"filter": {`eventType sw "group." or eventType sw "application." or eventType eq "user.lifecycle.delete.initiated" or eventType sw "user.lifecycle." or eventType sw "user.account."`}}
	got, requests := pollLogs(t, srv, filtered)
	if len(got) != admin || requests != 2 {
		t.Fatalf("filtered: %d events in %d requests, want %d in 2", len(got), requests, admin)
	}

	// Descending reads the same events, newest first.
	desc := url.Values{"since": since["since"], "until": {s.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, "limit": {"700"}, "sortOrder": {"DESCENDING"}}
	back, _ := pollLogs(t, srv, desc)
	if len(back) != len(all) || back[0].UUID != all[len(all)-1].UUID || back[len(back)-1].UUID != all[0].UUID {
		t.Fatalf("descending: %d events, ascending %d", len(back), len(all))
	}
}

// TestLogIngestionLag: an event shows up only LogLag after it happened.
func TestLogIngestionLag(t *testing.T) {
	srv := NewServer(t, Options{Scenario: "S", Seed: 3, LogNoise: -1, LogLag: time.Minute})
	s := srv.Sim
	since := url.Values{"since": {s.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}}
	if _, err := s.Churn(5); err != nil {
		t.Fatal(err)
	}
	if got, _ := pollLogs(t, srv, since); len(got) != 0 {
		t.Fatalf("%d events visible at once, want none before the lag", len(got))
	}
	s.Advance(time.Minute + time.Second) // the churn's stamps run a few ms ahead
	if got, _ := pollLogs(t, srv, since); len(got) < 5 {
		t.Fatalf("%d events after the lag, want the churn's", len(got))
	}
}

// TestLogNoiseDoesNotHideAheadStamps: a burst of changes is stamped a
// millisecond apart and runs ahead of the clock; a poll right after it
// returns every one of them although noise not yet visible falls among
// them (the walk used to stop at that noise, and an incremental sync
// missed the burst's tail).
func TestLogNoiseDoesNotHideAheadStamps(t *testing.T) {
	// About 3 noise events per millisecond, so noise falls among the stamps.
	srv := NewServer(t, Options{Scenario: "S", Seed: 3, LogNoise: 1_000_000})
	s := srv.Sim
	params := url.Values{
		"since":  {s.Now().Add(-time.Second).UTC().Format("2006-01-02T15:04:05.000Z")},
		"filter": {`eventType sw "group.user_membership." or eventType sw "application.user_membership." or eventType sw "user.lifecycle."`},
		"limit":  {"1000"},
	}
	if _, err := s.Churn(300); err != nil {
		t.Fatal(err)
	}
	now := s.Now().UnixMilli()
	var want int
	for _, ev := range s.ext.logs.all() {
		if ev.published >= now && admin(ev.EventType) {
			want++
		}
	}
	if want == 0 {
		t.Fatal("no change was stamped ahead of the clock: the test proves nothing")
	}
	got, _ := pollLogs(t, srv, params)
	s.Advance(time.Minute)
	all, _ := pollLogs(t, srv, params)
	if len(got) != len(all) {
		t.Fatalf("a poll right after the burst returned %d of its %d events (%d stamped ahead of the clock)", len(got), len(all), want)
	}
}

// admin says whether an event type is one the filter above selects.
func admin(typ string) bool {
	for _, p := range []string{"group.user_membership.", "application.user_membership.", "user.lifecycle."} {
		if strings.HasPrefix(typ, p) {
			return true
		}
	}
	return false
}
