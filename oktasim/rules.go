package oktasim

// Group rules (GET /api/v1/groups/rules). The sim does not store rules:
// they are derived on each request from the org's seed and its groups, so
// they need no generation step, survive Reset and snapshots unchanged, and
// follow the groups they target. Every scenario gets the same three
// rules: two ACTIVE and one INACTIVE, each aimed at OKTA_GROUPs that have
// members, because a rule on an empty group would never matter to a client
// that warns about hand-removed members being re-added.

// prefixRule is the id prefix of Okta group rules.
const prefixRule = "0pr"

// groupRule is one derived group rule.
type groupRule struct {
	id         string
	name       string
	status     string
	expression string
	groupIDs   []string
	created    int64
}

// ruleSeeds are the rules every org has; targets says how many groups
// (taken in id order from the OKTA_GROUPs with members) each one assigns.
var ruleSeeds = []struct {
	name, status, expression string
	targets                  int
}{
	{"Engineering dept", "ACTIVE", `user.department=="Engineering"`, 1},
	{"Contractors", "INACTIVE", `user.userType=="Contractor"`, 1},
	{"Sales regions", "ACTIVE", `user.department=="Sales"`, 2},
}

// groupRules derives the org's rules. Callers hold s.mu. Rules whose
// targets the org cannot supply (tiny custom orgs) are left out.
func (o *org) groupRules() []*groupRule {
	need := 0
	for _, rs := range ruleSeeds {
		need += rs.targets
	}
	var targets []string
	for _, g := range o.groups {
		if len(targets) == need {
			break
		}
		if g.typ == "OKTA_GROUP" && len(g.members) > 0 {
			targets = append(targets, g.id)
		}
	}
	rules := make([]*groupRule, 0, len(ruleSeeds))
	for i, rs := range ruleSeeds {
		if len(targets) < rs.targets {
			break
		}
		rules = append(rules, &groupRule{
			id:         idFor(o.seed, prefixRule, int32(i)),
			name:       rs.name,
			status:     rs.status,
			expression: rs.expression,
			groupIDs:   targets[:rs.targets:rs.targets],
			created:    genEpoch - int64(90-i)*day,
		})
		targets = targets[rs.targets:]
	}
	return rules
}

// listGroupRules serves GET /api/v1/groups/rules: limit, after. Okta's
// search and expand parameters are accepted and ignored.
func (s *Sim) listGroupRules(c *call) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	page(c, s.org.groupRules(), func(r *groupRule) string { return r.id }, nil, 50, 200, appendGroupRule)
}

// appendGroupRule encodes a rule as Okta does.
func appendGroupRule(b []byte, r *groupRule) []byte {
	b = append(b, `{"type":"group_rule","id":`...)
	b = appendStr(b, r.id)
	b = append(b, `,"status":`...)
	b = appendStr(b, r.status)
	b = append(b, `,"name":`...)
	b = appendStr(b, r.name)
	b = append(b, `,"created":`...)
	b = appendTime(b, r.created)
	b = append(b, `,"lastUpdated":`...)
	b = appendTime(b, r.created)
	b = append(b, `,"conditions":{"people":{"users":{"exclude":[]},"groups":{"exclude":[]}},"expression":{"value":`...)
	b = appendStr(b, r.expression)
	b = append(b, `,"type":"urn:okta:expression:1.0"}},"actions":{"assignUserToGroups":{"groupIds":[`...)
	for i, id := range r.groupIDs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStr(b, id)
	}
	return append(b, `]}}}`...)
}
