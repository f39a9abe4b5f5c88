package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// rawPage receives the body of one successful answer, valid JSON, to a
// request made on a context carrying it (withRawPage).
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

// divertBody gives a successful answer's body, valid JSON, to the raw
// page on the request's context, if there is one, and returns what the SDK
// is to read instead. Token requests and anything else keep their body; so
// does a body that is not valid JSON (after the transport's retries), for
// which the SDK's decode then reports the malformed response.
func divertBody(ctx context.Context, req *http.Request, resp *http.Response, body []byte, valid bool) []byte {
	p, ok := ctx.Value(rawPageKey{}).(*rawPage)
	if !ok || !valid || req.Method != http.MethodGet || isTokenRequest(req) || resp.StatusCode < 200 || resp.StatusCode >= 300 || !isJSON(resp.Header) {
		return body
	}
	p.body, p.got = body, true
	return p.stub
}

// fetchRaw returns paginate's fetch for a typed SDK listing whose pages
// decode reads from the body itself (see the top of this file).
func fetchRaw[R pageRequest[I], I, T any](start func(context.Context) R, decode func([]byte) ([]T, error)) fetch[T] {
	return func(ctx context.Context) (func() ([]T, error), *oktasdk.APIResponse, error) {
		ctx, page := withRawPage(ctx, "[]")
		_, resp, err := start(ctx).Execute()
		if err != nil {
			return nil, resp, err
		}
		if !page.got {
			// A success the transport did not hand over (an empty
			// body, which the SDK accepts): not a page.
			return nil, resp, fmt.Errorf("%w: the answer is not a JSON list", ErrMalformedResponse)
		}
		return func() ([]T, error) { return decode(page.body) }, resp, nil
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
var errNoID = errors.New("no id")

// decodeMembers reads the ids of a page of group members (full user
// objects in Okta's answer) with memberIDs.
func decodeMembers(body []byte) ([]string, error) {
	ids, err := memberIDs(body, "group member")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedResponse, err)
	}
	for i, id := range ids {
		if id == "" {
			return nil, fmt.Errorf("%w: group member %d: %v", ErrMalformedResponse, i+1, errNoID)
		}
	}
	return ids, nil
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
// Each must be a string or null.
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

// baseProfileKeys maps the JSON name of each base attribute to its field
// in profileFields: every other profile attribute is a custom one.
var baseProfileKeys = func() map[string]int {
	t := reflect.TypeFor[profileFields]()
	keys := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		keys[name] = i
	}
	return keys
}()

// foldsToBaseKey reports whether a custom attribute's name differs from a
// base attribute's only in case.
func foldsToBaseKey(k string) bool {
	for base := range baseProfileKeys {
		if strings.EqualFold(k, base) {
			return true
		}
	}
	return false
}

// profileJSON is a user profile, every attribute by its name, read the
// way the SDK reads one (oktasdk.UserProfile): base attributes must be
// strings or null, and — encoding/json's rule, which the SDK's decode
// follows — a name differing from a base attribute's only in case fills
// that attribute too (and stays a custom attribute as well).
type profileJSON struct{ attrs map[string]any }

// UnmarshalJSON implements json.Unmarshaler: one pass into a map (the SDK
// makes two, the typed one calling back into encoding/json for every
// nullable field); only a profile with a name that folds onto a base
// attribute takes a second pass, into profileFields, for the base
// attributes.
func (p *profileJSON) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &p.attrs); err != nil {
		return err
	}
	folded := false
	for k, v := range p.attrs {
		if _, base := baseProfileKeys[k]; !base {
			folded = folded || foldsToBaseKey(k)
		} else if _, ok := v.(string); !ok && v != nil {
			return fmt.Errorf("profile attribute %s: %T, not a string", k, v)
		}
	}
	if !folded {
		return nil
	}
	var f profileFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	v := reflect.ValueOf(f)
	for k, i := range baseProfileKeys {
		if s := v.Field(i).Interface().(*string); s != nil {
			p.attrs[k] = *s
		} else {
			delete(p.attrs, k)
		}
	}
	return nil
}

// get is a base attribute's value ("" when absent or null).
func (p *profileJSON) get(k string) string {
	s, _ := p.attrs[k].(string)
	return s
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

// extraProfile are the base profile attributes directory.User has no
// field for; they go to Attributes with the custom ones.
var extraProfile = []string{"honorificPrefix", "honorificSuffix", "middleName", "nickName", "postalAddress", "streetAddress", "zipCode", "profileUrl"}

// user maps an Okta user to dirdeck's.
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
	out.Login = p.get("login")
	out.Email = p.get("email")
	out.SecondEmail = p.get("secondEmail")
	out.FirstName = p.get("firstName")
	out.LastName = p.get("lastName")
	out.DisplayName = p.get("displayName")
	out.Title = p.get("title")
	out.Department = p.get("department")
	out.Division = p.get("division")
	out.Organization = p.get("organization")
	out.Manager = p.get("manager")
	out.ManagerID = p.get("managerId")
	out.EmployeeNumber = p.get("employeeNumber")
	out.CostCenter = p.get("costCenter")
	out.MobilePhone = p.get("mobilePhone")
	out.PrimaryPhone = p.get("primaryPhone")
	out.Locale = p.get("locale")
	out.PreferredLang = p.get("preferredLanguage")
	out.Timezone = p.get("timezone")
	out.City = p.get("city")
	out.State = p.get("state")
	out.CountryCode = p.get("countryCode")
	out.UserType = p.get("userType")
	var attrs map[string]any
	add := func(k string, v any) {
		if attrs == nil {
			attrs = map[string]any{}
		}
		attrs[k] = v
	}
	for k, v := range p.attrs {
		if _, base := baseProfileKeys[k]; !base && v != nil {
			add(k, v)
		}
	}
	for _, k := range extraProfile {
		if v := p.get(k); v != "" {
			add(k, v)
		}
	}
	out.Attributes = attrs
	return out
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
