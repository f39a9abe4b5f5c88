package okta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	oktasdk "github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/dirdeck/dirdeck/directory"
)

// Page sizes: always the maximum Okta allows, so a full sync uses the
// fewest requests.
const (
	UsersPageSize        = 200
	GroupsPageSize       = 10000
	GroupMembersPageSize = 1000
	AppsPageSize         = 200
	AppUsersPageSize     = 500
	AppGroupsPageSize    = 200
	LogsPageSize         = 1000
)

// FilterDeprovisioned lists only DEPROVISIONED users, which a plain user
// listing leaves out.
const FilterDeprovisioned = `status eq "DEPROVISIONED"`

// Query narrows a listing. Filter is Okta's filter expression (e.g.
// `lastUpdated gt "2026-11-26T04:36:00.000Z"` or FilterDeprovisioned),
// Search its search expression (users and groups only). Limit overrides
// the page size (0: the maximum).
type Query struct {
	Filter string
	Search string
	Limit  int
}

func (q Query) limit(max int) (int32, error) {
	switch {
	case q.Limit == 0:
		return int32(max), nil
	case q.Limit < 0 || q.Limit > max:
		return 0, fmt.Errorf("page size %d: must be between 1 and %d", q.Limit, max)
	}
	return int32(q.Limit), nil
}

// LogEvent is the part of a System Log event the sync needs.
type LogEvent struct {
	UUID      string
	Published time.Time
	EventType string
	Outcome   string // SUCCESS, FAILURE, ...
	Actor     LogTarget
	Targets   []LogTarget
}

// LogTarget is an actor or target of a System Log event.
type LogTarget struct {
	ID          string
	Type        string
	AlternateID string
	DisplayName string
}

// ListUsers streams users page by page. Without a filter Okta leaves out
// DEPROVISIONED users; list them with Query{Filter: FilterDeprovisioned}.
func (c *Client) ListUsers(ctx context.Context, q Query, fn func([]directory.User) error) error {
	return listSearchable(ctx, c, "list users", c.api.UserAPI.ListUsers, q, UsersPageSize, fetchRaw[oktasdk.ApiListUsersRequest], decodeUsers, fn)
}

// ListGroups streams groups page by page.
func (c *Client) ListGroups(ctx context.Context, q Query, fn func([]directory.Group) error) error {
	return listSearchable(ctx, c, "list groups", c.api.GroupAPI.ListGroups, q, GroupsPageSize, fetchPages[oktasdk.ApiListGroupsRequest],
		each(func(g *oktasdk.Group) (directory.Group, error) { return mapGroup(g), nil }), fn)
}

// ListGroupMembers streams the ids of a group's members page by page.
func (c *Client) ListGroupMembers(ctx context.Context, groupID string, fn func(userIDs []string) error) error {
	if groupID == "" {
		return errors.New("list group members: empty group id")
	}
	r := func(ctx context.Context) oktasdk.ApiListGroupUsersRequest {
		return c.api.GroupAPI.ListGroupUsers(ctx, groupID).Limit(GroupMembersPageSize)
	}
	return paginate(ctx, c, "list group members", false, fetchRaw(r, decodeMembers), fn)
}

// ListApps streams apps page by page.
func (c *Client) ListApps(ctx context.Context, q Query, fn func([]directory.App) error) error {
	limit, err := q.limit(AppsPageSize)
	if err != nil {
		return fmt.Errorf("list apps: %w", err)
	}
	if q.Search != "" {
		return errors.New("list apps: search is not supported for apps; use a filter")
	}
	r := func(ctx context.Context) oktasdk.ApiListApplicationsRequest {
		r := c.api.ApplicationAPI.ListApplications(ctx).Limit(limit)
		if q.Filter != "" {
			r = r.Filter(q.Filter)
		}
		return r
	}
	return paginate(ctx, c, "list apps", false, fetchPages(r, func(_ []oktasdk.ListApplications200ResponseInner, resp *oktasdk.APIResponse) ([]directory.App, error) {
		return decodeApps(resp)
	}), fn)
}

// decodeApps reads the page body directly: the SDK models apps as a oneOf
// keyed by signOnMode and silently yields an empty value for any mode it
// does not know, which would drop those apps from the cache.
func decodeApps(resp *oktasdk.APIResponse) ([]directory.App, error) {
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading apps page: %w", err)
	}
	var raw []struct {
		ID          string     `json:"id"`
		Name        string     `json:"name"`
		Label       string     `json:"label"`
		Status      string     `json:"status"`
		SignOnMode  string     `json:"signOnMode"`
		Created     *time.Time `json:"created"`
		LastUpdated *time.Time `json:"lastUpdated"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedResponse, err)
	}
	out := make([]directory.App, 0, len(raw))
	for _, a := range raw {
		if a.ID == "" {
			return nil, fmt.Errorf("%w: app without id", ErrMalformedResponse)
		}
		out = append(out, directory.App{
			ID: a.ID, Name: a.Name, Label: a.Label, Status: a.Status, SignOnMode: a.SignOnMode,
			Created: utc(a.Created), LastUpdated: utc(a.LastUpdated),
		})
	}
	return out, nil
}

// ListAppUsers streams an app's user assignments page by page.
func (c *Client) ListAppUsers(ctx context.Context, appID string, fn func([]directory.AppUser) error) error {
	if appID == "" {
		return errors.New("list app users: empty app id")
	}
	r := func(ctx context.Context) oktasdk.ApiListApplicationUsersRequest {
		return c.api.ApplicationUsersAPI.ListApplicationUsers(ctx, appID).Limit(AppUsersPageSize)
	}
	return paginate(ctx, c, "list app users", false, fetchRaw(r, decodeAppUsers(appID)), fn)
}

// ListAppGroups streams an app's group assignments page by page.
func (c *Client) ListAppGroups(ctx context.Context, appID string, fn func([]directory.AppGroup) error) error {
	r := func(ctx context.Context) oktasdk.ApiListApplicationGroupAssignmentsRequest {
		return c.api.ApplicationGroupsAPI.ListApplicationGroupAssignments(ctx, appID).Limit(AppGroupsPageSize)
	}
	return listUnder(ctx, c, "list app groups", "app", appID, r, "app group", func(id string, g *oktasdk.ApplicationGroupAssignment) directory.AppGroup {
		return directory.AppGroup{AppID: appID, GroupID: id, Priority: int(g.GetPriority()), LastUpdated: utc(g.LastUpdated)}
	}, fn)
}

// ListLogs reads the System Log from since (oldest first) until Okta
// returns an empty page — bounded polling: it does not wait for new
// events. filter is an optional Okta filter expression (e.g.
// `eventType eq "group.user_membership.add"`). It returns the newest
// Published time seen (since when there were no events). Okta takes since
// with second precision, so events of since's second come again: callers
// dedupe by UUID.
func (c *Client) ListLogs(ctx context.Context, since time.Time, filter string, fn func([]LogEvent) error) (time.Time, error) {
	last := since.UTC()
	// Later pages are Okta's next links as returned: they carry the
	// position, and whatever of since and filter Okta keeps with it.
	r := func(ctx context.Context) oktasdk.ApiListLogEventsRequest {
		r := c.api.SystemLogAPI.ListLogEvents(ctx).Limit(LogsPageSize).SortOrder("ASCENDING").Since(since.UTC())
		if filter != "" {
			r = r.Filter(filter)
		}
		return r
	}
	err := paginate(ctx, c, "list logs", true, fetchPages(r, each(func(e *oktasdk.LogEvent) (LogEvent, error) {
		ev := mapLogEvent(e)
		if ev.Published.After(last) {
			last = ev.Published
		}
		return ev, nil
	})), fn)
	return last, err
}

// pageRequest is a typed SDK list request (oktasdk.ApiListUsersRequest and
// the like) answering with items of type I.
type pageRequest[I any] interface {
	Execute() ([]I, *oktasdk.APIResponse, error)
}

// searchRequest is a list request that takes Okta's filter and search
// expressions. Its builder methods return a changed copy.
type searchRequest[R, I any] interface {
	pageRequest[I]
	Limit(limit int32) R
	Filter(filter string) R
	Search(search string) R
}

// identified is the pointer to an SDK item that has an id.
type identified[I any] interface {
	*I
	GetId() string
}

// fetch is how paginate gets one page: it sends the request (on a
// context that may carry the next link) and returns the answer, and the
// page's decoding, which paginate runs while the next page is on its way.
type fetch[T any] func(context.Context) (decode func() ([]T, error), resp *oktasdk.APIResponse, err error)

// fetchPages returns paginate's fetch for a typed SDK listing: start
// builds the first page's request on a context; for later pages that
// context carries the next link, which the transport sends as returned
// (see withNextLink), so the typed call contributes only authentication
// and decoding. decode turns the page into dirdeck's values.
func fetchPages[R pageRequest[I], I, T any](start func(context.Context) R, decode func([]I, *oktasdk.APIResponse) ([]T, error)) fetch[T] {
	return func(ctx context.Context) (func() ([]T, error), *oktasdk.APIResponse, error) {
		items, resp, err := start(ctx).Execute()
		if err != nil {
			return nil, resp, err
		}
		return func() ([]T, error) { return decode(items, resp) }, resp, nil
	}
}

// each decodes a page item by item; the first item that fails fails the
// page.
func each[I, T any](item func(*I) (T, error)) func([]I, *oktasdk.APIResponse) ([]T, error) {
	return func(items []I, _ *oktasdk.APIResponse) ([]T, error) {
		out := make([]T, 0, len(items))
		for i := range items {
			t, err := item(&items[i])
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	}
}

// listSearchable streams a listing narrowed by q's filter and search
// expressions, max items a page unless q sets a smaller limit. fetchWith
// is fetchPages or fetchRaw, with the page decoding that goes with it.
func listSearchable[R searchRequest[R, I], I, T, D any](ctx context.Context, c *Client, op string, list func(context.Context) R, q Query, max int,
	fetchWith func(func(context.Context) R, D) fetch[T], decode D, fn func([]T) error) error {
	limit, err := q.limit(max)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	start := func(ctx context.Context) R {
		req := list(ctx).Limit(limit)
		if q.Filter != "" {
			req = req.Filter(q.Filter)
		}
		if q.Search != "" {
			req = req.Search(q.Search)
		}
		return req
	}
	return paginate(ctx, c, op, false, fetchWith(start, decode), fn)
}

// listUnder streams the items of a group or an app (parent names which,
// parentID its id). Every item must carry an id (what names the item in
// the error when one does not); item maps it with its id.
func listUnder[R pageRequest[I], I any, P identified[I], T any](ctx context.Context, c *Client, op, parent, parentID string,
	start func(context.Context) R, what string, item func(id string, p P) T, fn func([]T) error) error {
	if parentID == "" {
		return fmt.Errorf("%s: empty %s id", op, parent)
	}
	return paginate(ctx, c, op, false, fetchPages(start, each(func(i *I) (T, error) {
		id := P(i).GetId()
		if id == "" {
			var none T
			return none, fmt.Errorf("%w: %s without id", ErrMalformedResponse, what)
		}
		return item(id, i), nil
	})), fn)
}

// paginate follows Link rel="next", calling fn once per page in order.
// Okta's cursors are opaque and its next links are to be followed, not
// parsed ("Treat this as an opaque value obtained through the next link
// relationship", the after parameter in the OpenAPI spec): each later page
// is the next link exactly as returned — every parameter, in Okta's
// encoding — never a cursor taken out of it and put back into a request of
// ours. (The SDK's own APIResponse.Next re-encodes the link merged with
// the first request's query, keeps one value per parameter, and ignores
// the caller's context.) stopOnEmpty ends at the first empty page (System
// Log polling, whose next link never runs out).
//
// The next page is requested as soon as a page's answer is in, so that
// its decoding and fn run while the org prepares the next one: a
// listing's pages — sequential by nature — cost the slower of the two,
// not their sum. (A listing that stops at an empty page decodes first: an
// empty page's next link is not followed.) When the listing ends early,
// the request ahead is cancelled and its page dropped.
func paginate[T any](ctx context.Context, c *Client, op string, stopOnEmpty bool, fetch fetch[T], fn func([]T) error) error {
	if fn == nil {
		return fmt.Errorf("%s: no page callback", op)
	}
	ctx = context.WithValue(ctx, netErrKey{}, &netErrBox{})
	// The page requested ahead is cancelled, and waited for, when the
	// listing ends early: no request outlives the listing.
	ahead, cancel := context.WithCancel(ctx)
	type fetched struct {
		decode func() ([]T, error)
		resp   *oktasdk.APIResponse
		err    error
	}
	request := func(pageCtx context.Context) <-chan fetched {
		ch := make(chan fetched, 1)
		go func() {
			var f fetched
			_, f.resp, f.err = firstAuth(c, func() ([]struct{}, *oktasdk.APIResponse, error) {
				var resp *oktasdk.APIResponse
				var err error
				f.decode, resp, err = fetch(pageCtx)
				return nil, resp, err
			})
			ch <- f
		}()
		return ch
	}
	pending := request(ahead)
	defer func() {
		cancel()
		if pending != nil {
			<-pending
		}
	}()
	seen := map[string]bool{}
	for page := 1; ; page++ {
		where := fmt.Sprintf("%s page %d", op, page)
		f := <-pending
		pending = nil
		if f.err != nil {
			return c.wrapErr(ctx, where, f.resp, f.err)
		}
		var items []T
		decoded := false
		if stopOnEmpty {
			var err error
			if items, err = f.decode(); err != nil {
				return c.wrapErr(ctx, where, f.resp, err)
			}
			if len(items) == 0 {
				return nil
			}
			decoded = true
		}
		next, err := nextLink(f.resp)
		if err == nil && next != nil {
			if seen[next.String()] {
				err = fmt.Errorf("%w: the next link repeats", ErrMalformedResponse)
			} else {
				seen[next.String()] = true
				pending = request(withNextLink(ahead, next))
			}
		}
		if !decoded {
			var derr error
			if items, derr = f.decode(); derr != nil {
				return c.wrapErr(ctx, where, f.resp, derr)
			}
		}
		if err := fn(items); err != nil {
			return err
		}
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if next == nil {
			return nil
		}
	}
}

// firstAuth serialises OAuth requests until one has reached the API: the
// SDK fetches an access token for every request that finds none cached, so
// a sync fanning out on a cold client would mint one token per goroutine.
// (When the cached token expires, concurrent requests may still each
// fetch a new one; that costs a few token requests an hour.)
func firstAuth[T any](c *Client, call func() ([]T, *oktasdk.APIResponse, error)) ([]T, *oktasdk.APIResponse, error) {
	if !c.oauth || c.authed.Load() {
		return call()
	}
	c.authMu.Lock()
	defer c.authMu.Unlock()
	items, resp, err := call()
	if resp != nil && resp.Response != nil {
		c.authed.Store(true)
	}
	return items, resp, err
}

// nextLink returns the target of the Link rel="next" header, or nil on
// the last page. A relative target is resolved against the request (RFC
// 8288). The link must stay on the listing's origin and path: the typed
// call that sends it carries the credential and was authorised (DPoP's
// htu included) for that path, and a token must never follow a link to
// another host.
func nextLink(resp *oktasdk.APIResponse) (*url.URL, error) {
	if resp == nil || resp.Response == nil {
		return nil, nil
	}
	for _, h := range resp.Header.Values("Link") {
		for _, m := range linkValue.FindAllStringSubmatch(h, -1) {
			if !relNext.MatchString(m[2]) {
				continue
			}
			u, err := url.Parse(strings.TrimSpace(m[1]))
			if err != nil {
				return nil, fmt.Errorf("%w: bad next link: %v", ErrMalformedResponse, err)
			}
			if req := resp.Request; req != nil && req.URL != nil {
				u = req.URL.ResolveReference(u)
				if u.Scheme != req.URL.Scheme || u.Host != req.URL.Host || u.EscapedPath() != req.URL.EscapedPath() {
					return nil, fmt.Errorf("%w: the next link leaves the listing (%s%s, not %s%s)", ErrMalformedResponse,
						u.Host, u.EscapedPath(), req.URL.Host, req.URL.EscapedPath())
				}
			}
			u.Fragment, u.RawFragment = "", ""
			return u, nil
		}
	}
	return nil, nil
}

// linkValue matches one link-value of a Link header (RFC 8288): the
// target in angle brackets (which cannot contain '>', while a comma can
// appear unencoded) and its parameters.
var (
	linkValue = regexp.MustCompile(`<([^>]*)>([^<]*)`)
	relNext   = regexp.MustCompile(`(?i);\s*rel\s*=\s*"?(?:[^";,]*\s)?next(?:[\s";,]|$)`)
)

// wrapErr turns what the SDK returned into dirdeck's errors: an APIError
// for an Okta error answer, ErrMalformedResponse for an undecodable body,
// the context's error on cancellation.
func (c *Client) wrapErr(ctx context.Context, op string, resp *oktasdk.APIResponse, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
	if errors.Is(err, ErrMalformedResponse) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if resp != nil && resp.Response != nil {
		if resp.StatusCode >= http.StatusMultipleChoices {
			var body []byte
			var gerr *oktasdk.GenericOpenAPIError
			if errors.As(err, &gerr) {
				body = gerr.Body()
			}
			e := newAPIError(op, resp.StatusCode, body).withChallenge(resp.Header)
			if req := resp.Request; req != nil && req.URL != nil {
				e.Method, e.Path = req.Method, pathTemplate(req.URL.Path)
			}
			return e
		}
		return fmt.Errorf("%s: %w: %v", op, ErrMalformedResponse, err)
	}
	if c.oauth {
		c.tr.mu.Lock()
		te := c.tr.tokenErr
		c.tr.mu.Unlock()
		if te != nil {
			cp := *te
			cp.Op = op + ": get OAuth access token"
			return &cp
		}
	}
	if b, ok := ctx.Value(netErrKey{}).(*netErrBox); ok {
		if ne := b.get(); ne != nil {
			return fmt.Errorf("%s: %w", op, ne) // the org never answered: callers hint at its URL
		}
	}
	return fmt.Errorf("%s: %v", op, err)
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func mapGroup(g *oktasdk.Group) directory.Group {
	out := directory.Group{
		ID:                    g.GetId(),
		Type:                  g.GetType(),
		Created:               utc(g.Created),
		LastUpdated:           utc(g.LastUpdated),
		LastMembershipUpdated: utc(g.LastMembershipUpdated),
	}
	if g.Profile != nil {
		out.Name = g.Profile.GetName()
		out.Description = g.Profile.GetDescription()
	}
	return out
}

func mapLogEvent(e *oktasdk.LogEvent) LogEvent {
	out := LogEvent{
		UUID:      e.GetUuid(),
		Published: utc(e.Published),
		EventType: e.GetEventType(),
	}
	if e.Outcome != nil {
		out.Outcome = e.Outcome.GetResult()
	}
	if a := e.Actor; a != nil {
		out.Actor = LogTarget{ID: a.GetId(), Type: a.GetType(), AlternateID: a.GetAlternateId(), DisplayName: a.GetDisplayName()}
	}
	for _, t := range e.Target {
		out.Targets = append(out.Targets, LogTarget{ID: t.GetId(), Type: t.GetType(), AlternateID: t.GetAlternateId(), DisplayName: t.GetDisplayName()})
	}
	return out
}
