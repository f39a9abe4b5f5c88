package okta

import "strings"

// Rate-limit bucket keys. Okta meters each endpoint family separately; the
// governor keeps one budget per key, so the table must neither merge two of
// Okta's buckets (their headers would overwrite each other) nor split one
// (each half would believe it owns the whole budget).
const (
	BucketUsers       = "/api/v1/users"
	BucketGroups      = "/api/v1/groups"
	BucketGroupByID   = "/api/v1/groups/{id}*"
	BucketApps        = "/api/v1/apps"
	BucketAppByID     = "/api/v1/apps/{id}*"
	BucketLogs        = "/api/v1/logs"
	BucketOAuthToken  = "/oauth2/v1/token"
	BucketOtherAPI    = "/api/v1/*"
	BucketOtherOrigin = "other"
)

// BucketFor classifies a request path into its rate-limit bucket, one of
// the Bucket constants. The bench sizes its lower bounds with it too, so
// that they are measured in the buckets the governor budgets.
func BucketFor(path string) string {
	path = strings.TrimSuffix(path, "/")
	switch {
	case path == "/api/v1/users":
		return BucketUsers
	case path == "/api/v1/groups":
		return BucketGroups
	case strings.HasPrefix(path, "/api/v1/groups/"):
		return BucketGroupByID
	case path == "/api/v1/apps":
		return BucketApps
	case strings.HasPrefix(path, "/api/v1/apps/"):
		return BucketAppByID
	case path == "/api/v1/logs":
		return BucketLogs
	case path == "/oauth2/v1/token":
		return BucketOAuthToken
	case strings.HasPrefix(path, "/api/v1/"):
		return BucketOtherAPI
	}
	return BucketOtherOrigin
}

// idParams names the path parameter that follows a collection segment, so
// journal paths read like the Okta API reference. Concrete ids (and logins,
// which Okta also accepts in place of a user id) never reach the journal.
var idParams = map[string]string{
	"users":                "userId",
	"groups":               "groupId",
	"apps":                 "appId",
	"roles":                "roleId",
	"rules":                "ruleId",
	"factors":              "factorId",
	"api-tokens":           "apiTokenId",
	"grants":               "grantId",
	"tokens":               "tokenId",
	"owners":               "ownerId",
	"targets":              "targetId",
	"policies":             "policyId",
	"idps":                 "idpId",
	"zones":                "zoneId",
	"clients":              "clientId",
	"authorizationServers": "authServerId",
	"eventHooks":           "eventHookId",
	"inlineHooks":          "inlineHookId",
	"linkedObjects":        "linkedObjectName",
	"schemas":              "schemaId",
	"types":                "typeId",
	"brands":               "brandId",
	"domains":              "domainId",
	"devices":              "deviceId",
	"sessions":             "sessionId",
	"trustedOrigins":       "trustedOriginId",
	"mappings":             "mappingId",
	"logStreams":           "logStreamId",
	"assignees":            "assigneeId",
}

// staticSegments are path words that follow a collection segment but are
// not ids (e.g. /api/v1/users/me, /api/v1/groups/rules).
var staticSegments = map[string]bool{
	"me": true, "rules": true, "current": true, "default": true, "lifecycle": true,
	"catalog": true, "apps": true, "users": true, "groups": true, "credentials": true,
	"roles": true, "grants": true, "tokens": true, "factors": true, "owners": true,
	"targets": true, "schemas": true, "types": true, "sessions": true,
}

// pathTemplate turns a concrete request path into its API template, e.g.
// /api/v1/groups/00g1/users → /api/v1/groups/{groupId}/users.
func pathTemplate(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := 1; i < len(segs); i++ {
		if param, ok := idParams[segs[i-1]]; ok && !staticSegments[segs[i]] {
			segs[i] = "{" + param + "}"
		}
	}
	return "/" + strings.Join(segs, "/")
}
