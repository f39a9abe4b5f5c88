package oktasim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// genEpoch anchors every generated timestamp, so that the seeded org (and
// its truth digest) does not depend on the wall clock.
var genEpoch = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC).UnixMilli()

const (
	day  = int64(24 * time.Hour / time.Millisecond)
	hour = int64(time.Hour / time.Millisecond)
)

// scenario sizes an org.
type scenario struct {
	users, groups, apps int
	cacheJSON           bool
}

var scenarios = map[string]scenario{
	"S":  {users: 250, groups: 40, apps: 12, cacheJSON: true},
	"M":  {users: 10_000, groups: 800, apps: 100, cacheJSON: true},
	"L":  {users: 100_000, groups: 5_000, apps: 500, cacheJSON: true},
	"XL": {users: 1_000_000, groups: 20_000, apps: 1_000},
}

// Token owners are the first users of every org, with fixed names.
var tokenOwners = []struct {
	key, first, last, role string
}{
	{"superadmin", "Ada", "Okonkwo", roleSuper},
	{"readonly", "Rui", "Almeida", roleReadOnly},
	{"noapps", "Noa", "Lindqvist", roleNoApps},
	{"reviewer", "Priya", "Raman", roleSuper},
}

// locale describes a population: native names with their romanisation
// (used for logins), and where they live.
type locale struct {
	tag, lang, tz, country string
	cities                 [][2]string // city, state
	first, last            [][2]string // native, romanised
	familyFirst            bool        // display name "LastFirst"
	weight                 int
}

var locales = []locale{
	{tag: "en_US", lang: "en", tz: "America/Los_Angeles", country: "US", weight: 30,
		cities: [][2]string{{"San Francisco", "CA"}, {"New York", "NY"}, {"Austin", "TX"}, {"Chicago", "IL"}, {"Seattle", "WA"}},
		first:  pairs("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "Aaliyah", "DeShawn", "Connor", "Siobhan"),
		last:   pairs("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "O'Brien", "McAllister", "Nguyen", "Kowalski")},
	{tag: "en_GB", lang: "en", tz: "Europe/London", country: "GB", weight: 8,
		cities: [][2]string{{"London", ""}, {"Manchester", ""}, {"Edinburgh", ""}},
		first:  pairs("Oliver", "Amelia", "Harry", "Isla", "Noah", "Ava", "Callum", "Niamh"),
		last:   pairs("Taylor", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Ffion-Jones", "Singh")},
	{tag: "fr_FR", lang: "fr", tz: "Europe/Paris", country: "FR", weight: 7,
		cities: [][2]string{{"Paris", ""}, {"Lyon", ""}, {"Montréal", "QC"}},
		first:  [][2]string{{"Françoise", "francoise"}, {"Hélène", "helene"}, {"Jérôme", "jerome"}, {"Loïc", "loic"}, {"Amélie", "amelie"}, {"Gaëlle", "gaelle"}},
		last:   [][2]string{{"Lefèvre", "lefevre"}, {"Dubois", "dubois"}, {"Moreau", "moreau"}, {"Bélanger", "belanger"}, {"Côté", "cote"}}},
	{tag: "de_DE", lang: "de", tz: "Europe/Berlin", country: "DE", weight: 7,
		cities: [][2]string{{"Berlin", ""}, {"München", "BY"}, {"Köln", "NW"}},
		first:  [][2]string{{"Jürgen", "juergen"}, {"Björn", "bjoern"}, {"Lena", "lena"}, {"Jörg", "joerg"}, {"Änne", "aenne"}},
		last:   [][2]string{{"Müller", "mueller"}, {"Schäfer", "schaefer"}, {"Groß", "gross"}, {"Weiß", "weiss"}, {"Krüger", "krueger"}}},
	{tag: "es_ES", lang: "es", tz: "Europe/Madrid", country: "ES", weight: 6,
		cities: [][2]string{{"Madrid", ""}, {"Barcelona", ""}, {"Ciudad de México", "CDMX"}},
		first:  [][2]string{{"José", "jose"}, {"María", "maria"}, {"Iñaki", "inaki"}, {"Sofía", "sofia"}, {"Núria", "nuria"}},
		last:   [][2]string{{"García", "garcia"}, {"Muñoz", "munoz"}, {"Ibáñez", "ibanez"}, {"Pérez", "perez"}, {"de la Peña", "delapena"}}},
	{tag: "pl_PL", lang: "pl", tz: "Europe/Warsaw", country: "PL", weight: 3,
		cities: [][2]string{{"Kraków", ""}, {"Łódź", ""}},
		first:  [][2]string{{"Łukasz", "lukasz"}, {"Agnieszka", "agnieszka"}, {"Wojciech", "wojciech"}, {"Małgorzata", "malgorzata"}},
		last:   [][2]string{{"Wiśniewski", "wisniewski"}, {"Wójcik", "wojcik"}, {"Żak", "zak"}, {"Dąbrowska", "dabrowska"}}},
	{tag: "da_DK", lang: "da", tz: "Europe/Copenhagen", country: "DK", weight: 2,
		cities: [][2]string{{"København", ""}, {"Århus", ""}},
		first:  [][2]string{{"Søren", "soren"}, {"Åse", "ase"}, {"Mette", "mette"}},
		last:   [][2]string{{"Jørgensen", "jorgensen"}, {"Østergaard", "ostergaard"}, {"Nielsen", "nielsen"}}},
	{tag: "ja_JP", lang: "ja", tz: "Asia/Tokyo", country: "JP", weight: 6, familyFirst: true,
		cities: [][2]string{{"東京", "東京都"}, {"大阪", "大阪府"}},
		first:  [][2]string{{"太郎", "taro"}, {"花子", "hanako"}, {"健", "ken"}, {"陽菜", "hina"}, {"翔太", "shota"}},
		last:   [][2]string{{"佐藤", "sato"}, {"鈴木", "suzuki"}, {"高橋", "takahashi"}, {"田中", "tanaka"}, {"渡辺", "watanabe"}}},
	{tag: "zh_CN", lang: "zh", tz: "Asia/Shanghai", country: "CN", weight: 6, familyFirst: true,
		cities: [][2]string{{"上海", ""}, {"北京", ""}, {"深圳", "广东"}},
		first:  [][2]string{{"伟", "wei"}, {"芳", "fang"}, {"秀英", "xiuying"}, {"磊", "lei"}, {"静", "jing"}},
		last:   [][2]string{{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"}}},
	{tag: "ko_KR", lang: "ko", tz: "Asia/Seoul", country: "KR", weight: 4, familyFirst: true,
		cities: [][2]string{{"서울", ""}, {"부산", ""}},
		first:  [][2]string{{"민준", "minjun"}, {"서연", "seoyeon"}, {"지호", "jiho"}},
		last:   [][2]string{{"김", "kim"}, {"이", "lee"}, {"박", "park"}}},
	{tag: "ar_SA", lang: "ar", tz: "Asia/Riyadh", country: "SA", weight: 4,
		cities: [][2]string{{"الرياض", ""}, {"دبي", ""}},
		first:  [][2]string{{"محمد", "mohammed"}, {"فاطمة", "fatima"}, {"عمر", "omar"}, {"ليلى", "layla"}},
		last:   [][2]string{{"العلي", "alali"}, {"الحسن", "alhassan"}, {"الشمري", "alshammari"}}},
	{tag: "ru_RU", lang: "ru", tz: "Europe/Moscow", country: "RU", weight: 4,
		cities: [][2]string{{"Москва", ""}, {"Санкт-Петербург", ""}},
		first:  [][2]string{{"Иван", "ivan"}, {"Ольга", "olga"}, {"Дмитрий", "dmitry"}, {"Наталья", "natalya"}},
		last:   [][2]string{{"Петров", "petrov"}, {"Смирнова", "smirnova"}, {"Кузнецов", "kuznetsov"}}},
	{tag: "el_GR", lang: "el", tz: "Europe/Athens", country: "GR", weight: 2,
		cities: [][2]string{{"Αθήνα", ""}, {"Θεσσαλονίκη", ""}},
		first:  [][2]string{{"Γιώργος", "giorgos"}, {"Ελένη", "eleni"}, {"Νίκος", "nikos"}},
		last:   [][2]string{{"Παπαδόπουλος", "papadopoulos"}, {"Οικονόμου", "oikonomou"}}},
	{tag: "hi_IN", lang: "hi", tz: "Asia/Kolkata", country: "IN", weight: 6,
		cities: [][2]string{{"बेंगलुरु", "KA"}, {"Mumbai", "MH"}, {"Pune", "MH"}},
		first:  [][2]string{{"राहुल", "rahul"}, {"प्रिया", "priya"}, {"Ananya", "ananya"}, {"अर्जुन", "arjun"}},
		last:   [][2]string{{"शर्मा", "sharma"}, {"Patel", "patel"}, {"गुप्ता", "gupta"}, {"Iyer", "iyer"}}},
	{tag: "pt_BR", lang: "pt", tz: "America/Sao_Paulo", country: "BR", weight: 5,
		cities: [][2]string{{"São Paulo", "SP"}, {"Florianópolis", "SC"}},
		first:  [][2]string{{"João", "joao"}, {"Conceição", "conceicao"}, {"Thiago", "thiago"}},
		last:   [][2]string{{"Gonçalves", "goncalves"}, {"Araújo", "araujo"}, {"Simões", "simoes"}}},
}

var localeTotal = func() int {
	n := 0
	for _, l := range locales {
		n += l.weight
	}
	return n
}()

func pairs(names ...string) [][2]string {
	out := make([][2]string, len(names))
	for i, n := range names {
		out[i] = [2]string{n, strings.ToLower(strings.ReplaceAll(n, "'", ""))}
	}
	return out
}

var (
	titles = []string{"Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager",
		"Account Executive", "Sales Development Rep", "Product Manager", "Designer", "Recruiter",
		"HR Business Partner", "Financial Analyst", "Controller", "IT Administrator", "Support Engineer",
		"Director of Marketing", "VP Operations", "Chief of Staff", "Data Scientist", "Intern",
		"Ingénieure logiciel", "Vertriebsleiter", "営業担当", "Менеджер проектов"}
	departments = []string{"Engineering", "Sales", "Marketing", "Finance", "People", "IT", "Support",
		"Product", "Legal", "Operations", "Research", "Customer Success", "Recherche & Développement", "Vertrieb"}
	divisions    = []string{"Americas", "EMEA", "APAC", "Corporate"}
	groupTopics  = []string{"Engineering", "Sales", "Marketing", "Finance", "People", "IT Admins", "Support", "Product", "Legal", "Contractors", "Interns", "Managers", "VPN Users", "Wi-Fi Guests", "On-call", "Security Champions", "Équipe Paris", "営業部", "Отдел продаж", "فريق الدعم", "Ομάδα Αθήνας", "विकास टीम"}
	groupPlaces  = []string{"Berlin", "London", "San Francisco", "New York", "Tokyo", "São Paulo", "Bengaluru", "Remote", "HQ", "Zürich"}
	appGroupSrcs = []string{"Workday", "Active Directory", "Google Workspace", "BambooHR", "Azure AD"}
	appCatalogue = []string{"Salesforce", "Slack", "Zoom", "GitHub Enterprise", "Atlassian Cloud", "Box", "Dropbox Business", "Google Workspace", "Microsoft 365", "Workday", "ServiceNow", "AWS Console", "Datadog", "PagerDuty", "Figma", "Notion", "Zendesk", "HubSpot", "Expensify", "DocuSign", "Tableau", "Snowflake", "1Password", "Miro", "Lucidchart"}
	signOnModes  = []string{"SAML_2_0", "SAML_2_0", "SAML_2_0", "OPENID_CONNECT", "OPENID_CONNECT", "BOOKMARK", "AUTO_LOGIN", "BROWSER_PLUGIN"}
)

// longValue is a 2,000-character value for the hostile profiles.
var longValue = strings.Repeat("Lorem ipsum dolor sit amet, ", 72)[:2000]

// pickLocale chooses a locale with the locales' weights.
func pickLocale(r *rand.Rand) *locale {
	n := r.IntN(localeTotal)
	for i := range locales {
		if n < locales[i].weight {
			return &locales[i]
		}
		n -= locales[i].weight
	}
	return &locales[0]
}

// userRand returns the generator for one user's lazily built profile.
func userRand(seed int64, seq int32) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed)^0x5eed0fa11, uint64(seq)+1))
}

// names returns the native first/last name and the login stem of the
// seq-th user.
func userNames(seed int64, seq int32) (loc *locale, first, last, stem string, r *rand.Rand) {
	r = userRand(seed, seq)
	loc = pickLocale(r)
	f := loc.first[r.IntN(len(loc.first))]
	l := loc.last[r.IntN(len(loc.last))]
	if int(seq) < len(tokenOwners) {
		o := tokenOwners[seq]
		return &locales[0], o.first, o.last, strings.ToLower(o.first + "." + o.last), r
	}
	return loc, f[0], l[0], f[1] + "." + l[1] + strconv.Itoa(int(seq)), r
}

// genProfile builds the seq-th user's profile. It only depends on the
// seed and the user's seq (and its manager's seq), never on other state.
func genProfile(o *org, u *user) *profile {
	loc, first, last, stem, r := userNames(o.seed, u.seq)
	domain := "example.com"
	if r.IntN(10) == 0 {
		domain = "corp.example.org"
	}
	p := &profile{
		Login:             stem + "@" + domain,
		Email:             stem + "@" + domain,
		FirstName:         first,
		LastName:          last,
		Locale:            loc.tag,
		PreferredLanguage: loc.lang,
		Timezone:          loc.tz,
		CountryCode:       loc.country,
		Organization:      "Acme Corporation",
		EmployeeNumber:    fmt.Sprintf("E%06d", u.seq),
		UserType:          "Employee",
	}
	if loc.familyFirst {
		p.DisplayName = last + first
	} else {
		p.DisplayName = first + " " + last
	}
	c := loc.cities[r.IntN(len(loc.cities))]
	p.City, p.State = c[0], c[1]
	if r.IntN(100) < 85 {
		p.Title = titles[r.IntN(len(titles))]
	}
	if r.IntN(100) < 88 {
		p.Department = departments[r.IntN(len(departments))]
		p.CostCenter = "CC-" + strconv.Itoa(1000+r.IntN(90)*10)
	}
	if r.IntN(100) < 60 {
		p.Division = divisions[r.IntN(len(divisions))]
	}
	if r.IntN(100) < 70 {
		p.MobilePhone = fmt.Sprintf("+1 555 %03d %04d", r.IntN(1000), r.IntN(10000))
	}
	if r.IntN(100) < 40 {
		p.PrimaryPhone = fmt.Sprintf("+1 555 %03d %04d", r.IntN(1000), r.IntN(10000))
	}
	if r.IntN(100) < 10 {
		p.UserType = "Contractor"
		p.SecondEmail = stem + "@contractor.example.net"
	}
	if r.IntN(100) < 15 {
		p.NickName = first
	}
	if u.seq > int32(len(tokenOwners)) {
		mseq := int32(r.IntN(int(u.seq)/8 + 1))
		_, mf, ml, _, _ := userNames(o.seed, mseq)
		p.ManagerID = idFor(o.seed, prefixUser, mseq)
		p.Manager = mf + " " + ml
	}
	p.Custom = append(p.Custom, attr{"hireDate", time.UnixMilli(u.created).UTC().Format("2006-01-02")})
	if r.IntN(100) < 30 {
		p.Custom = append(p.Custom, attr{"pronouns", []string{"she/her", "he/him", "they/them"}[r.IntN(3)]})
	}
	hostile(u.seq, p)
	return p
}

// hostile plants hostile values in a few profiles: HTML, attribute
// injection, ANSI and OSC 52 escape sequences, and very long values.
func hostile(seq int32, p *profile) {
	switch seq % 10007 {
	case 5:
		p.FirstName = "<script>alert(1)</script>"
		p.DisplayName = "<script>alert(1)</script> " + p.LastName
	case 6:
		p.LastName = "\" onerror=\"x"
		p.Title = "<img src=x onerror=alert(1)>"
	case 7:
		p.Title = "\x1b[2JCleared screen"
		p.Department = "\x1b[31mRed Alert\x1b[0m"
	case 8:
		p.DisplayName = "\x1b]52;c;aGVsbG8=\x07Clipboard"
		p.City = "\x1b]52;c;aGVsbG8=\x07"
	case 9:
		p.Title = longValue
		p.Custom = append(p.Custom, attr{"bio", longValue})
	}
}

// generate builds the seeded org for a scenario.
func generate(scenarioName string, seed int64, now int64) (*org, error) {
	sc, ok := scenarios[scenarioName]
	if !ok {
		return nil, fmt.Errorf("unknown scenario %q (want S, M, L or XL)", scenarioName)
	}
	return build(scenarioName, sc, seed, now), nil
}

// build generates an org of a known scenario.
func build(scenarioName string, sc scenario, seed int64, now int64) *org {
	o := &org{seed: seed, scenario: scenarioName, nextSeq: map[string]int32{}, cacheJSON: sc.cacheJSON}
	r := rand.New(rand.NewPCG(uint64(seed), 0xd1d0ec))

	o.users = make([]*user, 0, sc.users)
	for i := 0; i < sc.users; i++ {
		u := &user{}
		u.id, u.seq = o.newID(prefixUser)
		genUserState(r, u, i < len(tokenOwners))
		o.users = append(o.users, u)
	}

	// Everyone holds every user.
	ev := &group{typ: "BUILT_IN", name: "Everyone", description: "All users in your organization",
		created: genEpoch - 6*365*day, lastUpdated: genEpoch - 6*365*day, lastMembershipUpdated: genEpoch - day}
	ev.id, ev.seq = o.newID(prefixGroup)
	ev.members = make([]*user, len(o.users))
	copy(ev.members, o.users)
	o.groups = append(o.groups, ev)
	o.everyone = ev

	avg := 3 * sc.users / sc.groups
	if avg < 4 {
		avg = 4
	}
	hugeGroups := min(sc.groups/100+1, 5)
	names := map[string]bool{"Everyone": true}
	for i := 1; i < sc.groups; i++ {
		g := &group{typ: "OKTA_GROUP"}
		g.id, g.seq = o.newID(prefixGroup)
		g.created = genEpoch - int64(r.IntN(5*365))*day - int64(r.IntN(24))*hour
		g.lastUpdated = g.created + int64(r.IntN(int((genEpoch-g.created)/hour)+1))*hour
		g.lastMembershipUpdated = g.lastUpdated + int64(r.IntN(int((genEpoch-g.lastUpdated)/hour)+1))*hour
		topic := groupTopics[r.IntN(len(groupTopics))]
		switch {
		case r.IntN(10) == 0:
			g.typ = "APP_GROUP"
			src := appGroupSrcs[r.IntN(len(appGroupSrcs))]
			g.name = src + " - " + topic
			g.description = "Imported from " + src
		case r.IntN(3) == 0:
			g.name = topic + " - " + groupPlaces[r.IntN(len(groupPlaces))]
		default:
			g.name = topic
			if r.IntN(2) == 0 {
				g.description = "Members of " + topic
			}
		}
		switch i % 4007 {
		case 3:
			g.name = "<script>alert('group')</script>"
			g.description = longValue
		case 4:
			g.name = "\x1b[2J\x1b]52;c;aGVsbG8=\x07 Escapes"
		}
		if names[g.name] {
			g.name += " " + strconv.Itoa(i)
		}
		if g.typ == "OKTA_GROUP" {
			g.custom = genGroupCustom(o.seed, g.seq)
		}
		names[g.name] = true

		size := 0
		switch {
		case r.IntN(20) == 0: // empty
		case i <= hugeGroups: // a few huge groups (> 1000 members from M up)
			size = sc.users / 10
			if sc.users > 2000 {
				size = 1001 + r.IntN(sc.users/(5*i))
			}
		default:
			size = int(math.Exp(r.Float64() * math.Log(float64(4*avg))))
		}
		g.members = pickUsers(r, o.users, size)
		for _, u := range g.members {
			u.groups = append(u.groups, g)
		}
		o.groups = append(o.groups, g)
	}
	for _, u := range o.users {
		u.groups = append(u.groups, ev)
	}

	for i := 0; i < sc.apps; i++ {
		a := &app{}
		a.id, a.seq = o.newID(prefixApp)
		a.signOnMode = signOnModes[r.IntN(len(signOnModes))]
		base := appCatalogue[r.IntN(len(appCatalogue))]
		a.label = base
		if i >= len(appCatalogue) || r.IntN(3) == 0 {
			a.label = base + " (" + []string{"Prod", "Sandbox", "EU", "US", "Test"}[r.IntN(5)] + " " + strconv.Itoa(i) + ")"
		}
		a.name = appName(a.signOnMode, base, i)
		a.status = "ACTIVE"
		if r.IntN(10) == 0 {
			a.status = "INACTIVE"
		}
		a.created = genEpoch - int64(r.IntN(4*365))*day - int64(r.IntN(24))*hour
		a.lastUpdated = a.created + int64(r.IntN(int((genEpoch-a.created)/hour)+1))*hour
		o.apps = append(o.apps, a)

		at := a.lastUpdated
		if i == 0 && scenarioName != "XL" {
			o.assignGroup(a, ev, 0, at)
		}
		for k, n := 0, r.IntN(4); k < n; k++ {
			g := o.groups[1+r.IntN(len(o.groups)-1)]
			o.assignGroup(a, g, len(a.groups), at)
		}
		for _, u := range pickUsers(r, o.users, r.IntN(sc.users/sc.apps+2)) {
			if u.status == "DEPROVISIONED" {
				continue
			}
			o.assignUser(a, u, at)
		}
	}

	o.addPublishedTokens(seed, now)
	// Integration tokens of the superadmin's owner: their owner has several
	// tokens, so a credential of that owner cannot be told apart by owner.
	o.addToken(&apiToken{name: "Legacy SCIM connector", role: "superadmin", owner: o.users[0], created: now - 200*day}, now-25*day)
	o.addToken(&apiToken{name: "HR import (nightly)", role: "superadmin", owner: o.users[0], created: now - 95*day, usedDaily: true}, now-3*hour)
	// A deploy pipeline's token with a 7-day idle window, last used two
	// days ago: 5 days left is its normal state, not a warning.
	o.addToken(&apiToken{name: "CI deploy", role: "superadmin", owner: o.users[0], created: now - 20*day, window: "P7D", windowMS: 7 * day}, now-2*day)
	return o
}

// addPublishedTokens gives each token owner present its published token
// (dirdeck-<key>, the secret /__sim/tokens hands out), last used now.
func (o *org) addPublishedTokens(seed, now int64) {
	for i, t := range tokenOwners {
		if i >= len(o.users) {
			return
		}
		o.addToken(&apiToken{name: "dirdeck-" + t.key, role: t.key, owner: o.users[i], created: now - 40*day, secret: tokenSecret(seed, t.key)}, now)
	}
}

// addToken gives tok an id (and Okta's default idle window unless it has
// one), marks it last used at lastUsed and adds it to the org.
func (o *org) addToken(tok *apiToken, lastUsed int64) {
	tok.id, _ = o.newID(prefixToken)
	if tok.window == "" {
		tok.window, tok.windowMS = defaultTokenWindow, defaultTokenWindowMS
	}
	tok.lastUsed.Store(lastUsed)
	o.tokens = append(o.tokens, tok)
}

// inactiveStatuses are the statuses generated users other than token
// owners take instead of ACTIVE: a user whose draw from [0, 1000) is below
// a status's bound (and not below the bound before it) takes that status.
var inactiveStatuses = []struct {
	below  int
	status string
}{
	{30, "DEPROVISIONED"},
	{80, "SUSPENDED"},
	{100, "STAGED"},
	{110, "LOCKED_OUT"},
	{120, "PASSWORD_EXPIRED"},
	{125, "PROVISIONED"},
	{128, "RECOVERY"},
}

// genUserState draws a user's status and timestamps.
func genUserState(r *rand.Rand, u *user, owner bool) {
	u.created = genEpoch - 30*day - int64(r.IntN(5*365))*day - int64(r.IntN(int(day)))
	x := r.IntN(1000) // drawn for owners too, so that later draws do not shift
	u.status = "ACTIVE"
	if !owner {
		for _, s := range inactiveStatuses {
			if x < s.below {
				u.status = s.status
				break
			}
		}
	}
	span := genEpoch - u.created
	t := u.created
	if u.status != "STAGED" {
		u.activated = u.created + int64(r.IntN(int(3*day)))
		t = u.activated
	}
	u.statusChanged = t
	if u.status != "ACTIVE" && u.status != "STAGED" {
		u.statusChanged = t + r.Int64N(genEpoch-t)
	}
	if u.status != "STAGED" && u.status != "PROVISIONED" {
		u.passwordChanged = t + r.Int64N(genEpoch-t)
		u.lastLogin = genEpoch - r.Int64N(min(span, 60*day))
		if u.lastLogin < t {
			u.lastLogin = t
		}
	}
	u.lastUpdated = max(u.statusChanged, u.passwordChanged) + r.Int64N(day)
	if u.lastUpdated > genEpoch {
		u.lastUpdated = genEpoch
	}
}

// pickUsers returns about n distinct users, sorted by id.
func pickUsers(r *rand.Rand, users []*user, n int) []*user {
	if n <= 0 {
		return nil
	}
	if n >= len(users) {
		out := make([]*user, len(users))
		copy(out, users)
		return out
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = r.IntN(len(users))
	}
	sort.Ints(idx)
	out := make([]*user, 0, n)
	for i, x := range idx {
		if i > 0 && x == idx[i-1] {
			continue
		}
		out = append(out, users[x])
	}
	return out
}

// appName gives an app the kind of name Okta uses for its sign-on mode.
func appName(mode, label string, i int) string {
	key := strings.ToLower(strings.NewReplacer(" ", "", ".", "", "-", "").Replace(label))
	switch mode {
	case "BOOKMARK":
		return "bookmark"
	case "AUTO_LOGIN", "BROWSER_PLUGIN":
		return "template_swa"
	case "OPENID_CONNECT":
		return "oidc_client"
	}
	return "acme_" + key + "_" + strconv.Itoa(i+1)
}

// tokenSecret derives an SSWS token ("00" + 40 characters) from the seed.
func tokenSecret(seed int64, key string) string {
	var b strings.Builder
	b.WriteString("00")
	h := uint64(seed)
	for _, c := range key {
		h = mix64(h ^ uint64(c))
	}
	for b.Len() < 42 {
		h = mix64(h)
		x := h
		for i := 0; i < 8 && b.Len() < 42; i++ {
			b.WriteByte(base62[x%62])
			x /= 62
		}
	}
	return b.String()
}
