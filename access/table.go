package access

import "github.com/dirdeck/dirdeck/internal/oktaspec"

// Operation is one Okta Management API operation with the OAuth 2.0
// scopes that allow it (from the spec's security section).
type Operation = oktaspec.Operation
