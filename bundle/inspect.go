package bundle

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dirdeck/dirdeck/access"
	"github.com/dirdeck/dirdeck/directory"
)

// Summary is what `dirdeck bundle inspect` reports.
type Summary struct {
	File    string          `json:"file"`
	Bytes   int64           `json:"bytes"`
	Meta    Meta            `json:"meta"`
	Files   []FileEntry     `json:"files"`
	Runs    []RunSummary    `json:"runs"`
	Reports json.RawMessage `json:"reports,omitempty"`
	// Findings are the scope and token problems the reports name, one
	// line each.
	Findings []string `json:"findings"`
}

// RunSummary digests one run and its journal.
type RunSummary struct {
	directory.SyncRun
	Journal RunDigest `json:"journal"`
}

// RunDigest is what a run's journal says, in the shape replays are
// compared in: statuses and Okta error codes per endpoint, waits,
// retries, rate-limit bucket use.
type RunDigest struct {
	Mode     string `json:"mode"`
	Status   string `json:"status"`
	Error    string `json:"error,omitempty"`
	Requests int    `json:"requests"` // attempts, without cancelled ones
	Retries  int    `json:"retries"`
	// Cancelled counts attempts cut short when the run stopped.
	Cancelled int `json:"cancelled"`
	// Partial maps each partial resource to its Okta error code.
	Partial map[string]string `json:"partial"`
	// Endpoints maps "METHOD /path/{template}" to status → count.
	Endpoints map[string]map[string]int `json:"endpoints"`
	// Errors groups error answers by Okta errorCode and endpoint.
	Errors      []ErrorGroup `json:"errors"`
	Waits       int          `json:"waits"`     // attempts the governor held back
	WaitedMS    int64        `json:"waited_ms"` // total time held back
	RateLimited int          `json:"rate_limited"`
	Buckets     []BucketUse  `json:"buckets"`
}

// ErrorGroup counts one Okta error code on one endpoint.
type ErrorGroup struct {
	ErrorCode string `json:"error_code"`
	Endpoint  string `json:"endpoint"`
	Status    int    `json:"status"`
	Count     int    `json:"count"`
	Hint      string `json:"hint,omitempty"`
}

// BucketUse is a run's use of one rate-limit bucket.
type BucketUse struct {
	Bucket       string `json:"bucket"`
	Limit        int    `json:"limit"`
	Requests     int    `json:"requests"`
	MinRemaining int    `json:"min_remaining"`
}

// Inspect summarises a bundle.
func Inspect(b *Bundle) Summary {
	s := Summary{File: b.Path, Bytes: b.Bytes, Meta: b.Meta, Reports: b.Reports}
	s.Files = append(s.Files, FileEntry{Name: fileManifest, Size: b.manifestSize})
	s.Files = append(s.Files, b.Manifest.Files...)
	for _, r := range b.Runs {
		s.Runs = append(s.Runs, RunSummary{SyncRun: r.Run, Journal: Digest(r.Run, r.Journal)})
	}
	s.Findings = findings(b.Reports)
	return s
}

// findings lists what the scope and token reports found wrong. Reports
// that do not decode (another dirdeck version's, or an error) are listed
// as such rather than failing the summary.
func findings(raw json.RawMessage) []string {
	out := []string{}
	if len(raw) == 0 {
		return out
	}
	var reps struct {
		Error  string              `json:"error"`
		Scopes *access.ScopeReport `json:"scopes"`
		Tokens *access.TokenReport `json:"tokens"`
	}
	if err := json.Unmarshal(raw, &reps); err != nil {
		return append(out, "reports: not readable by this dirdeck: "+err.Error())
	}
	if reps.Error != "" {
		out = append(out, "reports: not taken: "+reps.Error)
	}
	if r := reps.Scopes; r != nil {
		if r.Rejected != nil {
			out = append(out, fmt.Sprintf("scopes: the credential was rejected: %s — %s", r.Rejected.Error, r.Rejected.Fix))
		}
		for _, f := range r.Features {
			if f.Status != access.StatusOK && !f.Expected {
				out = append(out, fmt.Sprintf("scope: %s %s, missing %s — %s", f.Feature, f.Status, strings.Join(f.Missing, ", "), f.Fix))
			}
		}
		for _, e := range r.Excess {
			out = append(out, fmt.Sprintf("excess privilege: %s — %s", e.Privilege, e.Reason))
		}
	}
	if r := reps.Tokens; r != nil {
		if r.Self.Status != "" && r.Self.Status != access.LevelOK {
			out = append(out, fmt.Sprintf("own credential: %s: %s", r.Self.Status, strings.Join(r.Self.Reasons, "; ")))
		}
		for _, t := range r.Tokens {
			if t.Status != access.LevelOK && !t.Self {
				out = append(out, fmt.Sprintf("token %q: %s: %s", t.Name, t.Status, strings.Join(t.Reasons, "; ")))
			}
		}
		if r.SkewNote != "" {
			out = append(out, "clock: "+r.SkewNote)
		}
	}
	return out
}

// Digest summarises a run's journal.
func Digest(run directory.SyncRun, journal []directory.Request) RunDigest {
	d := RunDigest{Mode: run.Mode, Status: run.Status, Error: run.Error,
		Partial: map[string]string{}, Endpoints: map[string]map[string]int{}, Errors: []ErrorGroup{}, Buckets: []BucketUse{}}
	for _, p := range run.Partial {
		d.Partial[p.Resource] = p.ErrorCode
	}
	type errKey struct{ code, ep string }
	errs := map[errKey]*ErrorGroup{}
	buckets := map[string]*BucketUse{}
	for _, e := range journal {
		if cancelled(e) {
			// Requests a failure cut short are its consequence, not a
			// cause: their count depends only on timing.
			d.Cancelled++
			continue
		}
		d.Requests++
		ep := e.Method + " " + e.Path
		if d.Endpoints[ep] == nil {
			d.Endpoints[ep] = map[string]int{}
		}
		st := strconv.Itoa(e.Status)
		if e.Status == 0 {
			st = "network"
		}
		d.Endpoints[ep][st]++
		if e.Attempt > 1 {
			d.Retries++
		}
		if e.WaitedMS > 0 {
			d.Waits++
			d.WaitedMS += e.WaitedMS
		}
		if e.Status == 429 {
			d.RateLimited++
		}
		if e.Status >= 400 || e.Status == 0 {
			code := e.ErrorCode
			if code == "" && e.Status == 0 {
				code = "network"
			}
			k := errKey{code, ep}
			if errs[k] == nil {
				errs[k] = &ErrorGroup{ErrorCode: code, Endpoint: ep, Status: e.Status, Hint: Hint(code, e.Status)}
			}
			errs[k].Count++
		}
		if e.Bucket != "" {
			bu := buckets[e.Bucket]
			if bu == nil {
				bu = &BucketUse{Bucket: e.Bucket, MinRemaining: -1}
				buckets[e.Bucket] = bu
			}
			bu.Requests++
			if e.RateLimit > 0 {
				bu.Limit = max(bu.Limit, e.RateLimit)
				if bu.MinRemaining < 0 || e.RateRemaining < bu.MinRemaining {
					bu.MinRemaining = e.RateRemaining
				}
			}
		}
	}
	for _, g := range errs {
		d.Errors = append(d.Errors, *g)
	}
	slices.SortFunc(d.Errors, func(a, b ErrorGroup) int {
		if c := strings.Compare(a.ErrorCode, b.ErrorCode); c != 0 {
			return c
		}
		return strings.Compare(a.Endpoint, b.Endpoint)
	})
	for _, b := range buckets {
		d.Buckets = append(d.Buckets, *b)
	}
	slices.SortFunc(d.Buckets, func(a, b BucketUse) int { return strings.Compare(a.Bucket, b.Bucket) })
	return d
}

// cancelled reports whether a journal entry is an attempt the run itself
// cancelled (after another request failed). Bundles from before the
// journal marked them say so only in the error text.
func cancelled(e directory.Request) bool {
	return e.Cancelled || e.Status == 0 && strings.Contains(e.Network, "context canceled")
}

// Hint is the plain-language cause and fix of an Okta error code.
func Hint(code string, status int) string {
	switch {
	case code == "E0000011" || status == 401:
		return "invalid token: expired (30 days unused), revoked, or its admin was deactivated — create a new token and run `dirdeck profile set-token`"
	case code == "E0000006" || status == 403:
		return "access denied: the credential's admin role or OAuth scopes lack this resource — grant the read scope or a role that covers it"
	case code == "E0000047" || status == 429:
		return "rate limit exhausted: other integrations share the org's limits — lower dirdeck's budget share or sync at a quieter time"
	case code == "E0000007" || status == 404:
		return "not found: the object was deleted while the sync ran; the next sync archives it"
	case code == "network":
		return "no answer: network, proxy or TLS problem between dirdeck and Okta"
	case status >= 500:
		return "an error on Okta's side: retried; check status.okta.com if it persists"
	}
	return ""
}
