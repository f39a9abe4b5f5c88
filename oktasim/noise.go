package oktasim

import (
	"strconv"
	"time"
)

// Background System Log noise: what most of a real org's log is — sign-ins,
// sign-on policy evaluations, app SSO and sign-outs — at a steady rate per
// active user. The events are never stored: event k of the stream is a pure
// function of (seed, k), published at a fixed time after the stream's
// epoch, so a day of noise at scenario L costs no memory and every poll
// sees the same events with the same uuids.
//
// Shapes follow captured events (testdata/logs/sign-in-noise.json, from
// Elastic's Okta integration test data: user.session.start,
// policy.evaluate_sign_on with its PolicyEntity and PolicyRule targets,
// user.session.end) and, for user.authentication.sso, a captured event from
// an Okta developer org in a public test fixture: targets AppInstance
// (detailEntry signOnModeType) and AppUser (0ua…), legacy type app.auth.sso.

// Noise event types.
const (
	EventSessionStart = "user.session.start"
	EventSignOnPolicy = "policy.evaluate_sign_on"
	EventAppSSO       = "user.authentication.sso"
	EventSessionEnd   = "user.session.end"
)

// DefaultLogNoise is the noise rate of a sim whose Options leave it zero:
// events per active user per day (a sign-in with its policy evaluation
// and a handful of app SSOs a working day is a few per user; busy orgs log
// more).
const DefaultLogNoise = 20

const dayMS = 24 * 60 * 60 * 1000

// noiseKinds picks an event type from a hash: three in ten sign-ins, three
// policy evaluations, three app SSOs, one sign-out.
var noiseKinds = [10]string{
	EventSessionStart, EventSessionStart, EventSessionStart,
	EventSignOnPolicy, EventSignOnPolicy, EventSignOnPolicy,
	EventAppSSO, EventAppSSO, EventAppSSO,
	EventSessionEnd,
}

func init() {
	eventMeta[EventSessionStart] = struct{ message, legacy string }{"User login to Okta", "core.user_auth.login_success"}
	eventMeta[EventSignOnPolicy] = struct{ message, legacy string }{"Evaluation of sign-on policy", ""}
	eventMeta[EventAppSSO] = struct{ message, legacy string }{"User single sign on to app", "app.auth.sso"}
	eventMeta[EventSessionEnd] = struct{ message, legacy string }{"User logout from Okta", "core.user_auth.logout_success"}
}

// noiseSource is the noise stream of one org, from epoch on.
type noiseSource struct {
	seed   int64
	epoch  int64  // ms of event 0
	perDay uint64 // events per day
	org    *org   // profiles of the actors; read under Sim.mu
	users  []*user
	apps   []*app
}

// newNoiseSource starts a stream at epoch with perUser events per active
// user of o per day; nil when there is nothing to log.
func newNoiseSource(o *org, seed int64, epoch int64, perUser int) *noiseSource {
	n := &noiseSource{seed: seed, epoch: epoch, org: o, apps: o.apps}
	for _, u := range o.users {
		if u.status == "ACTIVE" {
			n.users = append(n.users, u)
		}
	}
	n.perDay = uint64(perUser) * uint64(len(n.users))
	if perUser <= 0 || n.perDay == 0 {
		return nil
	}
	return n
}

// at is the publication time of event k.
func (n *noiseSource) at(k uint64) int64 {
	return n.epoch + int64(k/n.perDay*dayMS+k%n.perDay*dayMS/n.perDay)
}

// first is the index of the first event published at or after ms.
func (n *noiseSource) first(ms int64) uint64 {
	if ms <= n.epoch {
		return 0
	}
	d := uint64(ms - n.epoch)
	k := d/dayMS*n.perDay + d%dayMS*n.perDay/dayMS
	for k > 0 && n.at(k-1) >= ms {
		k--
	}
	for n.at(k) < ms {
		k++
	}
	return k
}

func (n *noiseSource) hash(k uint64) uint64 {
	return mix64(uint64(n.seed) ^ 0x6e6f697365<<8 ^ mix64(k))
}

// kind is the event type of event k, without building it.
func (n *noiseSource) kind(k uint64) string { return noiseKinds[n.hash(k)%10] }

// Policy ids of the org's default sign-on policy and rule.
func (n *noiseSource) policyIDs() (policy, rule string) {
	return oktaID("00p", n.seed, "policy/default-sign-on"), oktaID("0pr", n.seed, "policy/default-sign-on/rule")
}

// event builds event k.
func (n *noiseSource) event(k uint64) LogEvent {
	h := n.hash(k)
	typ := noiseKinds[h%10]
	h /= 10
	u := n.users[h%uint64(len(n.users))]
	h /= uint64(len(n.users))
	p := n.org.profile(u)
	person := LogActor{ID: u.id, Type: logActorUser, AlternateID: p.Login, DisplayName: displayName(p)}
	// A session's events share the session's transaction: one per user
	// and hour is close enough for a sign-in, its policy check and SSOs.
	ms := n.at(k)
	txn := oktaID("X", n.seed, "session/"+u.id+"/"+strconv.FormatInt(ms/3_600_000, 36))
	meta := eventMeta[typ]
	ev := LogEvent{
		UUID:            logUUID(n.seed^0x6e6f697365, k),
		Published:       time.UnixMilli(ms).UTC().Format(logTimeFormat),
		EventType:       typ,
		Version:         "0",
		Severity:        "INFO",
		DisplayMessage:  meta.message,
		Actor:           person,
		Client:          noiseClients[h%uint64(len(noiseClients))],
		Outcome:         LogOutcome{Result: "SUCCESS"},
		Transaction:     LogTransaction{Type: "WEB", ID: txn, Detail: map[string]any{}},
		DebugContext:    LogDebugContext{DebugData: map[string]string{}},
		LegacyEventType: meta.legacy,
		published:       ms,
	}
	// The captured sign-ins and sign-outs have "target": null, but the
	// spec's LogEvent.target is a non-nullable array: send it empty.
	ev.Target = []LogTarget{}
	switch typ {
	case EventSessionStart:
		ev.DebugContext.DebugData["requestUri"] = "/api/v1/authn"
	case EventSessionEnd:
		ev.DebugContext.DebugData["requestUri"] = "/login/signout"
	case EventSignOnPolicy:
		policy, rule := n.policyIDs()
		ev.Outcome = LogOutcome{Result: "ALLOW", Reason: "Sign-on policy evaluation resulted in ALLOW"}
		ev.Target = []LogTarget{
			{ID: policy, Type: "PolicyEntity", AlternateID: "unknown", DisplayName: "Default Policy"},
			{ID: rule, Type: "PolicyRule", AlternateID: policy, DisplayName: "Default Rule"},
		}
		ev.DebugContext.DebugData["requestUri"] = "/api/v1/authn"
	case EventAppSSO:
		if len(n.apps) == 0 {
			break
		}
		a := n.apps[(h>>8)%uint64(len(n.apps))]
		record := LogTarget{ID: appUserRecordID(n.seed, a, u), Type: logTargetAppUser, AlternateID: p.Login, DisplayName: displayName(p)}
		ev.Target = []LogTarget{appTarget(a), record}
		ev.DebugContext.DebugData["requestUri"] = "/app/" + a.name + "/" + a.id + "/sso/saml"
	}
	return ev
}

// noiseClients are the browsers the noise comes from.
var noiseClients = []LogClient{
	{IPAddress: "175.16.199.1", Zone: "null", UserAgent: LogUserAgent{RawUserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:72.0) Gecko/20100101 Firefox/72.0", OS: "Mac OS X", Browser: "FIREFOX"}},
	{IPAddress: "198.51.100.77", Zone: "null", UserAgent: LogUserAgent{RawUserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", OS: "Windows 10", Browser: "CHROME"}},
	{IPAddress: "203.0.113.42", Zone: "null", UserAgent: LogUserAgent{RawUserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", OS: "iOS", Browser: "MOBILE_SAFARI"}},
}

// LogNoiseEvents is how many background events the System Log gains in d
// (0 when the noise is off).
func (s *Sim) LogNoiseEvents(d time.Duration) int {
	s.ext.logs.mu.RLock()
	defer s.ext.logs.mu.RUnlock()
	n := s.ext.logs.noise
	if n == nil {
		return 0
	}
	return int(n.perDay * uint64(d.Milliseconds()) / dayMS)
}
