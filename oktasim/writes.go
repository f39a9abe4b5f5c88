package oktasim

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits Okta puts on group profiles.
const (
	maxGroupName        = 255
	maxGroupDescription = 1024
)

// groupProfileBody is the body of POST /api/v1/groups and PUT
// /api/v1/groups/{id}: the whole profile, custom attributes included.
type groupProfileBody struct {
	Profile map[string]json.RawMessage `json:"profile"`
}

// readGroupProfile decodes and validates a group profile body, answering
// Okta's 400s itself; ok is false when it did. The body is the whole new
// profile: attributes it leaves out are gone afterwards, as on Okta, whose
// PUT replaces the profile rather than merging into it (spec: operation
// replaceGroup, "Replaces the profile for a group with OKTA_GROUP type").
func (c *call) readGroupProfile() (name, description string, custom *groupCustom, ok bool) {
	var body groupProfileBody
	dec := json.NewDecoder(http.MaxBytesReader(c.w, c.r.Body, 1<<20))
	if err := dec.Decode(&body); err != nil || dec.More() {
		c.fail(http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
		return "", "", nil, false
	}
	if raw, set := body.Profile["name"]; !set || json.Unmarshal(raw, &name) != nil || strings.TrimSpace(name) == "" {
		c.badRequest("name", "The field cannot be left blank.")
		return "", "", nil, false
	}
	if raw, set := body.Profile["description"]; set && string(raw) != "null" && json.Unmarshal(raw, &description) != nil {
		c.badRequest("description", "Does not match required pattern.")
		return "", "", nil, false
	}
	switch {
	case utf8.RuneCountInString(name) > maxGroupName:
		c.badRequest("name", "The field is too long.")
		return "", "", nil, false
	case utf8.RuneCountInString(description) > maxGroupDescription:
		c.badRequest("description", "The field is too long.")
		return "", "", nil, false
	}
	var attrs []groupAttr
	for key, raw := range body.Profile {
		if key == "name" || key == "description" || string(raw) == "null" {
			continue
		}
		typ, known := groupSchemaCustom[key]
		if !known {
			c.badRequest(key, "Property name '"+key+"' is not defined in the group profile schema.")
			return "", "", nil, false
		}
		if !typ.valid(raw) {
			c.badRequest(key, "Does not match the "+string(typ)+" type of the group profile schema.")
			return "", "", nil, false
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			c.fail(http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
			return "", "", nil, false
		}
		attrs = append(attrs, groupAttr{name: key, value: compact.Bytes()})
	}
	return name, description, newGroupCustom(attrs), true
}

// groupNameTaken reports whether another OKTA_GROUP already has name:
// Okta keeps those unique (app groups may share a name with one).
func (o *org) groupNameTaken(name string, except *group) bool {
	for _, g := range o.groups {
		if g != except && g.typ == "OKTA_GROUP" && g.name == name {
			return true
		}
	}
	return false
}

// refuseReadOnlyGroup answers 403 E0000006 for groups the API may not
// change: APP_GROUP memberships and profiles belong to the source app,
// BUILT_IN ones (Everyone) to Okta. This is what Okta answers even to a
// super administrator.
func (c *call) refuseReadOnlyGroup(g *group) bool {
	if g.typ == "OKTA_GROUP" {
		return false
	}
	c.fail(http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action")
	return true
}

// writeActor is the System Log actor of an API write: the API token's
// owner, or the OAuth service app.
func (s *Sim) writeActor(c *call) LogActor {
	if c.who != nil && c.who.access != nil {
		id := c.who.access.clientID
		name := id
		if err := s.ext.oauth.load(); err == nil {
			if sc := s.ext.oauth.clients[id]; sc != nil {
				name = sc.Name
			}
		}
		return LogActor{ID: id, Type: logActorClient, AlternateID: id, DisplayName: name}
	}
	if u := c.who.owner(); u != nil {
		return userActor(s.org, u)
	}
	return s.adminActor()
}

// writeClient is the System Log client of an API write.
func writeClient(r *http.Request) LogClient {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return LogClient{IPAddress: host, Zone: "null", UserAgent: LogUserAgent{RawUserAgent: r.UserAgent(), OS: "Unknown", Browser: "UNKNOWN"}}
}

// logWrite records an API write in the System Log; callers hold s.mu.
// The events of one request share a transaction, named after the
// request's timestamp (unique: stampMS never repeats).
func (s *Sim) logWrite(c *call, now int64, eventType string, targets ...LogTarget) {
	from := logOrigin{
		actor:       s.writeActor(c),
		client:      writeClient(c.r),
		transaction: oktaID("W", s.org.seed, "txn/"+strconv.FormatInt(now, 10)),
		requestURI:  c.r.URL.RequestURI(),
	}
	s.ext.logs.add(now, eventType, from, targets...)
}

// createGroup serves POST /api/v1/groups: a new OKTA_GROUP.
func (s *Sim) createGroup(c *call) { s.writeGroupProfile(c, false) }

// replaceGroup serves PUT /api/v1/groups/{id}: a new profile for an
// OKTA_GROUP.
func (s *Sim) replaceGroup(c *call) { s.writeGroupProfile(c, true) }

// writeGroupProfile creates an OKTA_GROUP, or replaces the profile of
// group {id}, from the request's profile body. The body is read first: a
// bad body is a 400 even for an unknown group.
func (s *Sim) writeGroupProfile(c *call, replace bool) {
	name, description, custom, ok := c.readGroupProfile()
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org
	var g *group
	if replace {
		if g = o.group(c.params[0]); g == nil {
			c.notFound(c.params[0], "UserGroup")
			return
		}
		if c.refuseReadOnlyGroup(g) {
			return
		}
	}
	if o.groupNameTaken(name, g) {
		c.badRequest("name", "An object with this field already exists in the current organization")
		return
	}
	now := s.stampMS()
	event := EventGroupUpdate
	if g == nil {
		g = &group{typ: "OKTA_GROUP", created: now, lastMembershipUpdated: now}
		g.id, g.seq = o.newID(prefixGroup)
		o.insertGroup(g)
		event = EventGroupCreate
	}
	s.beforeProfileWrite(g, event == EventGroupCreate, now)
	g.name, g.description, g.custom, g.lastUpdated = name, description, custom, now
	s.logWrite(c, now, event, groupTarget(g))
	c.body = appendGroup(c.body[:0], g, c.base, false)
}

// membershipTarget resolves {groupId} and {userId} of a membership write,
// answering 404/403 itself; callers hold s.mu for writing.
func (s *Sim) membershipTarget(c *call) (*group, *user, bool) {
	o := s.org
	g := o.group(c.params[0])
	if g == nil {
		c.notFound(c.params[0], "UserGroup")
		return nil, nil, false
	}
	u := o.user(c.params[1])
	if u == nil {
		c.notFound(c.params[1], "User")
		return nil, nil, false
	}
	if c.refuseReadOnlyGroup(g) {
		return nil, nil, false
	}
	return g, u, true
}

// addGroupMember serves PUT /api/v1/groups/{gid}/users/{uid}: 204, also
// when the user already is a member (Okta's call is idempotent and then
// changes nothing).
func (s *Sim) addGroupMember(c *call) { s.setGroupMember(c, true) }

// removeGroupMember serves DELETE /api/v1/groups/{gid}/users/{uid}: 204,
// also when the user was not a member.
func (s *Sim) removeGroupMember(c *call) { s.setGroupMember(c, false) }

// setGroupMember makes a user a member of a group or not, logging the
// membership event and the app assignments it brings or takes away; a call
// that changes nothing logs nothing.
func (s *Sim) setGroupMember(c *call, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, u, ok := s.membershipTarget(c)
	if !ok {
		return
	}
	if isMember(g, u) != member {
		now := s.stampMS()
		before := userApps(u)
		event := EventGroupMemberRemove
		if member {
			s.org.addMember(g, u, now)
			event = EventGroupMemberAdd
		} else {
			s.org.removeMember(g, u, now)
		}
		s.logWrite(c, now, event, userTarget(s.org, u), groupTarget(g))
		for _, ev := range appMembershipEvents(s.org, u, before, nil, nil) {
			s.logWrite(c, now, ev.eventType, ev.targets...)
		}
	}
	c.status = http.StatusNoContent
	c.body = c.body[:0]
}
