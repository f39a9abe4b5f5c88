package oktasim

import (
	"bytes"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// The encoders below append Okta's JSON shapes directly to a byte slice:
// list pages are the sim's hot path, and reflection-based encoding of
// nested maps would make the sim, not the client, the bottleneck of a
// sync benchmark.

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes appendEsc copies unchanged: one table
// load per byte instead of six comparisons, on every string of every page.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendStr appends s as a JSON string.
func appendStr(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEsc(b, s)
	return append(b, '"')
}

// appendEsc appends s escaped for a JSON string like encoding/json does
// (including <, > and &, and invalid UTF-8 replaced by U+FFFD), without
// the quotes.
func appendEsc(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// appendTime appends a timestamp in Okta's format, or null for 0.
func appendTime(b []byte, ms int64) []byte {
	if ms == 0 {
		return append(b, "null"...)
	}
	days, msOfDay := ms/msPerDay, ms%msPerDay
	if msOfDay < 0 {
		days, msOfDay = days-1, msOfDay+msPerDay
	}
	year, month, d := civilDate(days)
	if year < 0 || year > 9999 {
		b = append(b, '"')
		b = time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		return append(b, '"')
	}
	secs := int(msOfDay / 1000)
	hh, mm, ss, milli := secs/3600, secs/60%60, secs%60, int(msOfDay%1000)
	// Formatting by hand: timestamps are most of a page's fields, and
	// AppendFormat's layout parsing (then time's own calendar arithmetic)
	// showed up in profiles.
	return append(b, '"',
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+hh/10), byte('0'+hh%10), ':', byte('0'+mm/10), byte('0'+mm%10), ':',
		byte('0'+ss/10), byte('0'+ss%10), '.', byte('0'+milli/100), byte('0'+milli/10%10), byte('0'+milli%10), 'Z', '"')
}

const msPerDay = 24 * 60 * 60 * 1000

// civilDate converts days since 1970-01-01 to a Gregorian date (Howard
// Hinnant's civil_from_days: integer arithmetic only, unsigned so that
// the divisions by constants stay cheap). Dates before year 0 report
// year -1 and the caller falls back to the time package.
func civilDate(days int64) (year, month, day int) {
	if days < -719468 {
		return -1, 1, 1
	}
	z := uint64(days + 719468)                             // days since 0000-03-01
	era := z / 146097                                      // 400-year eras
	doe := z - era*146097                                  // day of the era
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // year of the era
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // day of the year from March 1st
	mp := (5*doy + 2) / 153                                // month from March = 0
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}

// fmtTime formats a timestamp in Okta's format.
func fmtTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// baseMemo memoises the JSON-escaped org URLs last seen (see escBase):
// a few slots, because parallel tests run several sims in one process.
var (
	baseMemo     [4]atomic.Pointer[[2]string]
	baseMemoNext atomic.Uint32
)

// escBase returns base escaped for a JSON string. Every link of every
// object starts with the org URL, and a server sees one or two of them,
// so escaping it once beats escaping it per link.
func escBase(base string) string {
	for i := range baseMemo {
		if p := baseMemo[i].Load(); p != nil && p[0] == base {
			return p[1]
		}
	}
	e := string(appendEsc(nil, base))
	baseMemo[baseMemoNext.Add(1)%uint32(len(baseMemo))].Store(&[2]string{base, e})
	return e
}

// appendKey appends `"key":` after a comma unless it is the first field.
func appendKey(b []byte, key string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// appendOptStr appends ,"key":"v" when v is set.
func appendOptStr(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = appendKey(b, key, false)
	return appendStr(b, v)
}

// appendHref appends {"href":"<base><parts...>"} without building the
// URL string first (links are on every object of every page).
func appendHref(b []byte, base string, parts ...string) []byte {
	b = append(b, `{"href":"`...)
	b = append(b, escBase(base)...)
	for _, p := range parts {
		b = appendEsc(b, p)
	}
	return append(b, '"')
}

// appendUserBody appends a user object up to (not including) its _links
// and closing brace, i.e. `{"id":...,"credentials":{...}`.
func (o *org) appendUserBody(b []byte, u *user) []byte {
	p := o.profile(u)
	b = append(b, `{"id":`...)
	b = appendStr(b, u.id)
	b = append(b, `,"status":`...)
	b = appendStr(b, u.status)
	b = append(b, `,"created":`...)
	b = appendTime(b, u.created)
	b = append(b, `,"activated":`...)
	b = appendTime(b, u.activated)
	b = append(b, `,"statusChanged":`...)
	b = appendTime(b, u.statusChanged)
	b = append(b, `,"lastLogin":`...)
	b = appendTime(b, u.lastLogin)
	b = append(b, `,"lastUpdated":`...)
	b = appendTime(b, u.lastUpdated)
	b = append(b, `,"passwordChanged":`...)
	b = appendTime(b, u.passwordChanged)
	b = append(b, `,"type":{"id":`...)
	b = appendStr(b, idFor(o.seed, prefixUserType, 0))
	b = append(b, `},"profile":{"login":`...)
	b = appendStr(b, p.Login)
	b = append(b, `,"email":`...)
	b = appendStr(b, p.Email)
	b = appendOptStr(b, "secondEmail", p.SecondEmail)
	b = appendOptStr(b, "firstName", p.FirstName)
	b = appendOptStr(b, "lastName", p.LastName)
	b = appendOptStr(b, "displayName", p.DisplayName)
	b = appendOptStr(b, "nickName", p.NickName)
	b = appendOptStr(b, "title", p.Title)
	b = appendOptStr(b, "department", p.Department)
	b = appendOptStr(b, "division", p.Division)
	b = appendOptStr(b, "organization", p.Organization)
	b = appendOptStr(b, "manager", p.Manager)
	b = appendOptStr(b, "managerId", p.ManagerID)
	b = appendOptStr(b, "employeeNumber", p.EmployeeNumber)
	b = appendOptStr(b, "costCenter", p.CostCenter)
	b = appendOptStr(b, "mobilePhone", p.MobilePhone)
	b = appendOptStr(b, "primaryPhone", p.PrimaryPhone)
	b = appendOptStr(b, "locale", p.Locale)
	b = appendOptStr(b, "preferredLanguage", p.PreferredLanguage)
	b = appendOptStr(b, "timezone", p.Timezone)
	b = appendOptStr(b, "city", p.City)
	b = appendOptStr(b, "state", p.State)
	b = appendOptStr(b, "countryCode", p.CountryCode)
	b = appendOptStr(b, "userType", p.UserType)
	for _, a := range p.Custom {
		b = appendOptStr(b, a.Name, a.Value)
	}
	b = append(b, `},"credentials":{"provider":{"type":"OKTA","name":"OKTA"}}`...)
	return b
}

// appendUser appends the full user object.
func (o *org) appendUser(b []byte, u *user, base string) []byte {
	if !o.cacheJSON {
		return o.encodeUser(b, u, base)
	}
	if c := u.cache.Load(); c != nil && c.base == base {
		return append(b, c.json...)
	}
	start := len(b)
	b = o.encodeUser(b, u, base)
	u.cache.Store(&cachedJSON{base: base, json: slices.Clone(b[start:])})
	return b
}

// encodeUser appends the full user object without the cache.
func (o *org) encodeUser(b []byte, u *user, base string) []byte {
	b = o.appendUserBody(b, u)
	b = append(b, `,"_links":{"self":`...)
	b = appendHref(b, base, "/api/v1/users/", u.id)
	return append(b, "}}}"...)
}

// appendCachedGroup appends a group like appendGroup. The JSON around the
// stats is cached on the group and checked against the fields it was made
// from, so writes and churn need no hook to keep it fresh.
func (o *org) appendCachedGroup(b []byte, g *group, base string, stats bool) []byte {
	if !o.cacheJSON {
		return appendGroup(b, g, base, stats)
	}
	c := g.cache.Load()
	if c == nil || !c.matches(g, base) {
		start := len(b)
		b = appendGroup(b, g, base, false)
		c = &groupJSON{
			base: base, name: g.name, description: g.description, typ: g.typ, custom: g.custom,
			created: g.created, lastUpdated: g.lastUpdated, lastMembershipUpdated: g.lastMembershipUpdated,
			json: slices.Clone(b[start:]),
		}
		c.split = bytes.LastIndex(c.json, []byte(`,"_links":{"logo":`))
		g.cache.Store(c)
		if !stats {
			return b
		}
		b = b[:start]
	}
	if !stats {
		return append(b, c.json...)
	}
	b = append(b, c.json[:c.split]...)
	b = appendGroupStats(b, g)
	return append(b, c.json[c.split:]...)
}

// groupJSON is a group's cached JSON (without stats) and the fields it
// was encoded from.
type groupJSON struct {
	base, name, description, typ                string
	custom                                      *groupCustom
	created, lastUpdated, lastMembershipUpdated int64
	json                                        []byte
	split                                       int // where _embedded.stats goes
}

// matches reports whether c is still g's JSON at base.
func (c *groupJSON) matches(g *group, base string) bool {
	return c.lastMembershipUpdated == g.lastMembershipUpdated && c.lastUpdated == g.lastUpdated &&
		c.created == g.created && c.base == base && c.name == g.name &&
		c.description == g.description && c.typ == g.typ && c.custom == g.custom
}

// appendGroupStats appends a group's _embedded.stats (expand=stats).
func appendGroupStats(b []byte, g *group) []byte {
	b = append(b, `,"_embedded":{"stats":{"usersCount":`...)
	b = strconv.AppendInt(b, int64(len(g.members)), 10)
	b = append(b, `,"appsCount":`...)
	b = strconv.AppendInt(b, int64(len(g.apps)), 10)
	return append(b, `,"groupPushMappingsCount":0,"hasAdminPrivilege":false}}`...)
}

// appendGroup appends a group; stats adds _embedded.stats (expand=stats).
func appendGroup(b []byte, g *group, base string, stats bool) []byte {
	b = append(b, `{"id":`...)
	b = appendStr(b, g.id)
	b = append(b, `,"created":`...)
	b = appendTime(b, g.created)
	b = append(b, `,"lastUpdated":`...)
	b = appendTime(b, g.lastUpdated)
	b = append(b, `,"lastMembershipUpdated":`...)
	b = appendTime(b, g.lastMembershipUpdated)
	b = append(b, `,"objectClass":["okta:user_group"],"type":`...)
	b = appendStr(b, g.typ)
	b = append(b, `,"profile":{"name":`...)
	b = appendStr(b, g.name)
	// The spec's group profile description is a non-nullable string:
	// leave it out rather than send null.
	if g.description != "" {
		b = append(b, `,"description":`...)
		b = appendStr(b, g.description)
	}
	if g.custom != nil {
		for _, a := range g.custom.attrs {
			b = append(b, ',')
			b = appendStr(b, a.name)
			b = append(b, ':')
			b = append(b, a.value...)
		}
	}
	b = append(b, '}')
	if stats {
		b = appendGroupStats(b, g)
	}
	b = append(b, `,"_links":{"logo":[{"name":"medium","href":`...)
	b = append(b, '"')
	b = appendEsc(b, base)
	b = append(b, `/assets/img/logos/groups/okta-medium.png"`...)
	b = append(b, `,"type":"image/png"}],"users":`...)
	b = appendHref(b, base, "/api/v1/groups/", g.id, "/users")
	b = append(b, `},"apps":`...)
	b = appendHref(b, base, "/api/v1/groups/", g.id, "/apps")
	b = append(b, "}}}"...)
	return b
}

// appendApp appends an app in the shape its sign-on mode calls for.
func appendApp(b []byte, a *app, base string) []byte {
	b = append(b, `{"id":`...)
	b = appendStr(b, a.id)
	b = append(b, `,"name":`...)
	b = appendStr(b, a.name)
	b = append(b, `,"label":`...)
	b = appendStr(b, a.label)
	b = append(b, `,"status":`...)
	b = appendStr(b, a.status)
	b = append(b, `,"lastUpdated":`...)
	b = appendTime(b, a.lastUpdated)
	b = append(b, `,"created":`...)
	b = appendTime(b, a.created)
	b = append(b, `,"signOnMode":`...)
	b = appendStr(b, a.signOnMode)
	b = append(b, `,"accessibility":{"selfService":false}`...)
	b = append(b, `,"visibility":{"autoSubmitToolbar":false,"hide":{"iOS":false,"web":false},"appLinks":{`...)
	b = appendStr(b, a.name+"_link")
	b = append(b, `:true}},"features":[]`...)
	slug := "https://" + a.id + ".apps.example.com"
	switch a.signOnMode {
	case "BOOKMARK":
		b = append(b, `,"settings":{"app":{"requestIntegration":false,"url":`...)
		b = appendStr(b, slug+"/home")
		b = append(b, `}},"credentials":{"userNameTemplate":{"template":"${source.login}","type":"BUILT_IN"},"signing":{}}`...)
	case "SAML_2_0":
		b = append(b, `,"settings":{"app":{},"signOn":{"defaultRelayState":"","ssoAcsUrl":`...)
		b = appendStr(b, slug+"/saml/acs")
		b = append(b, `,"recipient":`...)
		b = appendStr(b, slug+"/saml/acs")
		b = append(b, `,"destination":`...)
		b = appendStr(b, slug+"/saml/acs")
		b = append(b, `,"audience":`...)
		b = appendStr(b, slug)
		b = append(b, `,"idpIssuer":"http://www.okta.com/${org.externalKey}","subjectNameIdTemplate":"${user.userName}","subjectNameIdFormat":"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress","responseSigned":true,"assertionSigned":true,"signatureAlgorithm":"RSA_SHA256","digestAlgorithm":"SHA256","honorForceAuthn":true,"authnContextClassRef":"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport","attributeStatements":[]}},"credentials":{"userNameTemplate":{"template":"${source.login}","type":"BUILT_IN"},"signing":{"kid":"sim-signing-key"}}`...)
	case "OPENID_CONNECT":
		b = append(b, `,"settings":{"oauthClient":{"application_type":"web","consent_method":"REQUIRED","grant_types":["authorization_code"],"response_types":["code"],"issuer_mode":"ORG_URL","redirect_uris":[`...)
		b = appendStr(b, slug+"/oauth/callback")
		b = append(b, `]}},"credentials":{"userNameTemplate":{"template":"${source.login}","type":"BUILT_IN"},"signing":{},"oauthClient":{"autoKeyRotation":true,"client_id":`...)
		b = appendStr(b, a.id)
		b = append(b, `,"token_endpoint_auth_method":"client_secret_basic"}}`...)
	case "AUTO_LOGIN":
		b = append(b, `,"settings":{"signOn":{"loginUrl":`...)
		b = appendStr(b, slug+"/login")
		b = append(b, `}},"credentials":{"userNameTemplate":{"template":"${source.login}","type":"BUILT_IN"},"signing":{},"scheme":"EDIT_USERNAME_AND_PASSWORD","revealPassword":false}`...)
	default: // BROWSER_PLUGIN (SWA template)
		b = append(b, `,"settings":{"app":{"buttonField":"btn-login","passwordField":"password","usernameField":"username","url":`...)
		b = appendStr(b, slug+"/login")
		b = append(b, `}},"credentials":{"userNameTemplate":{"template":"${source.login}","type":"BUILT_IN"},"signing":{},"scheme":"EDIT_USERNAME_AND_PASSWORD","revealPassword":false}`...)
	}
	b = append(b, `,"_links":{"self":`...)
	b = appendHref(b, base, "/api/v1/apps/", a.id)
	b = append(b, `},"users":`...)
	b = appendHref(b, base, "/api/v1/apps/", a.id, "/users")
	b = append(b, `},"groups":`...)
	b = appendHref(b, base, "/api/v1/apps/", a.id, "/groups")
	b = append(b, "}}}"...)
	return b
}

// appendAppUser appends an app user (an assignment seen from the app).
// Only the user's part is cached (on the user): caching every assignment
// as well would cost L ~100 MB of heap to save ~100 ns an object.
func (o *org) appendAppUser(b []byte, au *appUser, base string) []byte {
	b = appendAppUserHead(b, au)
	b = o.appendAppUserProfile(b, au.user)
	return appendAppUserLinks(b, au, base)
}

// appendAppUserHead appends an app user's own fields, up to where the
// user's credentials and profile go.
func appendAppUserHead(b []byte, au *appUser) []byte {
	u := au.user
	scope, sync := "USER", "DISABLED"
	if !au.direct {
		scope = "GROUP"
	}
	status := "ACTIVE"
	if au.app.signOnMode == "SAML_2_0" || au.app.signOnMode == "OPENID_CONNECT" {
		status, sync = "PROVISIONED", "SYNCHRONIZED"
	}
	b = append(b, `{"id":`...)
	b = appendStr(b, u.id)
	b = append(b, `,"created":`...)
	b = appendTime(b, au.created)
	b = append(b, `,"lastUpdated":`...)
	b = appendTime(b, au.lastUpdated)
	// scope, status and sync are constants that need no escaping.
	b = append(b, `,"scope":"`...)
	b = append(b, scope...)
	b = append(b, `","status":"`...)
	b = append(b, status...)
	b = append(b, `","statusChanged":`...)
	b = appendTime(b, au.statusChanged)
	b = append(b, `,"passwordChanged":null,"syncState":"`...)
	b = append(b, sync...)
	return append(b, '"')
}

// appendAppUserLinks closes an app user's profile and appends its links.
func appendAppUserLinks(b []byte, au *appUser, base string) []byte {
	b = append(b, `},"_links":{"app":`...)
	b = appendHref(b, base, "/api/v1/apps/", au.app.id)
	b = append(b, `},"user":`...)
	b = appendHref(b, base, "/api/v1/users/", au.user.id)
	return append(b, "}}}"...)
}

// appendAppUserProfile appends the user-dependent part of an app user,
// `,"credentials":{...},"profile":{...`, cached like the user's JSON.
func (o *org) appendAppUserProfile(b []byte, u *user) []byte {
	if o.cacheJSON {
		if c := u.appCache.Load(); c != nil {
			return append(b, *c...)
		}
	}
	start := len(b)
	p := o.profile(u)
	b = append(b, `,"credentials":{"userName":`...)
	b = appendStr(b, p.Login)
	b = append(b, `},"profile":{`...)
	first := true
	for _, kv := range [][2]string{{"email", p.Email}, {"firstName", p.FirstName}, {"lastName", p.LastName}} {
		if kv[1] == "" {
			continue
		}
		b = appendKey(b, kv[0], first)
		b = appendStr(b, kv[1])
		first = false
	}
	if o.cacheJSON {
		c := append([]byte(nil), b[start:]...)
		u.appCache.Store(&c)
	}
	return b
}

// appendAppGroup appends an app group assignment.
func appendAppGroup(b []byte, ag *appGroup, base string) []byte {
	b = append(b, `{"id":`...)
	b = appendStr(b, ag.group.id)
	b = append(b, `,"lastUpdated":`...)
	b = appendTime(b, ag.lastUpdated)
	b = append(b, `,"priority":`...)
	b = strconv.AppendInt(b, int64(ag.priority), 10)
	b = append(b, `,"profile":{},"_links":{"app":`...)
	b = appendHref(b, base, "/api/v1/apps/", ag.app.id)
	b = append(b, `},"group":`...)
	b = appendHref(b, base, "/api/v1/groups/", ag.group.id)
	b = append(b, "}}}"...)
	return b
}

// cachedJSON is an object's encoded JSON as served at base (its links
// carry the org URL the client used).
type cachedJSON struct {
	base string
	json []byte
}
