package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	oktasdk "github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/dirdeck/dirdeck/directory"
)

// The big listings of a full sync — users, group members, app users — are
// decoded here instead of by the SDK. The SDK decodes every item twice
// (its typed model, then a map of "additional properties") and every
// nullable field once more through a JSON call of its own: measured on
// the simulated org's pages, about 10 MB/s, three quarters of a sync's CPU,
// and most of it for member lists of which dirdeck keeps only the ids.
//
// The request stays the SDK's typed request: the SDK builds and
// authenticates it (SSWS, or its OAuth access token), and it goes through
// the transport (governor, retries, DPoP proof per attempt, journal, next
// links followed as returned). Only the body of a successful answer takes
// another way: the transport hands it to the page (rawPage) and the SDK
// gets an empty value to decode.

// rawPageKey is the context key of a *rawPage.
type rawPageKey struct{}

// rawPage receives the body of one successful JSON answer to a request
// made on a context carrying it (withRawPage).
type rawPage struct {
	stub []byte // what the SDK decodes instead: an empty value of its type
	body []byte
	got  bool
}

// withRawPage returns ctx carrying a page that receives the body of the
// request's successful answer, the SDK getting stub ("[]" for a listing)
// in its place.
func withRawPage(ctx context.Context, stub string) (context.Context, *rawPage) {
	p := &rawPage{stub: []byte(stub)}
	return context.WithValue(ctx, rawPageKey{}, p), p
}

// divertBody gives a successful JSON answer's body to the raw page on the
// request's context, if there is one, and returns what the SDK is to read
// instead. Token requests and anything else keep their body.
func divertBody(ctx context.Context, req *http.Request, resp *http.Response, body []byte) []byte {
	p, ok := ctx.Value(rawPageKey{}).(*rawPage)
	if !ok || req.Method != http.MethodGet || isTokenRequest(req) || resp.StatusCode < 200 || resp.StatusCode >= 300 || !isJSON(resp.Header) {
		return body
	}
	p.body, p.got = body, true
	return p.stub
}

// fetchRaw returns paginate's fetch for a typed SDK listing whose pages
// decode reads from the body itself (see the top of this file).
func fetchRaw[R pageRequest[I], I, T any](start func(context.Context) R, decode func([]byte) ([]T, error)) func(context.Context) ([]T, *oktasdk.APIResponse, error) {
	return func(ctx context.Context) ([]T, *oktasdk.APIResponse, error) {
		ctx, page := withRawPage(ctx, "[]")
		_, resp, err := start(ctx).Execute()
		if err != nil {
			return nil, resp, err
		}
		if !page.got {
			// A success without a JSON body: not a page.
			return nil, resp, fmt.Errorf("%w: the answer is not a JSON list", ErrMalformedResponse)
		}
		out, err := decode(page.body)
		return out, resp, err
	}
}

// decodeList decodes a JSON array item by item with a streaming decoder
// (the transport has already checked the body is valid JSON; Unmarshal
// would check it once more). A body that is not an array, or an item of
// the wrong shape, is a malformed response.
func decodeList[J, T any](body []byte, what string, item func(*J) (T, error)) ([]T, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedResponse, err)
	}
	if tok == nil {
		return nil, nil // null: an empty page, as the SDK reads it
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("%w: expected a list of %ss", ErrMalformedResponse, what)
	}
	var out []T
	for n := 1; dec.More(); n++ {
		var j J
		if err := dec.Decode(&j); err != nil {
			return nil, fmt.Errorf("%w: %s %d: %v", ErrMalformedResponse, what, n, err)
		}
		t, err := item(&j)
		if err != nil {
			return nil, fmt.Errorf("%w: %s %d: %v", ErrMalformedResponse, what, n, err)
		}
		out = append(out, t)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedResponse, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the list", ErrMalformedResponse)
	}
	return out, nil
}

// errNoID is an item without an id.
var errNoID = fmt.Errorf("no id")

// decodeMembers reads the ids of a page of group members (full user
// objects in Okta's answer).
func decodeMembers(body []byte) ([]string, error) {
	return decodeList(body, "group member", func(m *struct {
		ID string `json:"id"`
	}) (string, error) {
		if m.ID == "" {
			return "", errNoID
		}
		return m.ID, nil
	})
}

// appUserJSON is the part of an app user assignment the cache keeps.
type appUserJSON struct {
	ID          string     `json:"id"`
	Scope       *string    `json:"scope"`
	Status      *string    `json:"status"`
	LastUpdated *time.Time `json:"lastUpdated"`
}

// decodeAppUsers reads a page of an app's user assignments.
func decodeAppUsers(appID string) func([]byte) ([]directory.AppUser, error) {
	return func(body []byte) ([]directory.AppUser, error) {
		return decodeList(body, "app user", func(u *appUserJSON) (directory.AppUser, error) {
			if u.ID == "" {
				return directory.AppUser{}, errNoID
			}
			return directory.AppUser{AppID: appID, UserID: u.ID, Scope: str(u.Scope), Status: str(u.Status), LastUpdated: utc(u.LastUpdated)}, nil
		})
	}
}

// userJSON is the part of an Okta user the cache keeps. Field names and
// types are the SDK's (oktasdk.User): a value of the wrong type fails the
// page as it would in the SDK.
type userJSON struct {
	ID              string       `json:"id"`
	Status          *string      `json:"status"`
	Created         *time.Time   `json:"created"`
	Activated       *time.Time   `json:"activated"`
	StatusChanged   *time.Time   `json:"statusChanged"`
	LastLogin       *time.Time   `json:"lastLogin"`
	LastUpdated     *time.Time   `json:"lastUpdated"`
	PasswordChanged *time.Time   `json:"passwordChanged"`
	Profile         *profileJSON `json:"profile"`
}

// profileFields are Okta's base user profile attributes, named as in the
// SDK's oktasdk.UserProfile (which the OpenAPI spec's UserProfile gives).
type profileFields struct {
	City              *string `json:"city"`
	CostCenter        *string `json:"costCenter"`
	CountryCode       *string `json:"countryCode"`
	Department        *string `json:"department"`
	DisplayName       *string `json:"displayName"`
	Division          *string `json:"division"`
	Email             *string `json:"email"`
	EmployeeNumber    *string `json:"employeeNumber"`
	FirstName         *string `json:"firstName"`
	HonorificPrefix   *string `json:"honorificPrefix"`
	HonorificSuffix   *string `json:"honorificSuffix"`
	LastName          *string `json:"lastName"`
	Locale            *string `json:"locale"`
	Login             *string `json:"login"`
	Manager           *string `json:"manager"`
	ManagerID         *string `json:"managerId"`
	MiddleName        *string `json:"middleName"`
	MobilePhone       *string `json:"mobilePhone"`
	NickName          *string `json:"nickName"`
	Organization      *string `json:"organization"`
	PostalAddress     *string `json:"postalAddress"`
	PreferredLanguage *string `json:"preferredLanguage"`
	PrimaryPhone      *string `json:"primaryPhone"`
	ProfileURL        *string `json:"profileUrl"`
	SecondEmail       *string `json:"secondEmail"`
	State             *string `json:"state"`
	StreetAddress     *string `json:"streetAddress"`
	Timezone          *string `json:"timezone"`
	Title             *string `json:"title"`
	UserType          *string `json:"userType"`
	ZipCode           *string `json:"zipCode"`
}

// baseProfileKeys are the JSON names of profileFields: every other
// profile attribute is a custom one.
var baseProfileKeys = func() []string {
	t := reflect.TypeFor[profileFields]()
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i], _, _ = strings.Cut(t.Field(i).Tag.Get("json"), ",")
	}
	return keys
}()

// profileJSON is a user profile read the way the SDK reads one: the base
// attributes into their fields (encoding/json's case-insensitive match
// included), and every attribute whose exact name is not a base one into
// custom.
type profileJSON struct {
	profileFields
	custom map[string]any
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *profileJSON) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &p.profileFields); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &p.custom); err != nil {
		return err
	}
	for _, k := range baseProfileKeys {
		delete(p.custom, k)
	}
	return nil
}

// decodeUsers reads a page of users.
func decodeUsers(body []byte) ([]directory.User, error) {
	return decodeList(body, "user", func(u *userJSON) (directory.User, error) {
		if u.ID == "" {
			return directory.User{}, errNoID
		}
		return u.user(), nil
	})
}

// user maps an Okta user to dirdeck's. Standard profile attributes
// directory.User has no field for go to Attributes with the custom ones.
func (u *userJSON) user() directory.User {
	out := directory.User{
		ID:              u.ID,
		Status:          str(u.Status),
		Created:         utc(u.Created),
		Activated:       utcPtr(u.Activated),
		StatusChanged:   utcPtr(u.StatusChanged),
		LastLogin:       utcPtr(u.LastLogin),
		LastUpdated:     utc(u.LastUpdated),
		PasswordChanged: utcPtr(u.PasswordChanged),
	}
	p := u.Profile
	if p == nil {
		return out
	}
	out.Login = str(p.Login)
	out.Email = str(p.Email)
	out.SecondEmail = str(p.SecondEmail)
	out.FirstName = str(p.FirstName)
	out.LastName = str(p.LastName)
	out.DisplayName = str(p.DisplayName)
	out.Title = str(p.Title)
	out.Department = str(p.Department)
	out.Division = str(p.Division)
	out.Organization = str(p.Organization)
	out.Manager = str(p.Manager)
	out.ManagerID = str(p.ManagerID)
	out.EmployeeNumber = str(p.EmployeeNumber)
	out.CostCenter = str(p.CostCenter)
	out.MobilePhone = str(p.MobilePhone)
	out.PrimaryPhone = str(p.PrimaryPhone)
	out.Locale = str(p.Locale)
	out.PreferredLang = str(p.PreferredLanguage)
	out.Timezone = str(p.Timezone)
	out.City = str(p.City)
	out.State = str(p.State)
	out.CountryCode = str(p.CountryCode)
	out.UserType = str(p.UserType)
	attrs := map[string]any{}
	for k, v := range p.custom {
		if v != nil {
			attrs[k] = v
		}
	}
	for _, x := range extraProfile {
		if v := x.get(&p.profileFields); v != nil && *v != "" {
			attrs[x.name] = *v
		}
	}
	if len(attrs) > 0 {
		out.Attributes = attrs
	}
	return out
}

// extraProfile are standard Okta profile attributes directory.User has no
// field for; they go to Attributes with the custom ones.
var extraProfile = []struct {
	name string
	get  func(*profileFields) *string
}{
	{"honorificPrefix", func(p *profileFields) *string { return p.HonorificPrefix }},
	{"honorificSuffix", func(p *profileFields) *string { return p.HonorificSuffix }},
	{"middleName", func(p *profileFields) *string { return p.MiddleName }},
	{"nickName", func(p *profileFields) *string { return p.NickName }},
	{"postalAddress", func(p *profileFields) *string { return p.PostalAddress }},
	{"streetAddress", func(p *profileFields) *string { return p.StreetAddress }},
	{"zipCode", func(p *profileFields) *string { return p.ZipCode }},
	{"profileUrl", func(p *profileFields) *string { return p.ProfileURL }},
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
