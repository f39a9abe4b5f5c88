// Package okta is the only dirdeck code that talks to Okta. It wraps the
// official SDK (github.com/okta/okta-sdk-golang/v5) with what a directory
// sync needs: streaming listers that follow Okta's next links at the maximum
// page size, a rate-limit governor, retries, clear errors and a request
// journal.
//
// # Using it
//
//	c, err := okta.New(ctx, okta.Credentials{OrgURL: u, Token: tok}, okta.Options{})
//	err = c.ListUsers(ctx, okta.Query{}, func(page []directory.User) error { ... })
//	err = c.ListUsers(ctx, okta.Query{Filter: okta.FilterDeprovisioned}, fn) // plain listing omits them
//	err = c.ListGroups(ctx, okta.Query{}, fn)
//	err = c.ListGroupMembers(ctx, groupID, func(userIDs []string) error { ... })
//	err = c.ListApps(ctx, okta.Query{}, fn)
//	err = c.ListAppUsers(ctx, appID, fn)  // Scope USER (direct) or GROUP
//	err = c.ListAppGroups(ctx, appID, fn)
//	last, err := c.ListLogs(ctx, since, filter, fn) // reads until an empty page
//
// For plans and scope checks: GetGroup, CreateGroup, UpdateGroup,
// AddGroupMember, RemoveGroupMember (PUT/DELETE, retried like reads),
// CurrentAPIToken (token age and idle expiry), UserRoles, GrantedScopes
// (OAuth).
//
// Every lister calls fn once per page, in order; an error from fn stops the
// listing and is returned unchanged. Listers are safe to run concurrently —
// that is how a sync should use them (e.g. members of many groups at once):
// the governor paces them per rate-limit bucket.
//
// Use one Client per org for the life of the process so its governor sees
// all of dirdeck's requests; give each sync run its own Journal with
// SetJournal. ServerTime is the org's clock (from Date headers): take sync
// cursors from it, not from the local clock.
//
// # Errors
//
// An error answer from Okta is an *APIError whose Error() is one line with
// the operation, status, Okta errorCode, summary, errorId and a hint
// (IsForbidden, IsUnauthorized, IsNotFound, IsUnavailable classify it). A
// 403 on one resource (e.g. apps without okta.apps.read) is IsForbidden: a
// sync records it as partial data and goes on. A body that cannot be decoded
// wraps ErrMalformedResponse. Context cancellation wraps ctx.Err().
//
// # Rate-limit governor
//
// Requests are classified into Okta's rate-limit buckets (list users, list
// groups, /groups/{id}*, list apps, /apps/{id}*, logs, other /api/v1, the
// OAuth token endpoint). From every response's X-Rate-Limit-Limit,
// -Remaining and -Reset the governor keeps, per bucket and window:
//
//   - dirdeck's own requests at most BudgetShare × limit (default 50%);
//   - when other integrations use the bucket too, Remaining never below
//     (1 − BudgetShare) × limit, so their share stays theirs;
//   - one request in flight until the bucket's first answer (its limit is
//     unknown before), and again at the start of each window (a probe: the
//     others may already have spent part of it);
//   - at most MaxPerBucket requests in flight per bucket and MaxConcurrent
//     overall (Okta allows about 75 concurrent requests per org);
//   - with Options.RateLedger, the requests of every dirdeck process on the
//     same credential together at most BudgetShare × limit per window:
//     Okta caps one API token or OAuth app at 50% of each bucket unless an
//     admin raised it, counted over all its users, so two processes that
//     each kept their own share would meet 429s. They count in one file
//     (named by CredentialKey, under an exclusive file lock), each request
//     right before it is sent, by the org's clock.
//
// Window ends are translated to the local clock through the response's Date
// header, so a skewed local clock does not shift them. A request that would
// exceed the budget waits (context-aware) for the window to reset;
// Options.OnThrottle reports such waits for progress displays. Within a window the
// budget is spent as fast as the answers come rather than spread evenly:
// N requests then take ⌈N/budget⌉−1 windows plus the last burst instead of
// N/budget windows. Measured against one-second windows with a budget of
// 10 (fake server, 8 in flight): 25/45/60 requests took 2.2/4.4/5.5 s
// bursting and 4.1/8.0/10.4 s with requests spaced window/budget apart,
// both without a 429.
//
// # Retries
//
// 429 answers are retried for any method (Okta did not process them) after
// the window resets; 500/502/503/504 and network errors (connection resets,
// timeouts, bodies cut short) are retried for idempotent requests (GET,
// PUT, DELETE; never POST). Backoff is exponential with jitter from
// Options.BaseBackoff, up to Options.MaxRetries retries. A 2xx JSON body
// that ends before its value does was cut in transit and counts as a body
// cut short; one that is otherwise not valid JSON is retried once. Either
// fails with ErrMalformedResponse when its retries run out.
//
// # Journal
//
// Every HTTP attempt becomes a directory.Request: method, path template
// (/api/v1/groups/{groupId}/users, never the id or a login), bucket, status,
// latency, attempt number, time held by the governor, the rate-limit
// headers, Okta's errorCode and errorId, and the network error text. No
// tokens, no bodies, no query strings (search terms are personal data).
//
// # SDK construction and quirks
//
// The SDK configuration is built field by field rather than with
// okta.NewConfiguration, which would merge ~/.okta/okta.yaml, an .okta.yaml
// next to the binary and OKTA_CLIENT_* variables (token, proxy, debug dumps
// of requests) into it. This also keeps the org URL's port, which
// NewConfiguration drops. The SDK's response cache is off and its own 429
// retries are disabled (MaxRetries 0) because the transport retries; its
// request timeout is off because it would span governor waits. Later pages
// are Okta's Link rel="next" URLs exactly as returned (never a cursor taken
// out and put back into a request of ours), sent through the typed call so
// that the SDK authenticates them; only a link on the listing's own origin
// and path is followed. The SDK's APIResponse.Next would re-encode the
// link merged with the first request's query and ignore the caller's
// context. Apps are decoded from the page body because the SDK's oneOf for
// applications silently yields an empty value for a signOnMode it does not
// know. Users, group members and app users are decoded from the page body
// too (pages.go, ids.go): the transport hands a valid page's body over and
// the SDK an empty list, because the SDK's decode of full objects was most
// of a sync's CPU. A listing requests its next page while it decodes and
// delivers the current one.
//
// OAuth (private_key_jwt): the SDK signs a client assertion, posts it to
// /oauth2/v1/token (through the governor and journal like any request),
// and caches the access token until two seconds before expiry. DPoP is the
// transport's, not the SDK's (dpop.go): when the token endpoint asks for a
// proof, every attempt from then on gets a fresh one. The granted scopes live only
// in the token response, which the transport reads: GrantedScopes returns
// them. A refused token request is reported as an *APIError with the OAuth
// error (invalid_client, invalid_scope) instead of the SDK's "Empty access
// token". The SDK sends the token request without a context; the ctx
// given to New bounds it.
package okta
