package oktasim

import (
	"fmt"
	"strings"
	"sync"
)

// ScriptedFault makes one request fail deterministically: the Seq-th
// request (1-based) to the endpoint Method + PathTemplate, counted from
// SetFaultScript on. Counting per endpoint rather than over all requests
// keeps a replay aligned with the original run although concurrent
// requests reach the server in a different order each time.
type ScriptedFault struct {
	Seq    int    `json:"seq"`
	Method string `json:"method"`
	// PathTemplate is an API path whose {name} segments match any
	// non-empty segment, e.g. /api/v1/groups/{groupId}/users. A path that
	// fits several templates counts for the one with most literal segments.
	PathTemplate string `json:"path"`
	// Status, when non-zero, answers with this status and Okta's error body
	// for it; LatencyMS delays the answer (and, without Status, the real
	// response).
	Status    int `json:"status"`
	LatencyMS int `json:"latency_ms"`
}

// faultScript is the active script: per-endpoint counters and the faults
// at each position.
type faultScript struct {
	mu        sync.Mutex
	endpoints []*scriptEndpoint
}

type scriptEndpoint struct {
	method  string
	segs    []string // "" for a {param} segment
	literal int
	count   int
	at      map[int]FaultRule
}

// SetFaultScript replaces the fault script (nil or empty clears it) and
// restarts its counters. Scripted faults are checked before the fault
// rules of SetFaults.
func (s *Sim) SetFaultScript(script []ScriptedFault) error {
	fs := &faultScript{}
	byKey := map[string]*scriptEndpoint{}
	for i, f := range script {
		if f.Seq < 1 || f.Method == "" || !strings.HasPrefix(f.PathTemplate, "/") ||
			(f.Status != 0 && (f.Status < 400 || f.Status > 599)) || f.LatencyMS < 0 || f.LatencyMS > 600_000 {
			return fmt.Errorf("fault script entry %d: want seq ≥ 1, a method, an absolute path, status 400..599 or 0 and latency_ms 0..600000", i)
		}
		key := strings.ToUpper(f.Method) + " " + f.PathTemplate
		ep := byKey[key]
		if ep == nil {
			ep = &scriptEndpoint{method: strings.ToUpper(f.Method), at: map[int]FaultRule{}}
			for _, seg := range strings.Split(strings.Trim(f.PathTemplate, "/"), "/") {
				if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
					seg = ""
				} else {
					ep.literal++
				}
				ep.segs = append(ep.segs, seg)
			}
			byKey[key] = ep
			fs.endpoints = append(fs.endpoints, ep)
		}
		ep.at[f.Seq] = FaultRule{Method: f.Method, Path: f.PathTemplate, Probability: 1, Status: f.Status, LatencyMS: f.LatencyMS}
	}
	if len(fs.endpoints) == 0 {
		fs = nil
	}
	s.faults.script.Store(fs)
	return nil
}

// next counts a request against its endpoint and returns the scripted
// fault for it, if any.
func (fs *faultScript) next(method, path string) *FaultRule {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var best *scriptEndpoint
	for _, ep := range fs.endpoints {
		if ep.method != method || len(ep.segs) != len(segs) || (best != nil && best.literal >= ep.literal) {
			continue
		}
		ok := true
		for i, seg := range ep.segs {
			if (seg == "" && segs[i] == "") || (seg != "" && seg != segs[i]) {
				ok = false
				break
			}
		}
		if ok {
			best = ep
		}
	}
	if best == nil {
		return nil
	}
	best.count++
	if f, ok := best.at[best.count]; ok {
		return &f
	}
	return nil
}
