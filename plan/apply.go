package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/english"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// Journal states of an operation.
const (
	OpPending = "pending" // not attempted (never journaled)
	OpStarted = "started" // journaled before the request; its outcome is unknown
	OpDone    = "done"
	OpNoop    = "noop" // the intent already held in the live org: no request sent
	OpFailed  = "failed"
)

// JournalEntry is the apply journal's record of one operation.
type JournalEntry struct {
	Seq   int       `json:"seq"`
	State string    `json:"state"`
	Time  time.Time `json:"time"`
	// Started is when the operation's request was about to be sent (the
	// Time of its "started" entry); zero when no request was sent.
	Started time.Time `json:"started,omitzero"`
	// GroupID is the group the operation wrote to (for a create, the id
	// Okta gave the new group).
	GroupID string `json:"group_id,omitempty"`
	Error   string `json:"error,omitempty"`
	Run     int    `json:"run"` // the apply attempt that wrote the entry, from 1
}

// ApplyOptions configure Apply.
type ApplyOptions struct {
	// Client is the credential that writes; it must be allowed to manage
	// groups.
	Client *okta.Client
	// Actor is who applies (for the audit log).
	Actor Identity
	// AllowWrites is the profile's explicit write switch (allow_writes or
	// DIRDECK_ALLOW_WRITES=1).
	AllowWrites bool
	// ApprovalsRequired is the applying profile's requirement; the plan's
	// own, fixed at staging, applies when it is higher.
	ApprovalsRequired int
	// Keys verify the author's and the approvers' signatures right before
	// the first write (see Keys).
	Keys Keys
	// Rebase accepts harmless drift (membership changes of target groups
	// since staging): operations whose intent already holds become no-ops.
	Rebase bool
	// Progress is called after each operation.
	Progress func(op Op, state string)
	// Now is the clock for journal and audit stamps.
	Now func() time.Time
}

// Drift is one difference between the live org and a plan's base.
type Drift struct {
	Group     string `json:"group"`
	GroupName string `json:"group_name"`
	What      string `json:"what"`
	// Blocking drift stops the apply even with Rebase.
	Blocking bool `json:"blocking"`
}

// OpResult is one operation's outcome in an ApplyReport.
type OpResult struct {
	Op    Op     `json:"op"`
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// Earlier is set when an earlier apply run journaled the outcome
	// (always, in a report of a refused or already applied plan).
	Earlier bool `json:"earlier,omitempty"`
}

// ApplyReport says what an apply did.
type ApplyReport struct {
	ID      string     `json:"id"`
	State   string     `json:"state"`
	Results []OpResult `json:"results"`
	Drift   []Drift    `json:"drift"`
	// Done, Noop, Failed and Pending count Results by state.
	Done    int `json:"done"`
	Noop    int `json:"noop"`
	Failed  int `json:"failed"`
	Pending int `json:"pending"`
	// Resynced lists the groups read back into the cache; ResyncError
	// says why that failed (the writes stand; the next sync catches up).
	Resynced    []string `json:"resynced"`
	ResyncError string   `json:"resync_error,omitempty"`
}

// writerRoles are the Okta admin roles that may change group memberships;
// creating and renaming groups needs one of groupAdminRoles.
var (
	writerRoles     = []string{"SUPER_ADMIN", "ORG_ADMIN", "GROUP_MEMBERSHIP_ADMIN", "USER_ADMIN"}
	groupAdminRoles = []string{"SUPER_ADMIN", "ORG_ADMIN"}
)

// Apply pushes an approved plan to Okta. See the package documentation
// for the refusals, the drift check and resuming. The error wraps
// ErrRefused, ErrDrift or ErrApplyFailed (with the report filled so far)
// or is an I/O error of the cache.
func Apply(ctx context.Context, st *store.Store, id string, opts ApplyOptions) (ApplyReport, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	now := func() time.Time { return opts.Now().UTC().Truncate(time.Millisecond) }
	rep := ApplyReport{ID: id, Results: []OpResult{}, Drift: []Drift{}, Resynced: []string{}}
	refuse := func(err error) (ApplyReport, error) {
		auditRefusal(st, id, opts.Actor, "apply: "+err.Error(), now())
		return rep, err
	}
	rec, err := Load(st, id)
	if err != nil {
		if errors.Is(err, ErrTampered) {
			return refuse(fmt.Errorf("%w: %w", ErrRefused, err))
		}
		return rep, err
	}
	rep.State = rec.State
	journal, err := loadJournal(st, id)
	if err != nil {
		return rep, err
	}
	run := 0 // this apply's run number, once it writes
	fill := func() {
		rep.Results = rep.Results[:0]
		rep.Done, rep.Noop, rep.Failed, rep.Pending = 0, 0, 0, 0
		for _, op := range rec.Plan.Ops {
			res := OpResult{Op: op, State: OpPending}
			if e, ok := journal[op.Seq]; ok {
				res.State, res.Error = e.State, e.Error
				res.Earlier = e.Run < run || run == 0
			}
			switch res.State {
			case OpDone:
				rep.Done++
			case OpNoop:
				rep.Noop++
			case OpFailed:
				rep.Failed++
			default:
				rep.Pending++
			}
			rep.Results = append(rep.Results, res)
		}
	}
	fill()

	// Refusals: nothing below writes until every one has passed.
	switch rec.State {
	case StateApplied:
		return rep, nil
	case StateApproved, StateApplying, StateFailed:
	case StateRejected:
		return refuse(refused("plan %s was rejected", id))
	default:
		return refuse(refused("plan %s is not approved: %s%s", id, rec.ApprovalLine(), notCounted(rec)))
	}
	need := max(rec.Plan.ApprovalsRequired, opts.ApprovalsRequired, 1)
	if n := len(rec.Approvals()); n < need {
		return refuse(refused("plan %s has %d of the %d approvals this profile requires", id, n, need))
	}
	if !opts.AllowWrites {
		return refuse(refused("writes to Okta are off for this profile: set allow_writes = true in it (DIRDECK_ALLOW_WRITES=1 for the environment configuration)"))
	}
	if opts.Client == nil {
		return rep, errors.New("apply: no Okta client")
	}
	c := opts.Client
	if !sameOrg(rec.Plan.OrgURL, c.OrgURL()) {
		return refuse(refused("plan %s was staged for %s; the credential is for %s", id, rec.Plan.OrgURL, c.OrgURL()))
	}
	if err := checkWriter(ctx, c, &rec.Plan); err != nil {
		return refuse(err)
	}

	// Drift check and the live members of every target group.
	live, drift, err := checkDrift(ctx, c, rec, journal)
	if err != nil {
		return rep, fmt.Errorf("drift check: %w", err)
	}
	rep.Drift = drift
	if len(drift) > 0 {
		blocking := slices.ContainsFunc(drift, func(d Drift) bool { return d.Blocking })
		if blocking || !opts.Rebase {
			hint := "apply with rebase (--rebase) to accept membership changes made in Okta since staging"
			if blocking {
				hint = "stage a new plan against the current org"
			}
			auditRefusal(st, id, opts.Actor, fmt.Sprintf("apply: drift in %d places", len(drift)), now())
			return rep, fmt.Errorf("%w: %s; %s", ErrDrift, english.Count(len(drift), "difference", "differences"), hint)
		}
	}

	// Four eyes, re-verified last: signatures, trust, and in the org who
	// the author and approvers are and whether the approvers may approve.
	if err := opts.Keys.verifyForApply(ctx, c, rec, need, now()); err != nil {
		if errors.Is(err, ErrRefused) {
			return refuse(err)
		}
		return rep, err
	}

	run = 1
	for _, e := range journal {
		run = max(run, e.Run+1)
	}
	rec, err = update(st, id, func(r *Record) error {
		r.State, r.Updated, r.Error = StateApplying, now(), ""
		if opts.Rebase {
			for ref, g := range live {
				if !g.created {
					if r.Stamps == nil {
						r.Stamps = map[string]time.Time{}
					}
					r.Stamps[ref] = g.stamp
				}
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	rep.State = StateApplying
	detail := fmt.Sprintf("run %d", run)
	if opts.Rebase && len(drift) > 0 {
		detail += fmt.Sprintf(", rebased over %d drifted items", len(drift))
	}
	if err := appendAudit(st, AuditEntry{Time: now(), Action: ActionApplyStarted, Actor: opts.Actor, PlanID: id, Hash: rec.Hash, Title: rec.Plan.Title, Detail: detail}); err != nil {
		return rep, err
	}

	// The operations, in order, each journaled before and after.
	var failure error
	touched := map[string]bool{}
	for _, op := range rec.Plan.Ops {
		if e, ok := journal[op.Seq]; ok && (e.State == OpDone || e.State == OpNoop) {
			if e.GroupID != "" {
				touched[e.GroupID] = true
			}
			continue
		}
		g := live[op.Group]
		entry := JournalEntry{Seq: op.Seq, Run: run, GroupID: g.id}
		state, err := applyOp(ctx, st, c, id, op, g, &entry, now)
		entry.State, entry.Time = state, now()
		if err != nil {
			entry.Error = err.Error()
		}
		if jerr := putJournal(st, id, entry); jerr != nil {
			return rep, jerr
		}
		journal[op.Seq] = entry
		if entry.GroupID != "" {
			touched[entry.GroupID] = true
		}
		if opts.Progress != nil {
			opts.Progress(op, state)
		}
		if err != nil {
			failure = fmt.Errorf("operation %d (%s): %w", op.Seq, describe(op), err)
			break
		}
	}
	fill()

	// Stamps after our own writes, so that resuming does not see drift.
	stamps := map[string]time.Time{}
	for gid := range touched {
		if g, err := c.GetGroup(ctx, gid); err == nil {
			stamps[gid] = g.LastMembershipUpdated.UTC()
		}
	}
	final := StateApplied
	if failure != nil {
		final = StateFailed
	}
	rec, err = update(st, id, func(r *Record) error {
		r.State, r.Updated = final, now()
		if failure != nil {
			r.Error = failure.Error()
		}
		for gid, t := range stamps {
			if r.Stamps == nil {
				r.Stamps = map[string]time.Time{}
			}
			r.Stamps[gid] = t
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	rep.State = final

	groups := make([]string, 0, len(touched))
	for gid := range touched {
		groups = append(groups, gid)
	}
	slices.Sort(groups)
	if len(groups) > 0 {
		// Read back what was written, as a sync of those groups would.
		if _, err := dsync.Groups(ctx, c, st, groups, dsync.Options{Now: opts.Now}); err != nil {
			rep.ResyncError = err.Error()
		} else {
			rep.Resynced = groups
		}
	}

	action, detail := ActionApplied, fmt.Sprintf("%d done, %d no-op", rep.Done, rep.Noop)
	if failure != nil {
		action, detail = ActionApplyFailed, fmt.Sprintf("%d done, %d no-op, %d failed, %d pending: %v", rep.Done, rep.Noop, rep.Failed, rep.Pending, failure)
	}
	if err := appendAudit(st, AuditEntry{Time: now(), Action: action, Actor: opts.Actor, PlanID: id, Hash: rec.Hash, Title: rec.Plan.Title, Detail: detail}); err != nil {
		return rep, err
	}
	if failure != nil {
		return rep, fmt.Errorf("%w: %w", ErrApplyFailed, failure)
	}
	return rep, nil
}

// describe names an operation for messages.
func describe(op Op) string {
	switch op.Kind {
	case OpAdd:
		return fmt.Sprintf("add %s to %q", op.Login, op.GroupName)
	case OpRemove:
		return fmt.Sprintf("remove %s from %q", op.Login, op.GroupName)
	case OpCreate:
		return fmt.Sprintf("create group %q", op.Name)
	default:
		return fmt.Sprintf("update group %q", op.GroupName)
	}
}

// liveGroup is a target group as the drift check read it.
type liveGroup struct {
	id      string
	created bool // created by this plan (id known once the create is done)
	stamp   time.Time
	members map[string]bool
}

// applyOp performs one operation after journaling it as started.
func applyOp(ctx context.Context, st *store.Store, c *okta.Client, id string, op Op, g *liveGroup, entry *JournalEntry, now func() time.Time) (string, error) {
	if op.Kind != OpCreate && g.id == "" {
		return OpFailed, fmt.Errorf("group %q has no id: its create did not complete", op.GroupName)
	}
	if op.Kind == OpAdd || op.Kind == OpRemove {
		if g.members[op.UserID] == (op.Kind == OpAdd) {
			return OpNoop, nil
		}
	}
	if op.Kind == OpCreate && g.id != "" {
		// An earlier run's create landed but its answer was lost (see
		// ownLostCreate): the group exists, nothing to send.
		entry.GroupID = g.id
		return OpNoop, nil
	}
	started := *entry
	started.State, started.Time = OpStarted, now()
	if err := putJournal(st, id, started); err != nil {
		return OpFailed, err
	}
	entry.Started = started.Time
	var err error
	switch op.Kind {
	case OpAdd:
		if err = c.AddGroupMember(ctx, g.id, op.UserID); err == nil {
			g.members[op.UserID] = true
		}
	case OpRemove:
		if err = c.RemoveGroupMember(ctx, g.id, op.UserID); err == nil {
			delete(g.members, op.UserID)
		}
	case OpCreate:
		var created directory.Group
		if created, err = c.CreateGroup(ctx, op.Name, op.Description); err == nil {
			g.id, entry.GroupID = created.ID, created.ID
		}
	case OpUpdate:
		_, err = c.UpdateGroup(ctx, g.id, op.Name, op.Description)
	default:
		err = fmt.Errorf("unknown operation kind %q", op.Kind)
	}
	if err != nil {
		return OpFailed, err
	}
	return OpDone, nil
}

func putJournal(st *store.Store, id string, e JournalEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode journal entry: %w", err)
	}
	if err := st.PutPlanJournal(id, e.Seq, b); err != nil {
		return fmt.Errorf("journal operation %d of plan %s: %w", e.Seq, id, err)
	}
	return nil
}

func loadJournal(st *store.Store, id string) (map[int]JournalEntry, error) {
	raw, err := st.PlanJournal(id)
	if err != nil {
		return nil, fmt.Errorf("read journal of plan %s: %w", id, err)
	}
	out := make(map[int]JournalEntry, len(raw))
	for seq, b := range raw {
		var e JournalEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("journal of plan %s, operation %d: %w", id, seq, err)
		}
		out[seq] = e
	}
	return out, nil
}

// Journal returns the apply journal of plan id by operation seq.
func Journal(st *store.Store, id string) (map[int]JournalEntry, error) { return loadJournal(st, id) }

// checkWriter refuses, with reads only, a credential that cannot manage
// groups: an OAuth token without okta.groups.manage, or an admin without
// a role that may change memberships (or create and rename groups).
func checkWriter(ctx context.Context, c *okta.Client, p *Plan) error {
	needGroupAdmin := slices.ContainsFunc(p.Ops, func(op Op) bool { return op.Kind == OpCreate || op.Kind == OpUpdate })
	if c.IsOAuth() {
		// The granted scopes arrive with the first access token.
		if _, err := c.GetGroup(ctx, firstExisting(p)); err != nil && !okta.IsNotFound(err) {
			return fmt.Errorf("check the credential's scopes: %w", err)
		}
		if !slices.Contains(c.GrantedScopes(), "okta.groups.manage") {
			return refused("the OAuth service app was not granted okta.groups.manage (granted: %s); grant the scope in Okta and add it to the profile's scopes", strings.Join(c.GrantedScopes(), " "))
		}
		return nil
	}
	me, err := c.CurrentUser(ctx)
	if err != nil {
		return fmt.Errorf("identify the admin behind the token: %w", err)
	}
	roles, err := c.UserRoles(ctx, me.ID)
	if err != nil {
		if okta.IsForbidden(err) {
			return refused("cannot read the roles of %s to confirm they may manage groups (okta.groups.manage): %v", me.Login, err)
		}
		return fmt.Errorf("read admin roles: %w", err)
	}
	allowed := writerRoles
	what := "change group memberships"
	if needGroupAdmin {
		allowed, what = groupAdminRoles, "create or edit groups"
	}
	var have []string
	for _, r := range roles {
		if r.Status != "" && !strings.EqualFold(r.Status, "ACTIVE") {
			continue
		}
		if slices.Contains(allowed, r.Type) {
			return nil
		}
		have = append(have, r.String())
	}
	if len(have) == 0 {
		have = []string{"no admin role"}
	}
	return refused("the token's admin %s has %s, which cannot %s (okta.groups.manage): use a token of an admin with %s",
		me.Login, strings.Join(have, ", "), what, strings.Join(allowed, " or "))
}

func firstExisting(p *Plan) string {
	for _, g := range p.Groups {
		if !g.Create {
			return g.Ref
		}
	}
	return "00g-none"
}

// checkDrift reads every target group and the members of those with
// pending membership operations, and compares them with the plan's base
// (or the stamps dirdeck recorded after its own writes).
func checkDrift(ctx context.Context, c *okta.Client, rec *Record, journal map[int]JournalEntry) (map[string]*liveGroup, []Drift, error) {
	p := &rec.Plan
	live := map[string]*liveGroup{}
	drift := []Drift{}
	pendingOps := func(ref string) []Op {
		var out []Op
		for _, op := range p.Ops {
			if op.Group != ref {
				continue
			}
			if e, ok := journal[op.Seq]; ok && (e.State == OpDone || e.State == OpNoop) {
				continue
			}
			out = append(out, op)
		}
		return out
	}
	for _, base := range p.Groups {
		ops := pendingOps(base.Ref)
		if base.Create {
			g := &liveGroup{created: true, members: map[string]bool{}}
			live[base.Ref] = g
			e, journaled := createEntry(p, base.Ref, journal)
			g.id = e.GroupID
			if g.id == "" {
				named, err := groupsNamed(ctx, c, base.Name, e, journaled)
				if err != nil {
					return nil, nil, err
				}
				if len(named) == 0 {
					continue
				}
				own, ok := ownLostCreate(named, base, e, journaled)
				if !ok {
					drift = append(drift, Drift{Group: base.Ref, GroupName: base.Name, Blocking: true,
						What: fmt.Sprintf("a group named %q now exists in Okta", base.Name)})
					continue
				}
				g.id = own.ID
			}
			if err := readMembers(ctx, c, g); err != nil {
				return nil, nil, err
			}
			continue
		}
		lg, err := c.GetGroup(ctx, base.Ref)
		if okta.IsNotFound(err) {
			drift = append(drift, Drift{Group: base.Ref, GroupName: base.Name, Blocking: true, What: "the group was deleted in Okta"})
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		g := &liveGroup{id: lg.ID, stamp: lg.LastMembershipUpdated.UTC(), members: map[string]bool{}}
		live[base.Ref] = g
		if lg.Type != directory.GroupTypeOkta {
			drift = append(drift, Drift{Group: base.Ref, GroupName: base.Name, Blocking: true, What: fmt.Sprintf("the group is now %s", lg.Type)})
			continue
		}
		for _, op := range ops {
			if op.Kind == OpUpdate && (lg.Name != base.Name || lg.Description != base.Description) {
				drift = append(drift, Drift{Group: base.Ref, GroupName: base.Name, Blocking: true,
					What: fmt.Sprintf("the group's profile was edited in Okta (now %q, %q) under the plan's rename", lg.Name, lg.Description)})
			}
		}
		// Only membership operations care about the members; a rename
		// does not conflict with someone else's membership changes.
		if !slices.ContainsFunc(ops, func(op Op) bool { return op.Kind == OpAdd || op.Kind == OpRemove }) {
			continue
		}
		if err := readMembers(ctx, c, g); err != nil {
			return nil, nil, err
		}
		baseStamp := base.LastMembershipUpdated
		if t, ok := rec.Stamps[base.Ref]; ok {
			baseStamp = t
		}
		if g.stamp.Equal(baseStamp) {
			continue
		}
		if _, stamped := rec.Stamps[base.Ref]; !stamped && ownWritesExplain(p, base, journal, g) {
			continue
		}
		same := 0
		for _, op := range ops {
			if op.Kind != OpAdd && op.Kind != OpRemove {
				continue
			}
			if e, ok := journal[op.Seq]; ok && (e.State == OpStarted || e.State == OpFailed) {
				continue // may have landed before failing: re-applied idempotently
			}
			if g.members[op.UserID] != op.BaseMember {
				same++
				now := "removed from"
				if g.members[op.UserID] {
					now = "added to"
				}
				drift = append(drift, Drift{Group: base.Ref, GroupName: base.Name,
					What: fmt.Sprintf("%s was %s the group in Okta since staging (the plan's %s becomes a no-op)", op.Login, now, op.Kind)})
			}
		}
		if same == 0 {
			drift = append(drift, Drift{Group: base.Ref, GroupName: base.Name,
				What: fmt.Sprintf("the group's membership changed in Okta since staging (%d members at staging, %d now; lastMembershipUpdated %s → %s)",
					base.Members, len(g.members), directory.DigestTime(baseStamp), directory.DigestTime(g.stamp))})
		}
	}
	return live, drift, nil
}

// ownWritesExplain reports whether a group's membership change since
// staging is dirdeck's own journaled writes and nothing else — an apply
// killed (kill -9, a crash) after writing but before it could record the
// group's stamp. It holds when the live member count is the staged count
// moved by exactly the journaled operations that took effect, every
// journaled-done operation still holds, every member the plan has yet to
// touch is as staged, and the group's lastMembershipUpdated is no later
// than the last journaled write (within clockSkew): someone else's add or
// remove changes the count, and a later change moves the stamp past ours.
func ownWritesExplain(p *Plan, base GroupBase, journal map[int]JournalEntry, g *liveGroup) bool {
	want, journaled := base.Members, false
	var last time.Time
	for _, op := range p.Ops {
		if op.Group != base.Ref || (op.Kind != OpAdd && op.Kind != OpRemove) {
			continue
		}
		intent := op.Kind == OpAdd
		e, ok := journal[op.Seq]
		switch {
		case !ok:
			if g.members[op.UserID] != op.BaseMember {
				return false
			}
			continue
		case e.State == OpNoop:
			return false // the intent held before dirdeck wrote: not ours
		}
		journaled = true
		if e.Time.After(last) {
			last = e.Time
		}
		took := g.members[op.UserID] == intent
		if e.State == OpDone && !took {
			return false // undone since by someone else
		}
		if took && op.BaseMember != intent {
			if intent {
				want++
			} else {
				want--
			}
		}
	}
	return journaled && len(g.members) == want && !g.stamp.After(last.Add(clockSkew))
}

func readMembers(ctx context.Context, c *okta.Client, g *liveGroup) error {
	return c.ListGroupMembers(ctx, g.id, func(ids []string) error {
		for _, id := range ids {
			g.members[id] = true
		}
		return nil
	})
}

// groupsNamed returns the groups whose name is name, case-insensitively
// (as Okta compares group names).
//
// When an earlier run sent the create (e is journaled started or failed),
// the group it may have made must be seen at once, and Okta's search is
// eventually consistent: a group created seconds ago may be missing from
// it. So the lookup then uses filter, which reads current data, for the
// OKTA_GROUPs updated since the request went out — a group created then
// has a lastUpdated at least as late (filter takes neither the name nor
// created on groups; the name is compared here). Otherwise the lookup only checks
// that the name is free before a first create, and search serves: Okta
// refuses a duplicate name at create time anyway.
func groupsNamed(ctx context.Context, c *okta.Client, name string, e JournalEntry, journaled bool) ([]directory.Group, error) {
	var named []directory.Group
	q := okta.Query{Search: fmt.Sprintf("profile.name eq %q", name)}
	if from, _, sent := createSent(e, journaled); sent {
		q = okta.Query{Filter: fmt.Sprintf("type eq %q and lastUpdated gt %q", directory.GroupTypeOkta, directory.DigestTime(from.Add(-clockSkew)))}
	}
	err := c.ListGroups(ctx, q, func(gs []directory.Group) error {
		for _, g := range gs {
			if strings.EqualFold(g.Name, name) {
				named = append(named, g)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look for group %q: %w", name, err)
	}
	return named, nil
}

// createSent reports whether journal entry e says a create request went
// out without its answer being recorded (started, or failed), and between
// which times.
func createSent(e JournalEntry, journaled bool) (from, to time.Time, sent bool) {
	switch {
	case !journaled:
		return time.Time{}, time.Time{}, false
	case e.State == OpStarted:
		return e.Time, time.Now(), !e.Time.IsZero()
	case e.State == OpFailed:
		return e.Started, e.Time, !e.Started.IsZero()
	}
	return time.Time{}, time.Time{}, false
}

// createEntry is the journal entry of the operation creating group ref,
// if any.
func createEntry(p *Plan, ref string, journal map[int]JournalEntry) (JournalEntry, bool) {
	for _, op := range p.Ops {
		if op.Group == ref && op.Kind == OpCreate {
			e, ok := journal[op.Seq]
			return e, ok
		}
	}
	return JournalEntry{}, false
}

// clockSkew is how far Okta's clock and this machine's may disagree when
// matching a group's creation time against the journal.
const clockSkew = 5 * time.Minute

// ownLostCreate finds, among the groups named like base, the one an
// earlier apply created without learning it: its create request was sent
// (journaled started or failed) but the answer was lost — a killed
// process, a dropped connection, a garbled response. It must be the only
// such group, an OKTA_GROUP with exactly the plan's name and description,
// created while that request was out. Anything else is someone else's
// group, and the name stays taken.
func ownLostCreate(named []directory.Group, base GroupBase, e JournalEntry, journaled bool) (directory.Group, bool) {
	from, to, sent := createSent(e, journaled)
	if !sent || len(named) != 1 {
		return directory.Group{}, false
	}
	g := named[0]
	created := g.Created.UTC()
	ok := g.Type == directory.GroupTypeOkta && g.Name == base.Name && g.Description == base.Description &&
		!created.Before(from.Add(-clockSkew)) && !created.After(to.Add(clockSkew))
	return g, ok
}

// sameOrg compares org URLs as dirdeck normalises them (scheme and host
// are case-insensitive; a trailing slash does not matter).
func sameOrg(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}
