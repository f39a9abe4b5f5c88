package oktasim

import (
	"encoding/json"
	"slices"
	"strings"
)

// schemaType is the JSON type of a custom group profile attribute.
type schemaType string

// The custom attribute types the simulated group schema uses.
const (
	schemaString  schemaType = "string"
	schemaBoolean schemaType = "boolean"
)

// groupSchemaCustom are the custom attributes of the org's group profile
// schema (GET /api/v1/meta/schemas/group/default, "custom" properties).
// Okta refuses a group profile with an attribute its schema does not
// define, or of the wrong type.
var groupSchemaCustom = map[string]schemaType{
	"costCenter":  schemaString,
	"managedBy":   schemaString,
	"requestable": schemaBoolean,
}

// valid reports whether raw is a JSON value of type t.
func (t schemaType) valid(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch v.(type) {
	case string:
		return t == schemaString
	case bool:
		return t == schemaBoolean
	}
	return false
}

// groupAttr is one custom attribute of a group profile; value is compact
// JSON.
type groupAttr struct {
	name  string
	value []byte
}

// groupCustom is a group's set of custom attributes, sorted by name. It is
// never changed in place: a profile write installs a new one, so that the
// JSON cache can tell it apart by pointer.
type groupCustom struct {
	attrs []groupAttr
}

// newGroupCustom sorts attrs into a groupCustom (nil when empty).
func newGroupCustom(attrs []groupAttr) *groupCustom {
	if len(attrs) == 0 {
		return nil
	}
	slices.SortFunc(attrs, func(a, b groupAttr) int { return strings.Compare(a.name, b.name) })
	return &groupCustom{attrs: attrs}
}

// Values of the generated custom attributes.
var (
	genCostCenters = []string{"CC-1010", "CC-2040", "CC-3300", "CC-4521", "CC-7000"}
	genManagers    = []string{"it-ops@example.com", "people-team@example.com", "security@example.com", "finance-systems@example.com"}
)

// genGroupCustom gives about one OKTA_GROUP in three custom attributes,
// drawn from a hash of (seed, seq) so that the rest of the generated org
// does not depend on them.
func genGroupCustom(seed int64, seq int32) *groupCustom {
	h := mix64(uint64(seed) ^ 0x67c5<<32 ^ uint64(seq))
	if h%3 != 0 {
		return nil
	}
	h /= 3
	quote := func(s string) []byte { b, _ := json.Marshal(s); return b }
	attrs := []groupAttr{
		{name: "costCenter", value: quote(genCostCenters[h%uint64(len(genCostCenters))])},
		{name: "managedBy", value: quote(genManagers[(h>>8)%uint64(len(genManagers))])},
	}
	if h>>16%2 == 0 {
		attrs = append(attrs, groupAttr{name: "requestable", value: []byte("true")})
	}
	return newGroupCustom(attrs)
}
