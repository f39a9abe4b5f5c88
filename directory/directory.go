// Package directory holds dirdeck's domain types: the users, groups, apps,
// memberships and app assignments of an Okta org as dirdeck caches them,
// plus the change records a sync produces. It has no dependencies on the
// Okta SDK, the cache or the UI so that every other package can share it.
package directory

import (
	"strings"
	"time"
)

// User statuses as Okta reports them.
const (
	StatusStaged          = "STAGED"
	StatusProvisioned     = "PROVISIONED"
	StatusActive          = "ACTIVE"
	StatusRecovery        = "RECOVERY"
	StatusPasswordExpired = "PASSWORD_EXPIRED"
	StatusLockedOut       = "LOCKED_OUT"
	StatusSuspended       = "SUSPENDED"
	StatusDeprovisioned   = "DEPROVISIONED"
)

// Group types as Okta reports them. Only OKTA_GROUP memberships can be
// changed through the API; the others are managed by apps or by Okta.
const (
	GroupTypeOkta    = "OKTA_GROUP"
	GroupTypeApp     = "APP_GROUP"
	GroupTypeBuiltIn = "BUILT_IN"
)

// User is one Okta user with the profile fields admins and signatures need.
// Attributes keeps every other profile attribute as Okta returned it.
type User struct {
	ID              string         `json:"id"`
	Status          string         `json:"status"`
	Created         time.Time      `json:"created"`
	Activated       *time.Time     `json:"activated,omitempty"`
	StatusChanged   *time.Time     `json:"statusChanged,omitempty"`
	LastLogin       *time.Time     `json:"lastLogin,omitempty"`
	LastUpdated     time.Time      `json:"lastUpdated"`
	PasswordChanged *time.Time     `json:"passwordChanged,omitempty"`
	Login           string         `json:"login"`
	Email           string         `json:"email"`
	SecondEmail     string         `json:"secondEmail,omitempty"`
	FirstName       string         `json:"firstName"`
	LastName        string         `json:"lastName"`
	DisplayName     string         `json:"displayName,omitempty"`
	Title           string         `json:"title,omitempty"`
	Department      string         `json:"department,omitempty"`
	Division        string         `json:"division,omitempty"`
	Organization    string         `json:"organization,omitempty"`
	Manager         string         `json:"manager,omitempty"`
	ManagerID       string         `json:"managerId,omitempty"`
	EmployeeNumber  string         `json:"employeeNumber,omitempty"`
	CostCenter      string         `json:"costCenter,omitempty"`
	MobilePhone     string         `json:"mobilePhone,omitempty"`
	PrimaryPhone    string         `json:"primaryPhone,omitempty"`
	Locale          string         `json:"locale,omitempty"`
	PreferredLang   string         `json:"preferredLanguage,omitempty"`
	Timezone        string         `json:"timezone,omitempty"`
	City            string         `json:"city,omitempty"`
	State           string         `json:"state,omitempty"`
	CountryCode     string         `json:"countryCode,omitempty"`
	UserType        string         `json:"userType,omitempty"`
	Attributes      map[string]any `json:"attributes,omitempty"`
}

// Name is what a person would call the user: the display name, else first
// and last name, else the login.
func (u User) Name() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	switch {
	case u.FirstName != "" && u.LastName != "":
		return u.FirstName + " " + u.LastName
	case u.FirstName != "":
		return u.FirstName
	case u.LastName != "":
		return u.LastName
	}
	return u.Login
}

// Group is one Okta group.
type Group struct {
	ID                    string    `json:"id"`
	Type                  string    `json:"type"`
	Name                  string    `json:"name"`
	Description           string    `json:"description,omitempty"`
	Created               time.Time `json:"created"`
	LastUpdated           time.Time `json:"lastUpdated"`
	LastMembershipUpdated time.Time `json:"lastMembershipUpdated"`
}

// App is one Okta application instance.
type App struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Label       string    `json:"label"`
	Status      string    `json:"status"`
	SignOnMode  string    `json:"signOnMode"`
	Created     time.Time `json:"created"`
	LastUpdated time.Time `json:"lastUpdated"`
}

// Membership says a user is a member of a group.
type Membership struct {
	GroupID string `json:"groupId"`
	UserID  string `json:"userId"`
}

// Assignment scopes as Okta reports them on app users: USER for a direct
// assignment, GROUP when the user holds the app through a group.
const (
	ScopeUser  = "USER"
	ScopeGroup = "GROUP"
)

// AppUser says a user is assigned to an app, directly (Scope USER) or
// through one of their groups (Scope GROUP).
type AppUser struct {
	AppID       string    `json:"appId"`
	UserID      string    `json:"userId"`
	Scope       string    `json:"scope"`
	Status      string    `json:"status,omitempty"`
	LastUpdated time.Time `json:"lastUpdated"`
}

// AppGroup says a group is assigned to an app; members of the group hold
// the app. Priority orders conflicting group assignments (lower wins).
type AppGroup struct {
	AppID       string    `json:"appId"`
	GroupID     string    `json:"groupId"`
	Priority    int       `json:"priority"`
	LastUpdated time.Time `json:"lastUpdated"`
}

// Kinds of objects a Change can be about.
const (
	KindUser       = "user"
	KindGroup      = "group"
	KindApp        = "app"
	KindMembership = "member"
	KindAppUser    = "appuser"
	KindAppGroup   = "appgroup"
)

// Change operations.
const (
	OpAdded    = "added"
	OpRemoved  = "removed"
	OpUpdated  = "updated"
	OpArchived = "archived"
)

// Change records one difference a sync found between the previous and the
// new generation of the cache. For memberships and assignments ID is
// "<parentId>/<childId>" (group/user, app/user, app/group).
//
// Parent and Child label the two ends of a membership or assignment (the
// group's name and the user's login; the app's label and the user's login
// or the group's name), so history reads without looking ids up; Values
// keeps each changed field's old and new value. Records written before
// dirdeck kept them have only the ids and Fields.
type Change struct {
	Kind   string        `json:"kind"`
	Op     string        `json:"op"`
	ID     string        `json:"id"`
	Label  string        `json:"label,omitempty"`
	Parent string        `json:"parent,omitempty"`
	Child  string        `json:"child,omitempty"`
	Fields []string      `json:"fields,omitempty"`
	Values []FieldChange `json:"values,omitempty"`
}

// Subject names what changed for people: the label of a user, group or
// app, "parent ← child" for a membership or assignment, with ids where a
// label is unknown.
func (c Change) Subject() string {
	parent, child, relation := strings.Cut(c.ID, "/")
	if !relation {
		if c.Label != "" {
			return c.Label
		}
		return c.ID
	}
	if c.Parent != "" {
		parent = c.Parent
	}
	if c.Child != "" {
		child = c.Child
	}
	return parent + " ← " + child
}

// Details lists an update's changed fields, one "field: old → new" each;
// records kept without values name the fields only.
func (c Change) Details() []string {
	if len(c.Values) == 0 {
		if len(c.Fields) == 0 {
			return nil
		}
		return []string{"fields: " + strings.Join(c.Fields, ", ")}
	}
	out := make([]string, len(c.Values))
	for i, v := range c.Values {
		out[i] = v.String()
	}
	return out
}

// FieldChange is one changed field of an update: its JSON name
// ("attributes.<key>" for a custom attribute) and its values before and
// after, as text (times in RFC 3339, UTC; "" for unset).
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// String reads "department: Sales → Finance", with "" for an unset value.
func (f FieldChange) String() string {
	show := func(v string) string {
		if v == "" {
			return `""`
		}
		return v
	}
	return f.Field + ": " + show(f.Old) + " → " + show(f.New)
}

// Request is one entry of a sync run's request journal: what was asked of
// Okta and how it answered. It never holds tokens or response bodies.
type Request struct {
	Time          time.Time `json:"time"`
	Method        string    `json:"method"`
	Path          string    `json:"path"` // path template, e.g. /api/v1/groups/{groupId}/users
	Bucket        string    `json:"bucket"`
	Status        int       `json:"status"` // 0 when no response arrived (network error)
	LatencyMS     int64     `json:"latency_ms"`
	Attempt       int       `json:"attempt"`              // 1 for the first try, 2+ for retries
	WaitedMS      int64     `json:"waited_ms"`            // time held back by the rate-limit governor before sending
	RateLimit     int       `json:"rate_limit"`           // X-Rate-Limit-Limit
	RateRemaining int       `json:"rate_remaining"`       // X-Rate-Limit-Remaining
	RateReset     int64     `json:"rate_reset"`           // X-Rate-Limit-Reset (epoch seconds)
	ErrorCode     string    `json:"error_code,omitempty"` // Okta errorCode, e.g. E0000047
	ErrorID       string    `json:"error_id,omitempty"`
	// Hint says what the admin can do about the error, written by the
	// client with the entry; journals from before it was recorded have none.
	Hint    string `json:"hint,omitempty"`
	Network string `json:"network,omitempty"` // network error text, when Status is 0
	// Cancelled marks an attempt the caller gave up on before its answer
	// arrived (a sync cancels its other requests after the first
	// failure): a consequence of that failure, not a network error.
	Cancelled bool `json:"cancelled,omitempty"`
}

// Partial records that a resource could not be read completely during a
// sync, and why (typically a 403 for a scope the credential lacks).
type Partial struct {
	Resource  string `json:"resource"` // users, groups, memberships, apps, app_users, app_groups, logs
	Reason    string `json:"reason"`
	ErrorCode string `json:"error_code,omitempty"`
}

// Sync run outcomes.
const (
	RunOK      = "ok"
	RunPartial = "partial"
	RunFailed  = "failed"
)

// SyncRun summarises one sync: how it went, what it cost and what it changed.
type SyncRun struct {
	ID             uint64         `json:"id"`
	Mode           string         `json:"mode"`             // full or incremental
	Reason         string         `json:"reason,omitempty"` // why the run took its mode
	Started        time.Time      `json:"started"`
	Finished       time.Time      `json:"finished"`
	Status         string         `json:"status"`
	Requests       int            `json:"requests"`
	ThrottledWaits int            `json:"throttled_waits"`
	Retries        int            `json:"retries"`
	Changes        map[string]int `json:"changes,omitempty"` // "user.added" → n
	Partial        []Partial      `json:"partial,omitempty"`
	Error          string         `json:"error,omitempty"`
}
