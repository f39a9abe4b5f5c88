package oktasim

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestLogFilterParse(t *testing.T) {
	ev := &LogEvent{
		EventType: EventGroupMemberAdd,
		Severity:  "INFO",
		Outcome:   LogOutcome{Result: "SUCCESS"},
		Actor:     LogActor{ID: "00uadmin", Type: logActorUser},
		Target:    []LogTarget{{ID: "00u1", Type: logTargetUser}, {ID: "00g1", Type: logTargetGroup}},
	}
	tests := []struct {
		filter  string
		want    bool
		wantErr string
	}{
		{`eventType eq "group.user_membership.add"`, true, ""},
		{`eventType eq "user.lifecycle.create"`, false, ""},
		{`eventType eq "user.lifecycle.create" or eventType eq "group.user_membership.add"`, true, ""},
		{`eventType eq "group.user_membership.add" and target.id eq "00g1"`, true, ""},
		{`eventType eq "group.user_membership.add" and target.id eq "00g2"`, false, ""},
		{`eventType eq "x" or eventType eq "y" and target.id eq "00g1"`, false, ""},
		{`(eventType eq "x" or eventType eq "group.user_membership.add") and target.type eq "UserGroup"`, true, ""},
		{`eventType sw "group." AND actor.id EQ "00uadmin"`, true, ""},
		{`eventType gt "a"`, false, "unsupported operator"},
		{`target.id co "0g"`, true, ""},
		{`eventType ne "group.user_membership.add"`, false, ""},
		{`eventType eq "x\"y"`, false, ""},
		{``, false, "empty expression"},
		{`eventType eq`, false, "incomplete comparison"},
		{`eventType eq "a`, false, "unterminated string"},
		{`password eq "x"`, false, "unsupported attribute"},
		{`eventType eq user`, false, "must be a quoted string"},
		{`(eventType eq "x"`, false, "missing )"},
		{`eventType eq "x" "y"`, false, "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			f, err := parseLogFilter(tt.filter)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := f.match(ev); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

// fillLog writes n events one second apart from base, alternating two
// event types.
func fillLog(l *logStore, base time.Time, n int) {
	for i := 0; i < n; i++ {
		typ := EventUserCreate
		if i%2 == 1 {
			typ = EventGroupMemberAdd
		}
		l.add(base.Add(time.Duration(i)*time.Second).UnixMilli(), typ, logOrigin{actor: LogActor{ID: "00uadmin", Type: logActorUser}, client: adminClient},
			LogTarget{ID: fmt.Sprintf("00u%d", i), Type: logTargetUser})
	}
}

func logGetter(v url.Values) func(string) (string, bool) {
	return func(k string) (string, bool) {
		if !v.Has(k) {
			return "", false
		}
		return v.Get(k), true
	}
}

func TestLogQueryPolling(t *testing.T) {
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	now := base.Add(time.Hour).UnixMilli()
	l := newLogStore(7)
	fillLog(l, base, 5)

	q, err := parseLogQuery(logGetter(url.Values{"since": {base.Format(time.RFC3339)}, "limit": {"2"}}), now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := 0; i < 4; i++ {
		page, next, hasNext := l.query(q)
		if !hasNext {
			t.Fatalf("poll %d: no next cursor; polling must always have one", i)
		}
		for _, ev := range page {
			got = append(got, ev.Target[0].ID)
		}
		if q.after, err = parseLogCursor(next); err != nil {
			t.Fatal(err)
		}
		q.hasAfter = true
	}
	if want := "00u0 00u1 00u2 00u3 00u4"; strings.Join(got, " ") != want {
		t.Fatalf("polled %v, want %s", got, want)
	}
	// An empty poll keeps the cursor; a later event shows up on the next.
	page, next, _ := l.query(q)
	if len(page) != 0 {
		t.Fatalf("empty poll returned %d events", len(page))
	}
	l.add(base.Add(time.Minute).UnixMilli(), EventUserSuspend, logOrigin{client: adminClient}, LogTarget{ID: "00u9", Type: logTargetUser})
	q.after, _ = parseLogCursor(next)
	page, _, _ = l.query(q)
	if len(page) != 1 || page[0].EventType != EventUserSuspend {
		t.Fatalf("poll after new event = %+v", page)
	}
}

func TestLogQueryBounded(t *testing.T) {
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	now := base.Add(time.Hour).UnixMilli()
	l := newLogStore(7)
	fillLog(l, base, 10)
	tests := []struct {
		name   string
		params url.Values
		want   []string // target ids over all pages
	}{
		{"until is exclusive", url.Values{"since": {base.Format(time.RFC3339)}, "until": {base.Add(3 * time.Second).Format(time.RFC3339)}, "limit": {"2"}}, []string{"00u0", "00u1", "00u2"}},
		{"filter", url.Values{"since": {base.Format(time.RFC3339)}, "until": {base.Add(time.Hour).Format(time.RFC3339)}, "filter": {`eventType eq "group.user_membership.add"`}, "limit": {"3"}}, []string{"00u1", "00u3", "00u5", "00u7", "00u9"}},
		{"descending", url.Values{"since": {base.Add(6 * time.Second).Format(time.RFC3339)}, "until": {base.Add(time.Hour).Format(time.RFC3339)}, "sortOrder": {"DESCENDING"}, "limit": {"3"}}, []string{"00u9", "00u8", "00u7", "00u6"}},
		{"keyword", url.Values{"since": {base.Format(time.RFC3339)}, "until": {base.Add(time.Hour).Format(time.RFC3339)}, "q": {"00U4"}}, []string{"00u4"}},
		{"default since is 7 days before until", url.Values{"until": {base.Add(-time.Minute).Format(time.RFC3339)}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := parseLogQuery(logGetter(tt.params), now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatal("paging does not end")
				}
				page, next, hasNext := l.query(q)
				for _, ev := range page {
					got = append(got, ev.Target[0].ID)
				}
				if !hasNext {
					break
				}
				q.after, _ = parseLogCursor(next)
				q.hasAfter = true
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLogQueryBadInput(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).UnixMilli()
	tests := []struct {
		params url.Values
		want   string
	}{
		{url.Values{"limit": {"0"}}, "limit"},
		{url.Values{"limit": {"-3"}}, "limit"},
		{url.Values{"limit": {"ten"}}, "limit"},
		{url.Values{"since": {"yesterday"}}, "since"},
		{url.Values{"until": {"2026-13-01T00:00:00Z"}}, "until"},
		{url.Values{"since": {"2026-11-20T00:00:00Z"}, "until": {"2026-11-19T00:00:00Z"}}, "until"},
		{url.Values{"sortOrder": {"RANDOM"}}, "sortOrder"},
		{url.Values{"filter": {"eventType = 1"}}, "filter"},
		{url.Values{"after": {"garbage!"}}, "after"},
		{url.Values{"after": {""}}, "after"},
		{url.Values{"q": {"a b c d e f g h i j k"}}, "q"},
	}
	for _, tt := range tests {
		t.Run(tt.params.Encode(), func(t *testing.T) {
			_, err := parseLogQuery(logGetter(tt.params), now)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one about %s", err, tt.want)
			}
		})
	}
}

func TestLogQueryClampsLimit(t *testing.T) {
	q, err := parseLogQuery(logGetter(url.Values{"limit": {"1000000000"}}), time.Now().UnixMilli())
	if err != nil || q.limit != logMaxLimit {
		t.Fatalf("limit 10^9: %d, %v; want clamped to %d", q.limit, err, logMaxLimit)
	}
}

func TestLogEventsDeterministic(t *testing.T) {
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	a, b := newLogStore(7), newLogStore(7)
	fillLog(a, base, 3)
	fillLog(b, base, 3)
	ea, eb := a.all(), b.all()
	for i := range ea {
		if ea[i].UUID != eb[i].UUID || ea[i].Transaction.ID != eb[i].Transaction.ID {
			t.Fatalf("event %d differs between runs of the same seed", i)
		}
	}
	if ea[0].UUID == ea[1].UUID {
		t.Fatal("two events share a uuid")
	}
	if c := newLogStore(8); func() string { fillLog(c, base, 1); return c.all()[0].UUID }() == ea[0].UUID {
		t.Fatal("uuid does not depend on the seed")
	}
}

// FuzzLogQuery feeds arbitrary parameters to the System Log's parser and
// store: bad input must come back as an error naming the parameter, and
// never panic.
func FuzzLogQuery(f *testing.F) {
	for _, seed := range []string{
		`eventType eq "user.lifecycle.create" or (target.id eq "00u1" and actor.type ne "User")`,
		`(((`, `eventType eq "\"`, `a eq "b" and`, `target.id co ""`,
	} {
		f.Add(seed, "10", "s1", "DESCENDING")
	}
	l := newLogStore(1)
	fillLog(l, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), 20)
	now := time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC).UnixMilli()
	f.Fuzz(func(t *testing.T, filter, limit, after, order string) {
		q, err := parseLogQuery(logGetter(url.Values{"filter": {filter}, "limit": {limit}, "after": {after}, "sortOrder": {order}}), now)
		if err != nil {
			if _, ok := err.(errLogQuery); !ok {
				t.Fatalf("error %v is not an errLogQuery", err)
			}
			return
		}
		page, _, _ := l.query(q)
		if len(page) > q.limit {
			t.Fatalf("page of %d events for limit %d", len(page), q.limit)
		}
	})
}

// all returns a copy of every event, oldest first, for the tests to
// compare with what the API served.
func (l *logStore) all() []LogEvent {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]LogEvent(nil), l.events...)
}
