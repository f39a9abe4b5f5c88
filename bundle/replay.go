package bundle

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
	"github.com/dirdeck/dirdeck/oktasim"
	"github.com/dirdeck/dirdeck/store"
	dsync "github.com/dirdeck/dirdeck/sync"
)

// Replay tuning.
const (
	// slowMS is the latency from which a journal entry's answer is
	// delayed alike in the replay; faster ones are the sim's own.
	slowMS = 1000
	// maxScriptedLatency caps one scripted delay, and maxScriptedTotal
	// all of them: a journal with hour-long answers (or a bundle edited to
	// hold them) must not make a replay hang. A slow answer still comes
	// slow (the client's attempt timeout is what it reproduces); once the
	// total is spent, later faults keep their status and lose their delay.
	maxScriptedLatency = 5_000
	maxScriptedTotal   = 60_000
	// simOffLimit is what the sim reports when it does not enforce limits:
	// an original run against it observed no real limit.
	simOffLimit = 1_000_000
)

// ReplayOptions tune a replay.
type ReplayOptions struct {
	// Run is the run to replay; 0 is the newest full or incremental sync.
	Run uint64
	// Dir holds the replay's cache; "" uses a temporary directory that is
	// removed afterwards.
	Dir string
	// IgnoreRateLimits serves without the customer's observed rate limits
	// (faster, but waits and budget pacing are not reproduced).
	IgnoreRateLimits bool
	// Seed derives the simulated org's tokens.
	Seed int64
	// Progress receives the replayed sync's progress (dsync.Options).
	Progress func(dsync.Progress)
}

// ReplayReport compares the customer's run with the replay.
type ReplayReport struct {
	Reproduced bool      `json:"reproduced"`
	Original   RunDigest `json:"original"`
	Replay     RunDigest `json:"replay"`
	// Differences says why Reproduced is false (empty when it is true).
	Differences []string `json:"differences"`
	// Script is the number of scripted faults derived from the journal.
	Script int `json:"scripted_faults"`
	// RateLimits are the per-bucket limits the replay enforced.
	RateLimits map[string]int `json:"rate_limits,omitempty"`
	// Digest is the replay cache's canonical digest after the run: after
	// a complete run it equals the snapshot's (meta.json cache.digest).
	Digest string `json:"digest"`
}

// Script derives the fault script of a run's journal: every error answer
// (and every answer slower than a second) at its position among the
// requests to the same endpoint, in the order the requests were sent.
// A network error becomes a 503, which the client retries alike. Delays
// are capped (maxScriptedLatency, maxScriptedTotal).
func Script(journal []directory.Request) []oktasim.ScriptedFault {
	entries := slices.Clone(journal)
	slices.SortStableFunc(entries, func(a, b directory.Request) int { return a.Time.Compare(b.Time) })
	seq := map[string]int{}
	var out []oktasim.ScriptedFault
	budget := int64(maxScriptedTotal)
	for _, e := range entries {
		if cancelled(e) {
			continue
		}
		ep := e.Method + " " + e.Path
		seq[ep]++
		f := oktasim.ScriptedFault{Seq: seq[ep], Method: e.Method, PathTemplate: e.Path}
		switch {
		case e.Status == 0:
			f.Status = http.StatusServiceUnavailable
		case e.Status >= 400 && e.Status <= 599:
			f.Status = e.Status
		}
		if e.LatencyMS >= slowMS && budget > 0 {
			f.LatencyMS = int(min(e.LatencyMS, maxScriptedLatency, budget))
			budget -= int64(f.LatencyMS)
		}
		if f.Status != 0 || f.LatencyMS != 0 {
			out = append(out, f)
		}
	}
	return out
}

// observedLimits are the largest per-bucket limits a journal saw, leaving
// out the simulated org's "unlimited" ones.
func observedLimits(journal []directory.Request) map[string]int {
	out := map[string]int{}
	for _, e := range journal {
		if e.RateLimit > 0 && e.RateLimit < simOffLimit && e.Bucket != "" && e.Bucket != okta.BucketOtherOrigin {
			out[e.Bucket] = max(out[e.Bucket], e.RateLimit)
		}
	}
	return out
}

// Replay serves the bundle's snapshot from a simulated org on loopback,
// scripts the run's faults, runs the same kind of sync with the profile's
// budget share, and compares the two runs.
func Replay(ctx context.Context, b *Bundle, opts ReplayOptions) (*ReplayReport, error) {
	rec, err := b.Run(opts.Run)
	if err != nil {
		return nil, err
	}
	snap, err := b.Snapshot()
	if err != nil {
		return nil, err
	}
	sim, err := oktasim.FromSnapshot(snap, oktasim.Options{Seed: opts.Seed})
	if err != nil {
		return nil, fmt.Errorf("replay: load snapshot: %w", err)
	}
	rep := &ReplayReport{Original: Digest(rec.Run, rec.Journal), Differences: []string{}}
	if !opts.IgnoreRateLimits {
		rep.RateLimits = observedLimits(rec.Journal)
	}

	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "dirdeck-replay-"); err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("replay: serve simulated org: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	orgURL := "http://" + ln.Addr().String()

	st, err := store.Open(filepath.Join(dir, "replay.db"), store.Options{})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer st.Close()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c, err := okta.New(cctx, okta.Credentials{OrgURL: orgURL, Token: sim.Token("readonly")},
		okta.Options{BudgetShare: b.Meta.Profile.BudgetShare, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}

	if rec.Run.Mode == dsync.ModeIncremental {
		// An incremental run needs the cursors of a full one: take it
		// first, without faults.
		if _, err := dsync.Run(ctx, c, st, dsync.Options{Full: true, Progress: opts.Progress}); err != nil {
			return nil, fmt.Errorf("replay: full sync before the incremental one: %w", err)
		}
	}
	if err := sim.SetRateLimits(rep.RateLimits); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	script := Script(rec.Journal)
	rep.Script = len(script)
	if err := sim.SetFaultScript(script); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	run, err := dsync.Run(ctx, c, st, dsync.Options{Full: rec.Run.Mode != dsync.ModeIncremental, Progress: opts.Progress})
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("replay: %w", ctx.Err())
	}
	if err != nil && run.ID == 0 {
		return nil, fmt.Errorf("replay: sync did not run: %w", err)
	}
	var journal []directory.Request
	if err := st.View(func(r *store.Reader) error {
		journal = r.Journal(run.ID)
		var err error
		rep.Digest, err = r.Digest()
		return err
	}); err != nil {
		return nil, fmt.Errorf("replay: read journal: %w", err)
	}
	rep.Replay = Digest(run, journal)
	rep.Differences = append([]string{}, compare(rep.Original, rep.Replay)...) // [] in JSON, never null
	rep.Reproduced = len(rep.Differences) == 0
	return rep, nil
}

// compare lists how the replay differs from the original in what makes a
// failure the same: outcome, partial resources and their codes, Okta
// error codes per endpoint, and, for full runs, request count (within 5%,
// and the requests in flight when a run stopped: whether each of those
// finished before the stop is a matter of timing).
func compare(a, b RunDigest) []string {
	var out []string
	if a.Status != b.Status {
		out = append(out, fmt.Sprintf("status %s, replay %s", a.Status, b.Status))
	}
	if !maps.Equal(a.Partial, b.Partial) {
		out = append(out, fmt.Sprintf("partial data %v, replay %v", a.Partial, b.Partial))
	}
	ca, cb := codesByEndpoint(a), codesByEndpoint(b)
	for _, ep := range slices.Sorted(maps.Keys(ca)) {
		if !slices.Equal(ca[ep], cb[ep]) {
			out = append(out, fmt.Sprintf("%s: error codes %v, replay %v", ep, ca[ep], cb[ep]))
		}
	}
	for _, ep := range slices.Sorted(maps.Keys(cb)) {
		if _, ok := ca[ep]; !ok {
			out = append(out, fmt.Sprintf("%s: no errors, replay %v", ep, cb[ep]))
		}
	}
	// An incremental run's request count follows the changes it read,
	// which the snapshot (the state after them) cannot replay.
	inFlight := max(a.Cancelled, b.Cancelled)
	apart := max(a.Requests-b.Requests, b.Requests-a.Requests)
	if a.Mode != dsync.ModeIncremental && apart > 1 && apart*20 > a.Requests+20*inFlight {
		out = append(out, fmt.Sprintf("%d requests, replay %d (more than 5%% apart, %d in flight when the run stopped)", a.Requests, b.Requests, inFlight))
	}
	return out
}

// codesByEndpoint lists the sorted distinct error codes per endpoint.
func codesByEndpoint(d RunDigest) map[string][]string {
	out := map[string][]string{}
	for _, e := range d.Errors {
		if !slices.Contains(out[e.Endpoint], e.ErrorCode) {
			out[e.Endpoint] = append(out[e.Endpoint], e.ErrorCode)
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}
