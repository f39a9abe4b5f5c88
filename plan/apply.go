package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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
	// ResyncPartial is the read-back's partial-data flags, as a sync
	// records them: a resource it could not read (a 403 on a group's
	// members, say), for which the cache keeps what it had, or a flag
	// carried over from the sync before it.
	ResyncPartial []directory.Partial `json:"resync_partial,omitempty"`
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
	a, err := loadApply(st, id, opts)
	if err != nil || a.rec.State == StateApplied {
		return a.rep, err
	}
	// Refusals: nothing below writes until every one has passed.
	if err := a.refusals(ctx); err != nil {
		return a.rep, err
	}
	live, err := a.drift(ctx)
	if err != nil {
		return a.rep, err
	}
	if err := a.fourEyes(ctx); err != nil {
		return a.rep, err
	}
	if err := a.begin(live); err != nil {
		return a.rep, err
	}
	failure, err := a.operations(ctx, live)
	if err != nil {
		return a.rep, err
	}
	return a.rep, a.finish(ctx, failure)
}

// applyRun is one Apply call, carried through its phases: refusals,
// drift, four eyes, begin, operations and finish.
type applyRun struct {
	st      *store.Store
	id      string
	opts    ApplyOptions
	rec     *Record
	journal map[int]JournalEntry
	rep     ApplyReport
	// Set by refusals: the writing client and the approvals required.
	c    *okta.Client
	need int
	// run is this apply's run number once it writes (begin), else 0.
	run int
	// touched are the groups written to, by this run or an earlier one.
	touched map[string]bool
}

// loadApply reads plan id and its journal; a record that does not match
// its hash is refused (and the refusal audited).
func loadApply(st *store.Store, id string, opts ApplyOptions) (*applyRun, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &applyRun{st: st, id: id, opts: opts, rep: ApplyReport{ID: id, Results: []OpResult{}, Drift: []Drift{}, Resynced: []string{}}}
	rec, err := Load(st, id)
	if err != nil {
		if errors.Is(err, ErrTampered) {
			return a, a.refuse(fmt.Errorf("%w: %w", ErrRefused, err))
		}
		return a, err
	}
	a.rec, a.rep.State = rec, rec.State
	if a.journal, err = loadJournal(st, id); err != nil {
		return a, err
	}
	a.fill()
	return a, nil
}

// now is the journal and audit clock, to the millisecond.
func (a *applyRun) now() time.Time { return a.opts.Now().UTC().Truncate(time.Millisecond) }

// refuse audits a refusal and returns err.
func (a *applyRun) refuse(err error) error {
	auditRefusal(a.st, a.id, a.opts.Actor, "apply: "+err.Error(), a.now())
	return err
}

// fill sets the report's results and counts from the journal.
func (a *applyRun) fill() {
	rep := &a.rep
	rep.Results = rep.Results[:0]
	rep.Done, rep.Noop, rep.Failed, rep.Pending = 0, 0, 0, 0
	for _, op := range a.rec.Plan.Ops {
		res := OpResult{Op: op, State: OpPending}
		if e, ok := a.journal[op.Seq]; ok {
			res.State, res.Error = e.State, e.Error
			res.Earlier = e.Run < a.run || a.run == 0
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

// refusals checks, with reads only, everything that refuses an apply
// before the org is compared with the plan: the plan's state and
// approvals, the profile's write switch, the credential's org and its
// right to manage groups. A refusal is audited and wraps ErrRefused.
// (An applied plan is Apply's to answer before this phase.)
func (a *applyRun) refusals(ctx context.Context) error {
	rec, id := a.rec, a.id
	switch rec.State {
	case StateApproved, StateApplying, StateFailed:
	case StateRejected:
		return a.refuse(refused("plan %s was rejected", id))
	default:
		return a.refuse(refused("plan %s is not approved: %s%s", id, rec.ApprovalLine(), notCounted(rec)))
	}
	a.need = max(rec.Plan.ApprovalsRequired, a.opts.ApprovalsRequired, 1)
	if n := len(rec.Approvals()); n < a.need {
		return a.refuse(refused("plan %s has %d of the %d approvals this profile requires", id, n, a.need))
	}
	if !a.opts.AllowWrites {
		return a.refuse(refused("writes to Okta are off for this profile: set allow_writes = true in it (DIRDECK_ALLOW_WRITES=1 for the environment configuration)"))
	}
	if a.opts.Client == nil {
		return errors.New("apply: no Okta client")
	}
	a.c = a.opts.Client
	if !sameOrg(rec.Plan.OrgURL, a.c.OrgURL()) {
		return a.refuse(refused("plan %s was staged for %s; the credential is for %s", id, rec.Plan.OrgURL, a.c.OrgURL()))
	}
	if err := checkWriter(ctx, a.c, &rec.Plan); err != nil {
		return a.refuse(err)
	}
	return nil
}

// drift compares the live org with the plan's base (checkDrift) and
// returns every target group as read; the report lists the drift. Drift
// stops the apply (audited, wrapping ErrDrift) unless all of it is
// harmless and Rebase accepts it.
func (a *applyRun) drift(ctx context.Context) (map[string]*liveGroup, error) {
	live, drift, err := checkDrift(ctx, a.c, a.rec, a.journal)
	if err != nil {
		return nil, fmt.Errorf("drift check: %w", err)
	}
	a.rep.Drift = drift
	if err := driftVerdict(drift, a.opts.Rebase); err != nil {
		auditRefusal(a.st, a.id, a.opts.Actor, fmt.Sprintf("apply: drift in %d places", len(drift)), a.now())
		return nil, err
	}
	return live, nil
}

// driftVerdict is nil when an apply may go on over drift: there is none,
// or Rebase accepts it and none of it is blocking. Otherwise it wraps
// ErrDrift with the way out.
func driftVerdict(drift []Drift, rebase bool) error {
	if len(drift) == 0 {
		return nil
	}
	blocking := slices.ContainsFunc(drift, func(d Drift) bool { return d.Blocking })
	if !blocking && rebase {
		return nil
	}
	hint := "apply with rebase (--rebase) to accept membership changes made in Okta since staging"
	if blocking {
		hint = "stage a new plan against the current org"
	}
	return fmt.Errorf("%w: %s; %s", ErrDrift, english.Count(len(drift), "difference", "differences"), hint)
}

// fourEyes re-verifies, last before the first write, the signatures and
// their trust, and in the org who the author and approvers are and
// whether the approvers may approve.
func (a *applyRun) fourEyes(ctx context.Context) error {
	err := a.opts.Keys.verifyForApply(ctx, a.c, a.rec, a.need, a.now())
	if errors.Is(err, ErrRefused) {
		return a.refuse(err)
	}
	return err
}

// begin numbers this run, marks the plan applying (with Rebase, the live
// groups' stamps become the base drift is judged against) and audits the
// start.
func (a *applyRun) begin(live map[string]*liveGroup) error {
	a.run = 1
	for _, e := range a.journal {
		a.run = max(a.run, e.Run+1)
	}
	rec, err := update(a.st, a.id, func(r *Record) error {
		r.State, r.Updated, r.Error = StateApplying, a.now(), ""
		if a.opts.Rebase {
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
		return err
	}
	a.rec, a.rep.State = rec, StateApplying
	detail := fmt.Sprintf("run %d", a.run)
	if a.opts.Rebase && len(a.rep.Drift) > 0 {
		detail += fmt.Sprintf(", rebased over %d drifted items", len(a.rep.Drift))
	}
	return appendAudit(a.st, AuditEntry{Time: a.now(), Action: ActionApplyStarted, Actor: a.opts.Actor, PlanID: a.id, Hash: rec.Hash, Title: rec.Plan.Title, Detail: detail})
}

// operations performs the operations not yet done, in order, each
// journaled before and after, and stops at the first that fails: failure
// is that operation's error, err an error of the journal.
func (a *applyRun) operations(ctx context.Context, live map[string]*liveGroup) (failure, err error) {
	a.touched = map[string]bool{}
	for _, op := range a.rec.Plan.Ops {
		if e, ok := a.journal[op.Seq]; ok && (e.State == OpDone || e.State == OpNoop) {
			if e.GroupID != "" {
				a.touched[e.GroupID] = true
			}
			continue
		}
		g := live[op.Group]
		entry := JournalEntry{Seq: op.Seq, Run: a.run, GroupID: g.id}
		state, err := applyOp(ctx, a.st, a.c, a.id, op, g, &entry, a.now)
		entry.State, entry.Time = state, a.now()
		if err != nil {
			entry.Error = err.Error()
		}
		if jerr := putJournal(a.st, a.id, entry); jerr != nil {
			return nil, jerr
		}
		a.journal[op.Seq] = entry
		if entry.GroupID != "" {
			a.touched[entry.GroupID] = true
		}
		if a.opts.Progress != nil {
			a.opts.Progress(op, state)
		}
		if err != nil {
			failure = fmt.Errorf("operation %d (%s): %w", op.Seq, describe(op), err)
			break
		}
	}
	a.fill()
	return failure, nil
}

// finish records the outcome: the touched groups' stamps after our own
// writes (so that resuming does not see drift), the plan's final state,
// the groups read back into the cache, and the audit entry. The error
// wraps ErrApplyFailed when an operation failed.
func (a *applyRun) finish(ctx context.Context, failure error) error {
	stamps := map[string]time.Time{}
	for gid := range a.touched {
		if g, err := a.c.GetGroup(ctx, gid); err == nil {
			stamps[gid] = g.LastMembershipUpdated.UTC()
		}
	}
	final := StateApplied
	if failure != nil {
		final = StateFailed
	}
	rec, err := update(a.st, a.id, func(r *Record) error {
		r.State, r.Updated = final, a.now()
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
		return err
	}
	a.rec, a.rep.State = rec, final
	a.readBack(ctx)

	rep := &a.rep
	action, detail := ActionApplied, fmt.Sprintf("%d done, %d no-op", rep.Done, rep.Noop)
	if failure != nil {
		action, detail = ActionApplyFailed, fmt.Sprintf("%d done, %d no-op, %d failed, %d pending: %v", rep.Done, rep.Noop, rep.Failed, rep.Pending, failure)
	}
	if err := appendAudit(a.st, AuditEntry{Time: a.now(), Action: action, Actor: a.opts.Actor, PlanID: a.id, Hash: rec.Hash, Title: rec.Plan.Title, Detail: detail}); err != nil {
		return err
	}
	if failure != nil {
		return fmt.Errorf("%w: %w", ErrApplyFailed, failure)
	}
	return nil
}

// readBack reads the touched groups back into the cache, as a sync of
// those groups would; a failure is reported, not returned: the writes
// stand and the next sync catches up.
func (a *applyRun) readBack(ctx context.Context) {
	if len(a.touched) == 0 {
		return
	}
	groups := slices.Sorted(maps.Keys(a.touched))
	run, err := dsync.Groups(ctx, a.c, a.st, groups, dsync.Options{Now: a.opts.Now})
	if err != nil {
		a.rep.ResyncError = err.Error()
		return
	}
	a.rep.Resynced, a.rep.ResyncPartial = groups, run.Partial
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
	live := map[string]*liveGroup{}
	drift := []Drift{}
	for _, base := range rec.Plan.Groups {
		var g *liveGroup
		var d []Drift
		var err error
		if base.Create {
			g, d, err = createdDrift(ctx, c, &rec.Plan, base, journal)
		} else {
			g, d, err = existingDrift(ctx, c, rec, base, journal)
		}
		if err != nil {
			return nil, nil, err
		}
		if g != nil {
			live[base.Ref] = g
		}
		drift = append(drift, d...)
	}
	return live, drift, nil
}

// pendingOps are the plan's operations on group ref not yet journaled
// done or no-op.
func pendingOps(p *Plan, ref string, journal map[int]JournalEntry) []Op {
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

// createdDrift reads a group the plan creates: once created (journaled,
// or an earlier run's create whose answer was lost) its members; before,
// that its name is still free (a group of that name is blocking drift).
func createdDrift(ctx context.Context, c *okta.Client, p *Plan, base GroupBase, journal map[int]JournalEntry) (*liveGroup, []Drift, error) {
	g := &liveGroup{created: true, members: map[string]bool{}}
	e, journaled := createEntry(p, base.Ref, journal)
	g.id = e.GroupID
	if g.id == "" {
		named, err := groupsNamed(ctx, c, base.Name, e, journaled)
		if err != nil {
			return nil, nil, err
		}
		if len(named) == 0 {
			return g, nil, nil
		}
		own, ok := ownLostCreate(named, base, e, journaled)
		if !ok {
			return g, []Drift{{Group: base.Ref, GroupName: base.Name, Blocking: true,
				What: fmt.Sprintf("a group named %q now exists in Okta", base.Name)}}, nil
		}
		g.id = own.ID
	}
	if err := readMembers(ctx, c, g); err != nil {
		return nil, nil, err
	}
	return g, nil, nil
}

// existingDrift reads a group the plan changes: gone, no longer an
// OKTA_GROUP, or its profile edited under the plan's rename is blocking
// drift; with membership operations pending its members are read and
// compared (membershipDrift).
func existingDrift(ctx context.Context, c *okta.Client, rec *Record, base GroupBase, journal map[int]JournalEntry) (*liveGroup, []Drift, error) {
	ops := pendingOps(&rec.Plan, base.Ref, journal)
	lg, err := c.GetGroup(ctx, base.Ref)
	if okta.IsNotFound(err) {
		return nil, []Drift{{Group: base.Ref, GroupName: base.Name, Blocking: true, What: "the group was deleted in Okta"}}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	g := &liveGroup{id: lg.ID, stamp: lg.LastMembershipUpdated.UTC(), members: map[string]bool{}}
	if lg.Type != directory.GroupTypeOkta {
		return g, []Drift{{Group: base.Ref, GroupName: base.Name, Blocking: true, What: fmt.Sprintf("the group is now %s", lg.Type)}}, nil
	}
	var drift []Drift
	for _, op := range ops {
		if op.Kind == OpUpdate && (lg.Name != base.Name || lg.Description != base.Description) {
			drift = append(drift, Drift{Group: base.Ref, GroupName: base.Name, Blocking: true,
				What: fmt.Sprintf("the group's profile was edited in Okta (now %q, %q) under the plan's rename", lg.Name, lg.Description)})
		}
	}
	// Only membership operations care about the members; a rename
	// does not conflict with someone else's membership changes.
	if !slices.ContainsFunc(ops, func(op Op) bool { return op.Kind == OpAdd || op.Kind == OpRemove }) {
		return g, drift, nil
	}
	if err := readMembers(ctx, c, g); err != nil {
		return nil, nil, err
	}
	return g, append(drift, membershipDrift(rec, base, ops, journal, g)...), nil
}

// membershipDrift compares a group's live members with the plan's base:
// nothing when its lastMembershipUpdated is the base's (or the stamp
// recorded after dirdeck's own writes) or dirdeck's journaled writes
// explain the change; else each pending operation whose user moved, or
// the change as a whole. All of it is harmless (Rebase accepts it).
func membershipDrift(rec *Record, base GroupBase, ops []Op, journal map[int]JournalEntry, g *liveGroup) []Drift {
	baseStamp := base.LastMembershipUpdated
	if t, ok := rec.Stamps[base.Ref]; ok {
		baseStamp = t
	}
	if g.stamp.Equal(baseStamp) {
		return nil
	}
	if _, stamped := rec.Stamps[base.Ref]; !stamped && ownWritesExplain(&rec.Plan, base, journal, g) {
		return nil
	}
	var drift []Drift
	for _, op := range ops {
		if op.Kind != OpAdd && op.Kind != OpRemove {
			continue
		}
		if e, ok := journal[op.Seq]; ok && (e.State == OpStarted || e.State == OpFailed) {
			continue // may have landed before failing: re-applied idempotently
		}
		if g.members[op.UserID] != op.BaseMember {
			now := "removed from"
			if g.members[op.UserID] {
				now = "added to"
			}
			drift = append(drift, Drift{Group: base.Ref, GroupName: base.Name,
				What: fmt.Sprintf("%s was %s the group in Okta since staging (the plan's %s becomes a no-op)", op.Login, now, op.Kind)})
		}
	}
	if len(drift) == 0 {
		drift = append(drift, Drift{Group: base.Ref, GroupName: base.Name,
			What: fmt.Sprintf("the group's membership changed in Okta since staging (%d members at staging, %d now; lastMembershipUpdated %s → %s)",
				base.Members, len(g.members), directory.DigestTime(baseStamp), directory.DigestTime(g.stamp))})
	}
	return drift
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
