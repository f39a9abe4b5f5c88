package oktasim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"time"
)

// System Log event types the simulator writes, as Okta names them.
const (
	EventUserCreate           = "user.lifecycle.create"
	EventUserUpdateProfile    = "user.account.update_profile"
	EventUserDeactivate       = "user.lifecycle.deactivate"
	EventUserSuspend          = "user.lifecycle.suspend"
	EventUserUnsuspend        = "user.lifecycle.unsuspend"
	EventUserDelete           = "user.lifecycle.delete.initiated"
	EventGroupMemberAdd       = "group.user_membership.add"
	EventGroupMemberRemove    = "group.user_membership.remove"
	EventGroupCreate          = "group.lifecycle.create"
	EventGroupUpdate          = "group.profile.update"
	EventGroupDelete          = "group.lifecycle.delete"
	EventAppUserAdd           = "application.user_membership.add"
	EventAppUserRemove        = "application.user_membership.remove"
	EventGroupAppAssignAdd    = "group.application_assignment.add"
	EventGroupAppAssignRemove = "group.application_assignment.remove"
	EventAppUpdate            = "application.lifecycle.update"
)

// Actor and target types of the events.
const (
	logTargetUser    = "User"
	logTargetGroup   = "UserGroup"
	logTargetApp     = "AppInstance"
	logTargetAppUser = "AppUser"
	logActorUser     = "User"
	logActorClient   = "PublicClientApp"
	logActorSystem   = "SystemPrincipal"
)

// Query limits and defaults of GET /api/v1/logs.
const (
	logDefaultLimit  = 100
	logMaxLimit      = 1000
	logDefaultWindow = 7 * 24 * time.Hour // since defaults to until (or now) minus this
	logRetention     = 90 * 24 * time.Hour
	logMaxKeywords   = 10
	logTimeFormat    = "2006-01-02T15:04:05.000Z"
	logCursorPrefix  = "s"
)

// eventMeta gives each event type Okta's display message and legacy type.
var eventMeta = map[string]struct{ message, legacy string }{
	EventUserCreate:        {"Create Okta user", "core.user.config.user_creation.success"},
	EventUserUpdateProfile: {"Update user profile for Okta", "core.user.config.profile_update.success"},
	EventUserDeactivate:    {"Deactivate Okta user", "core.user.config.user_deactivated"},
	EventUserSuspend:       {"Suspend Okta user", "core.user.config.user_status.suspend"},
	EventUserUnsuspend:     {"Unsuspend Okta user", "core.user.config.user_status.unsuspend"},
	EventUserDelete:        {"Delete Okta user", "core.user.config.user_deleted"},
	EventGroupMemberAdd:    {"Add user to group membership", "core.user_group_member.user_add"},
	EventGroupMemberRemove: {"Remove user from group membership", "core.user_group_member.user_remove"},
	EventGroupCreate:       {"Create Okta group", "core.user_group.created"},
	EventGroupUpdate:       {"Update Okta group profile", "core.user_group.profile_updated"},
	EventGroupDelete:       {"Delete Okta group", "core.user_group.deleted"},
	EventAppUserAdd:        {"Add user to application membership", "app.generic.provision.assign_user_to_app"},
	EventAppUserRemove:     {"Remove user from application membership", "app.generic.unprovision.unassign_user_from_app"},
	// Captured events (testdata/logs) carry the new name as legacy type.
	EventGroupAppAssignAdd:    {"Add assigned application to group", "group.application_assignment.add"},
	EventGroupAppAssignRemove: {"Remove assigned application from group", "group.application_assignment.remove"},
	EventAppUpdate:            {"Update application", "app.generic.config.app_updated"},
}

// LogEvent is one System Log event with the fields Okta fills for
// administrative changes.
type LogEvent struct {
	UUID            string          `json:"uuid"`
	Published       string          `json:"published"`
	EventType       string          `json:"eventType"`
	Version         string          `json:"version"`
	Severity        string          `json:"severity"`
	DisplayMessage  string          `json:"displayMessage"`
	Actor           LogActor        `json:"actor"`
	Client          LogClient       `json:"client"`
	Outcome         LogOutcome      `json:"outcome"`
	Target          []LogTarget     `json:"target"`
	Transaction     LogTransaction  `json:"transaction"`
	DebugContext    LogDebugContext `json:"debugContext"`
	LegacyEventType string          `json:"legacyEventType,omitempty"`

	seq       uint64 // position in the log, 1-based; cursors point at it
	published int64  // ms on the sim clock
}

// LogActor is who made the change.
type LogActor struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

// LogClient is where the request came from.
type LogClient struct {
	IPAddress string       `json:"ipAddress,omitempty"`
	UserAgent LogUserAgent `json:"userAgent"`
	Zone      string       `json:"zone"`
}

// LogUserAgent is the client's user agent.
type LogUserAgent struct {
	RawUserAgent string `json:"rawUserAgent"`
	OS           string `json:"os"`
	Browser      string `json:"browser"`
}

// LogOutcome is how the action ended.
type LogOutcome struct {
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
}

// LogTarget is one object the event is about.
type LogTarget struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	AlternateID string `json:"alternateId"`
	DisplayName string `json:"displayName"`
}

// LogTransaction groups the events of one request or job.
type LogTransaction struct {
	Type   string         `json:"type"`
	ID     string         `json:"id"`
	Detail map[string]any `json:"detail"`
}

// LogDebugContext carries request details.
type LogDebugContext struct {
	DebugData map[string]string `json:"debugData"`
}

// logStore is the org's System Log: append-only, in publish order.
// Cursors are positions, so a poll never skips or repeats an event even
// when several share a millisecond.
type logStore struct {
	mu     gosync.RWMutex
	seed   int64
	events []LogEvent
	noise  *noiseSource // background events; nil: none
}

// setNoise installs (or, with nil, removes) the background noise stream.
func (l *logStore) setNoise(n *noiseSource) {
	l.mu.Lock()
	l.noise = n
	l.mu.Unlock()
}

func newLogStore(seed int64) *logStore { return &logStore{seed: seed} }

// reset empties the log (POST /__sim/reset).
func (l *logStore) reset() {
	l.mu.Lock()
	l.events = nil
	l.mu.Unlock()
}

// logOrigin says who made a change and through what.
type logOrigin struct {
	actor       LogActor
	client      LogClient
	transaction string // shared by the events of one request or churn change
	requestURI  string // the API request that made the change, if any
}

// add appends an event published at ms (the sim clock), filling the
// fields Okta derives (uuid, message, version).
func (l *logStore) add(ms int64, eventType string, from logOrigin, targets ...LogTarget) LogEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.events); n > 0 && ms < l.events[n-1].published {
		// The log is ordered by publication; a caller whose clock reading
		// predates the last event (concurrent writers) is published after
		// it rather than before it.
		ms = l.events[n-1].published
	}
	seq := uint64(len(l.events) + 1)
	meta := eventMeta[eventType]
	ev := LogEvent{
		UUID:            logUUID(l.seed, seq),
		Published:       time.UnixMilli(ms).UTC().Format(logTimeFormat),
		EventType:       eventType,
		Version:         "0",
		Severity:        "INFO",
		DisplayMessage:  meta.message,
		Actor:           from.actor,
		Client:          from.client,
		Outcome:         LogOutcome{Result: "SUCCESS"},
		Target:          targets,
		Transaction:     LogTransaction{Type: "WEB", ID: from.transaction, Detail: map[string]any{}},
		DebugContext:    LogDebugContext{DebugData: map[string]string{}},
		LegacyEventType: meta.legacy,
		seq:             seq,
		published:       ms,
	}
	if from.requestURI != "" {
		ev.DebugContext.DebugData["requestUri"] = from.requestURI
	}
	if ev.Client.Zone == "" {
		ev.Client.Zone = "null"
	}
	if ev.Transaction.ID == "" {
		ev.Transaction.ID = logUUID(l.seed^0x5eed, seq)
	}
	l.events = append(l.events, ev)
	return ev
}

// logUUID derives a version-4-shaped UUID from the seed and a sequence
// number so that a seeded run's log is reproducible.
func logUUID(seed int64, seq uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(seed))
	binary.BigEndian.PutUint64(b[8:], seq)
	sum := sha256.Sum256(b[:])
	sum[6] = sum[6]&0x0f | 0x40
	sum[8] = sum[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// logQuery is a parsed GET /api/v1/logs request.
type logQuery struct {
	since, until int64 // ms; until 0 = polling (open-ended)
	hasUntil     bool
	filter       logFilter
	keywords     []string
	limit        int
	descending   bool
	after        logPos // where the previous page stopped
	hasAfter     bool
	// horizon is the ingestion horizon (ms): only stored events published
	// before it are visible (see Options.LogLag). Noise is visible before
	// noiseHorizon, which is also never past now: noise is generated for
	// any time, but has not happened before its time comes.
	horizon, noiseHorizon int64
}

// logPos is a position in the log, which merges the stored events with
// the noise stream: the numbers of stored and noise events before it.
type logPos struct{ stored, noise uint64 }

// errLogQuery is a problem with one query parameter.
type errLogQuery struct{ field, why string }

func (e errLogQuery) Error() string { return e.field + ": " + e.why }

// parseLogQuery reads the query parameters of GET /api/v1/logs, with
// Okta's defaults: since = 7 days before until (or now), limit 100.
func parseLogQuery(get func(string) (string, bool), nowMS int64) (logQuery, error) {
	q := logQuery{limit: logDefaultLimit, horizon: math.MaxInt64, noiseHorizon: nowMS + 1}
	parseTime := func(name string) (int64, bool, error) {
		v, ok := get(name)
		if !ok {
			return 0, false, nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return 0, false, errLogQuery{name, fmt.Sprintf("%q is not an ISO 8601 timestamp", v)}
		}
		return t.UnixMilli(), true, nil
	}
	var err error
	var hasSince bool
	if q.since, hasSince, err = parseTime("since"); err != nil {
		return q, err
	}
	if q.until, q.hasUntil, err = parseTime("until"); err != nil {
		return q, err
	}
	end := nowMS
	if q.hasUntil {
		end = q.until
	}
	if !hasSince {
		q.since = end - logDefaultWindow.Milliseconds()
	}
	if q.since < nowMS-logRetention.Milliseconds() {
		q.since = nowMS - logRetention.Milliseconds()
	}
	if q.hasUntil && q.until < q.since {
		return q, errLogQuery{"until", "must not be before since"}
	}
	if v, ok := get("limit"); ok {
		// Like the other list operations: above the maximum is clamped,
		// zero, negative or non-numeric is an error.
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 {
			return q, errLogQuery{"limit", "must be a positive integer"}
		}
		q.limit = min(int(n), logMaxLimit)
	}
	if v, ok := get("sortOrder"); ok {
		switch v {
		case "ASCENDING":
		case "DESCENDING":
			q.descending = true
		default:
			return q, errLogQuery{"sortOrder", "must be ASCENDING or DESCENDING"}
		}
	}
	if v, ok := get("filter"); ok {
		f, err := parseLogFilter(v)
		if err != nil {
			return q, errLogQuery{"filter", err.Error()}
		}
		q.filter = f
	}
	if v, ok := get("q"); ok {
		q.keywords = strings.Fields(strings.ToLower(v))
		if len(q.keywords) > logMaxKeywords {
			return q, errLogQuery{"q", fmt.Sprintf("at most %d keywords", logMaxKeywords)}
		}
	}
	if v, ok := get("after"); ok {
		pos, err := parseLogCursor(v)
		if err != nil {
			return q, err
		}
		q.after, q.hasAfter = pos, true
	}
	return q, nil
}

// logCursor encodes a position in the log as an opaque-looking token.
func logCursor(p logPos) string {
	return logCursorPrefix + strconv.FormatUint(p.stored, 36) + "." + strconv.FormatUint(p.noise, 36)
}

func parseLogCursor(v string) (logPos, error) {
	rest, ok := strings.CutPrefix(v, logCursorPrefix)
	stored, noise, two := strings.Cut(rest, ".")
	if !ok || !two || stored == "" || noise == "" {
		return logPos{}, errLogQuery{"after", "invalid cursor"}
	}
	a, err1 := strconv.ParseUint(stored, 36, 64)
	n, err2 := strconv.ParseUint(noise, 36, 64)
	if err1 != nil || err2 != nil {
		return logPos{}, errLogQuery{"after", "invalid cursor"}
	}
	return logPos{a, n}, nil
}

// logWalk steps through the log in one direction, merging stored events
// with the noise stream by publication time (stored first on a tie).
type logWalk struct {
	l    *logStore
	q    *logQuery
	pos  logPos
	desc bool
	// noiseMayMatch says whether noise of a type can pass the filter,
	// when the filter looks at nothing but eventType; nil otherwise.
	noiseMayMatch map[string]bool
}

// peek returns the time of the next event and whether it is stored; ok
// is false at the end of the log (or past since/until/the horizon).
func (w *logWalk) peek() (ms int64, stored, ok bool) {
	l, q, n := w.l, w.q, w.l.noise
	var sMS, nMS int64
	var sOK, nOK bool
	if !w.desc {
		// Each stream ends at its own horizon: noise that has not happened
		// yet must not hide stored events stamped after it (a burst of
		// changes is stamped a millisecond apart and can run ahead of the
		// clock), or a poll would stop short of them.
		if w.pos.stored < uint64(len(l.events)) {
			sMS = l.events[w.pos.stored].published
			sOK = sMS < w.horizon(true)
		}
		if n != nil {
			nMS = n.at(w.pos.noise)
			nOK = nMS < w.horizon(false)
		}
		switch {
		case sOK && (!nOK || sMS <= nMS):
			ms, stored = sMS, true
		case nOK:
			ms = nMS
		default:
			return 0, false, false
		}
		return ms, stored, !q.hasUntil || ms < q.until
	}
	if w.pos.stored > 0 {
		sMS, sOK = l.events[w.pos.stored-1].published, true
	}
	if n != nil && w.pos.noise > 0 {
		nMS, nOK = n.at(w.pos.noise-1), true
	}
	switch {
	case nOK && (!sOK || nMS >= sMS):
		ms = nMS
	case sOK:
		ms, stored = sMS, true
	default:
		return 0, false, false
	}
	return ms, stored, ms >= q.since
}

// take consumes the next event and returns it when it matches the query.
func (w *logWalk) take(stored bool) (LogEvent, bool) {
	var i uint64
	switch {
	case stored && !w.desc:
		i, w.pos.stored = w.pos.stored, w.pos.stored+1
	case stored:
		w.pos.stored--
		i = w.pos.stored
	case !w.desc:
		i, w.pos.noise = w.pos.noise, w.pos.noise+1
	default:
		w.pos.noise--
		i = w.pos.noise
	}
	if stored {
		ev := &w.l.events[i]
		return *ev, w.match(ev, true)
	}
	if w.noiseMayMatch != nil && !w.noiseMayMatch[w.l.noise.kind(i)] {
		return LogEvent{}, false
	}
	ev := w.l.noise.event(i)
	return ev, w.match(&ev, false)
}

// horizon is the visibility horizon of stored events or of noise.
func (w *logWalk) horizon(stored bool) int64 {
	if stored {
		return w.q.horizon
	}
	return w.q.noiseHorizon
}

func (w *logWalk) match(ev *LogEvent, stored bool) bool {
	q := w.q
	if ev.published < q.since || (q.hasUntil && ev.published >= q.until) || ev.published >= w.horizon(stored) {
		return false
	}
	return q.filter.match(ev) && matchKeywords(ev, q.keywords)
}

// query returns one page of events and the cursor of the next page. In
// polling mode (no until, ascending) there is always a next cursor: it
// points after the last event considered (or stays put on an empty page),
// so the next poll returns only newer events. Bounded queries have a next
// cursor only while more events remain.
func (l *logStore) query(q logQuery) (page []LogEvent, next string, hasNext bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	w := &logWalk{l: l, q: &q, desc: q.descending}
	if len(q.keywords) == 0 && q.filter.onlyEventType() && l.noise != nil {
		w.noiseMayMatch = map[string]bool{}
		for _, typ := range noiseKinds {
			w.noiseMayMatch[typ] = q.filter.match(&LogEvent{EventType: typ})
		}
	}
	switch {
	case q.hasAfter:
		w.pos = q.after
	case !q.descending:
		w.pos.stored = uint64(sort.Search(len(l.events), func(i int) bool { return l.events[i].published >= q.since }))
		if l.noise != nil {
			w.pos.noise = l.noise.first(q.since)
		}
	default:
		end := func(h int64) int64 {
			if q.hasUntil {
				return min(h, q.until)
			}
			return h
		}
		w.pos.stored = uint64(sort.Search(len(l.events), func(i int) bool { return l.events[i].published >= end(q.horizon) }))
		if l.noise != nil {
			w.pos.noise = l.noise.first(end(q.noiseHorizon))
		}
	}
	w.pos.stored = min(w.pos.stored, uint64(len(l.events)))
	for len(page) < q.limit {
		_, stored, ok := w.peek()
		if !ok {
			break
		}
		if ev, ok := w.take(stored); ok {
			page = append(page, ev)
		}
	}
	here := w.pos
	if !q.hasUntil && !q.descending {
		return page, logCursor(here), true
	}
	for {
		_, stored, ok := w.peek()
		if !ok {
			return page, "", false
		}
		if _, ok := w.take(stored); ok {
			return page, logCursor(here), true
		}
	}
}

// matchKeywords implements q: every keyword must occur in the event's
// message, type, actor or targets (case-insensitive).
func matchKeywords(ev *LogEvent, kw []string) bool {
	if len(kw) == 0 {
		return true
	}
	var sb strings.Builder
	sb.WriteString(ev.DisplayMessage + " " + ev.EventType + " " + ev.Actor.ID + " " + ev.Actor.AlternateID + " " + ev.Actor.DisplayName)
	for _, t := range ev.Target {
		sb.WriteString(" " + t.ID + " " + t.AlternateID + " " + t.DisplayName)
	}
	hay := strings.ToLower(sb.String())
	for _, k := range kw {
		if !strings.Contains(hay, k) {
			return false
		}
	}
	return true
}

// logFilter is a parsed System Log filter expression: a disjunction of
// conjunctions of comparisons (SCIM-style: "and" binds tighter than "or",
// parentheses group).
type logFilter struct {
	root *filterNode
}

type filterNode struct {
	op          string // "or", "and", or a comparison operator
	left, right *filterNode
	attr, value string
}

func (f logFilter) match(ev *LogEvent) bool {
	return f.root == nil || f.root.eval(ev)
}

// onlyEventType reports whether the filter looks at nothing but the
// event type (so that an event's type alone decides a match).
func (f logFilter) onlyEventType() bool {
	var only func(n *filterNode) bool
	only = func(n *filterNode) bool {
		if n == nil {
			return true
		}
		if n.op == "or" || n.op == "and" {
			return only(n.left) && only(n.right)
		}
		return n.attr == "eventType"
	}
	return only(f.root)
}

func (n *filterNode) eval(ev *LogEvent) bool {
	switch n.op {
	case "or":
		return n.left.eval(ev) || n.right.eval(ev)
	case "and":
		return n.left.eval(ev) && n.right.eval(ev)
	}
	for _, v := range logAttr(ev, n.attr) {
		if compare(n.op, v, n.value) {
			return true
		}
	}
	return false
}

func compare(op, have, want string) bool {
	switch op {
	case "eq":
		return have == want
	case "ne":
		return have != want
	case "sw":
		return strings.HasPrefix(have, want)
	case "co":
		return strings.Contains(have, want)
	}
	return false
}

// logFilterAttrs are the event attributes filters may name.
var logFilterAttrs = map[string]bool{
	"eventType": true, "legacyEventType": true, "severity": true, "uuid": true,
	"displayMessage": true, "outcome.result": true, "transaction.id": true,
	"actor.id": true, "actor.type": true, "actor.alternateId": true, "actor.displayName": true,
	"target.id": true, "target.type": true, "target.alternateId": true, "target.displayName": true,
	"client.ipAddress": true, "client.zone": true,
}

// logAttr returns the values of attr in ev; target.* has one per target.
func logAttr(ev *LogEvent, attr string) []string {
	switch attr {
	case "eventType":
		return []string{ev.EventType}
	case "legacyEventType":
		return []string{ev.LegacyEventType}
	case "severity":
		return []string{ev.Severity}
	case "uuid":
		return []string{ev.UUID}
	case "displayMessage":
		return []string{ev.DisplayMessage}
	case "outcome.result":
		return []string{ev.Outcome.Result}
	case "transaction.id":
		return []string{ev.Transaction.ID}
	case "actor.id":
		return []string{ev.Actor.ID}
	case "actor.type":
		return []string{ev.Actor.Type}
	case "actor.alternateId":
		return []string{ev.Actor.AlternateID}
	case "actor.displayName":
		return []string{ev.Actor.DisplayName}
	case "client.ipAddress":
		return []string{ev.Client.IPAddress}
	case "client.zone":
		return []string{ev.Client.Zone}
	}
	var out []string
	for _, t := range ev.Target {
		switch attr {
		case "target.id":
			out = append(out, t.ID)
		case "target.type":
			out = append(out, t.Type)
		case "target.alternateId":
			out = append(out, t.AlternateID)
		case "target.displayName":
			out = append(out, t.DisplayName)
		}
	}
	return out
}

// parseLogFilter parses expressions such as
// `eventType eq "user.lifecycle.create" or (target.id eq "00u1" and outcome.result eq "SUCCESS")`.
func parseLogFilter(s string) (logFilter, error) {
	toks, err := lexFilter(s)
	if err != nil {
		return logFilter{}, err
	}
	p := &filterParser{toks: toks}
	n, err := p.or()
	if err != nil {
		return logFilter{}, err
	}
	if p.pos != len(p.toks) {
		return logFilter{}, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	return logFilter{root: n}, nil
}

type filterToken struct {
	text   string
	quoted bool
}

func lexFilter(s string) ([]filterToken, error) {
	var toks []filterToken
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(' || c == ')':
			toks = append(toks, filterToken{text: string(c)})
			i++
		case c == '"':
			var sb strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				sb.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, errors.New("unterminated string")
			}
			toks = append(toks, filterToken{text: sb.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n()\"", rune(s[j])) {
				j++
			}
			toks = append(toks, filterToken{text: s[i:j]})
			i = j
		}
	}
	if len(toks) == 0 {
		return nil, errors.New("empty expression")
	}
	return toks, nil
}

type filterParser struct {
	toks []filterToken
	pos  int
}

func (p *filterParser) keyword(k string) bool {
	if p.pos < len(p.toks) && !p.toks[p.pos].quoted && strings.EqualFold(p.toks[p.pos].text, k) {
		p.pos++
		return true
	}
	return false
}

func (p *filterParser) or() (*filterNode, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = &filterNode{op: "or", left: left, right: right}
	}
	return left, nil
}

func (p *filterParser) and() (*filterNode, error) {
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		right, err := p.term()
		if err != nil {
			return nil, err
		}
		left = &filterNode{op: "and", left: left, right: right}
	}
	return left, nil
}

func (p *filterParser) term() (*filterNode, error) {
	if p.keyword("(") {
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.keyword(")") {
			return nil, errors.New("missing )")
		}
		return n, nil
	}
	if p.pos+3 > len(p.toks) {
		return nil, errors.New("incomplete comparison")
	}
	attr, op, val := p.toks[p.pos], p.toks[p.pos+1], p.toks[p.pos+2]
	if attr.quoted || !logFilterAttrs[attr.text] {
		return nil, fmt.Errorf("unsupported attribute %q", attr.text)
	}
	opName := strings.ToLower(op.text)
	switch opName {
	case "eq", "ne", "sw", "co":
	default:
		return nil, fmt.Errorf("unsupported operator %q", op.text)
	}
	if !val.quoted {
		return nil, fmt.Errorf("value for %s must be a quoted string", attr.text)
	}
	p.pos += 3
	return &filterNode{op: opName, attr: attr.text, value: val.text}, nil
}

// listLogs serves GET /api/v1/logs with Okta's polling semantics: without
// until, the next link is always there (also on an empty page) and
// returns only events newer than the page it came from.
func (s *Sim) listLogs(c *call) {
	q, err := parseLogQuery(func(k string) (string, bool) {
		if !c.query.Has(k) {
			return "", false
		}
		return c.query.Get(k), true
	}, s.nowMS())
	var bad errLogQuery
	switch {
	case errors.As(err, &bad) && (bad.field == "filter" || bad.field == "q"):
		c.badSearch(bad.Error())
		return
	case errors.As(err, &bad):
		c.badRequest(bad.field, bad.why)
		return
	case err != nil:
		c.badRequest("query", err.Error())
		return
	}
	if s.opts.LogLag > 0 {
		q.horizon = s.nowMS() - s.opts.LogLag.Milliseconds()
		q.noiseHorizon = min(q.noiseHorizon, q.horizon)
	}
	// The noise's actors are read from the org.
	s.mu.RLock()
	page, next, hasNext := s.ext.logs.query(q)
	s.mu.RUnlock()
	if page == nil {
		page = []LogEvent{}
	}
	b, err := json.Marshal(page)
	if err != nil {
		c.fail(http.StatusInternalServerError, "E0000009", "Internal Server Error", "encode log events: "+err.Error())
		return
	}
	c.body = append(c.body[:0], b...)
	self := c.base + "/api/v1/logs"
	if raw := c.r.URL.RawQuery; raw != "" {
		self += "?" + raw
	}
	c.links = append(c.links, "<"+self+`>; rel="self"`)
	if hasNext {
		v := url.Values{}
		for k, vals := range c.query {
			if k != "after" {
				v[k] = vals
			}
		}
		v.Set("after", next)
		c.links = append(c.links, "<"+c.base+"/api/v1/logs?"+v.Encode()+`>; rel="next"`)
	}
}
