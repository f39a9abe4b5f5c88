package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/okta"
)

// Each measured phase runs in a child process of the bench binary: its
// peak RSS (VmHWM) and CPU time are then its own, not the simulated org's
// (which lives in the parent) nor an earlier phase's.
const (
	envPhase = "DIRDECK_BENCH_PHASE"
	envToken = "DIRDECK_BENCH_TOKEN" // the sim's token, kept out of argv
	// envProfile names a directory: each phase then writes a CPU profile
	// there as <phase>-<pid>.pprof, to find where a slow figure's time goes.
	envProfile = "DIRDECK_BENCH_CPUPROFILE"
	// envHeapProfile names a directory: the TUI phase then writes a heap
	// profile there (<phase>-<pid>.heap.pprof) once every pane has
	// loaded, to see what the loaded dashboard holds.
	envHeapProfile = "DIRDECK_BENCH_HEAPPROFILE"
)

// Phase names.
const (
	phaseSync  = "sync"  // dirdeck sync (full or incremental, as the cache decides)
	phaseNaive = "naive" // the baseline: a sequential okta-sdk-golang loop
	phaseTUI   = "tui"   // the TUI driven directly over a cache
	phaseIndex = "index" // the index files dirdeck sync writes after a sync
)

// phaseRequest tells a child what to do.
type phaseRequest struct {
	Phase     string `json:"phase"`
	OrgURL    string `json:"org_url"`
	CachePath string `json:"cache_path"`
	// Samples is how many filter keystrokes the TUI phase times.
	Samples int `json:"samples"`
}

// phaseResult is what a child measured.
type phaseResult struct {
	Start   time.Time     `json:"start"`
	Wall    time.Duration `json:"wall"`
	CPU     time.Duration `json:"cpu"`
	PeakRSS int64         `json:"peak_rss"`
	// RSSAnon and RSSFile split the resident set when the phase ended.
	RSSAnon int64 `json:"rss_anon"`
	RSSFile int64 `json:"rss_file"`
	// PeakAnon and PeakFile are the largest anonymous and file-backed
	// resident sets sampled while the phase ran (see sampleAnon).
	PeakAnon int64 `json:"peak_anon"`
	PeakFile int64 `json:"peak_file"`

	// Sync and naive phases.
	Run         directory.SyncRun           `json:"run"`
	Requests    int64                       `json:"requests"`
	RateLimited int64                       `json:"rate_limited"`
	Buckets     map[string]okta.BucketStats `json:"buckets,omitempty"`
	Items       int                         `json:"items"`

	// TUI phase.
	TUI *tuiResult `json:"tui,omitempty"`
}

// childMain runs the phase described by the environment and writes its
// result as JSON to stdout. It reports whether this process is a child.
func childMain(ctx context.Context, stdout io.Writer) (bool, error) {
	spec := os.Getenv(envPhase)
	if spec == "" {
		return false, nil
	}
	var req phaseRequest
	if err := json.Unmarshal([]byte(spec), &req); err != nil {
		return true, fmt.Errorf("bench child: bad %s: %w", envPhase, err)
	}
	token := os.Getenv(envToken)
	if dir := os.Getenv(envProfile); dir != "" {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", req.Phase, os.Getpid())))
		if err != nil {
			return true, fmt.Errorf("bench child: CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return true, fmt.Errorf("bench child: CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var res phaseResult
	var err error
	stopSampling := sampleAnon(anonSampleEvery)
	switch req.Phase {
	case phaseSync:
		res, err = runSyncPhase(ctx, req, token)
	case phaseNaive:
		res, err = runNaivePhase(ctx, req, token)
	case phaseTUI:
		res, err = runTUIPhase(req)
	case phaseIndex:
		res, err = runIndexPhase(req)
	default:
		err = fmt.Errorf("bench child: unknown phase %q", req.Phase)
	}
	res.PeakAnon, res.PeakFile = stopSampling()
	if err != nil {
		return true, err
	}
	if res.PeakRSS, err = peakRSS(); err != nil {
		return true, err
	}
	res.RSSAnon, res.RSSFile = rssParts()
	return true, json.NewEncoder(stdout).Encode(res)
}

// runChild starts this binary again for one phase. home is the child's
// HOME (the Okta SDK reads ~/.okta there); OKTA_* variables, which the
// SDK would merge into its configuration, are left out.
func runChild(ctx context.Context, req phaseRequest, token, home string) (phaseResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return phaseResult{}, fmt.Errorf("bench: find own executable: %w", err)
	}
	spec, err := json.Marshal(req)
	if err != nil {
		return phaseResult{}, err
	}
	cmd := exec.CommandContext(ctx, exe)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "OKTA_") || k == "HOME" || k == envPhase || k == envToken {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "HOME="+home, envPhase+"="+string(spec), envToken+"="+token)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return phaseResult{}, fmt.Errorf("bench phase %s: %w: %s", req.Phase, err, strings.TrimSpace(errb.String()))
	}
	var res phaseResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return phaseResult{}, fmt.Errorf("bench phase %s: read result: %w", req.Phase, err)
	}
	return res, nil
}

// writeHeapProfile writes a heap profile of this process when
// envHeapProfile names a directory.
func writeHeapProfile(phase string) error {
	dir := os.Getenv(envHeapProfile)
	if dir == "" {
		return nil
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.heap.pprof", phase, os.Getpid())))
	if err != nil {
		return fmt.Errorf("bench child: heap profile: %w", err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		return fmt.Errorf("bench child: heap profile: %w", err)
	}
	return nil
}
