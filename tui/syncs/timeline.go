package syncs

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dirdeck/dirdeck/directory"
	"github.com/dirdeck/dirdeck/internal/textsafe"
	"github.com/dirdeck/dirdeck/themes"
)

// sparkLevels draw a sparkline, lowest to highest.
var sparkLevels = []rune("▁▂▃▄▅▆▇█")

// Timeline layout bounds.
const (
	minSpark   = 10
	maxSpark   = 48
	labelWidth = 40
)

// endpointStats is one endpoint's share of a run.
type endpointStats struct {
	name                    string
	requests, retries, wait int
	errors                  map[string]int
	activity                []float64 // requests sent per column
}

// timeline renders a run's journal over time: per endpoint its requests,
// retries, governor waits and error codes with a sparkline of when they
// were sent, and per rate-limit bucket a sparkline of the bucket's use
// (1 − X-Rate-Limit-Remaining / X-Rate-Limit-Limit, the worst in each
// column). A slow sync shows here as waits on a bucket near its budget
// share, a throttled one as 429s where the bucket line tops out.
// budgetWaits is how many of the run's requests the rate budget held back
// (SyncRun.ThrottledWaits): the journal's waits also count waits for a
// free request slot, which a larger budget share would not shorten.
func timeline(journal []directory.Request, budgetWaits, width int, th themes.Theme) []string {
	if len(journal) == 0 {
		return nil
	}
	start, end := journal[0].Time, journal[0].Time
	var waits, retries int
	var held int64
	for _, r := range journal {
		if r.Time.Before(start) {
			start = r.Time
		}
		if t := r.Time.Add(time.Duration(r.LatencyMS) * time.Millisecond); t.After(end) {
			end = t
		}
		if r.WaitedMS > 0 {
			waits++
			held += r.WaitedMS
		}
		if r.Attempt > 1 {
			retries++
		}
	}
	cols := min(maxSpark, max(minSpark, width-labelWidth-50))
	span := end.Sub(start)
	col := func(t time.Time) int {
		if span <= 0 {
			return 0
		}
		return min(cols-1, int(int64(t.Sub(start))*int64(cols)/int64(span)))
	}

	heldBy := map[string]int64{} // bucket → time held back
	eps := map[string]*endpointStats{}
	usage := map[string][]float64{} // bucket → worst use per column, -1 = no answer
	limits := map[string]int{}
	for _, r := range journal {
		// Syncs only read: the method is shown when it is not GET.
		name := r.Path
		if r.Method != "GET" {
			name = r.Method + " " + r.Path
		}
		ep := eps[name]
		if ep == nil {
			ep = &endpointStats{name: name, errors: map[string]int{}, activity: make([]float64, cols)}
			eps[name] = ep
		}
		ep.requests++
		ep.activity[col(r.Time)]++
		if r.Attempt > 1 {
			ep.retries++
		}
		if r.WaitedMS > 0 {
			ep.wait++
			heldBy[r.Bucket] += r.WaitedMS
		}
		switch {
		case r.ErrorCode != "":
			ep.errors[r.ErrorCode]++
		case r.Status >= 400:
			ep.errors[fmt.Sprint(r.Status)]++
		case r.Status == 0:
			ep.errors["network"]++
		}
		if r.Bucket == "" || r.RateLimit <= 0 {
			continue
		}
		u := usage[r.Bucket]
		if u == nil {
			u = slices.Repeat([]float64{-1}, cols)
			usage[r.Bucket] = u
		}
		c := col(r.Time)
		u[c] = max(u[c], float64(r.RateLimit-r.RateRemaining)/float64(r.RateLimit))
		limits[r.Bucket] = max(limits[r.Bucket], r.RateLimit)
	}

	out := []string{"", th.Title.Render("Timeline") + th.Muted.Render(fmt.Sprintf("  %s · %d requests · %d retries · %d waits (%s held back)",
		span.Round(time.Millisecond), len(journal), retries, waits, (time.Duration(held)*time.Millisecond).Round(time.Millisecond)))}
	list := make([]*endpointStats, 0, len(eps))
	for _, ep := range eps {
		list = append(list, ep)
	}
	slices.SortFunc(list, func(a, b *endpointStats) int {
		if a.requests != b.requests {
			return b.requests - a.requests
		}
		return strings.Compare(a.name, b.name)
	})
	for _, ep := range list {
		codes := make([]string, 0, len(ep.errors))
		for c, n := range ep.errors {
			codes = append(codes, fmt.Sprintf("%s×%d", c, n))
		}
		slices.Sort(codes)
		line := fmt.Sprintf("  %s %s %5d req %4d retries %4d waits  ", textsafe.Fit(textsafe.Clean(ep.name), labelWidth),
			spark(ep.activity, peak(ep.activity), true), ep.requests, ep.retries, ep.wait)
		if len(codes) > 0 {
			line = th.Error.Render(line + strings.Join(codes, " "))
		}
		out = append(out, line)
	}
	buckets := make([]string, 0, len(usage))
	for b := range usage {
		buckets = append(buckets, b)
	}
	slices.Sort(buckets)
	for _, b := range buckets {
		top := peak(usage[b])
		line := fmt.Sprintf("  %s %s  limit %d/min, peak %.0f%% used", textsafe.Fit("bucket "+textsafe.Clean(b), labelWidth),
			spark(usage[b], 1, false), limits[b], top*100)
		if top >= 0.9 {
			line = th.Warning.Render(line)
		}
		out = append(out, line)
	}
	if d := slowness(journal, waits, held, heldBy, usage); d != "" {
		advice := "    dirdeck keeps to its budget share of each bucket: raise budget_share if no other integration needs the rest"
		if budgetWaits == 0 {
			advice = "    no request waited for the budget share (these waits were for a free request slot): raising budget_share would not help"
		}
		out = append(out, th.Warning.Render("  "+d), th.Muted.Render(advice))
	}
	return out
}

// slowness explains a sync slowed by its rate budget: many requests held
// back, for long, mostly on one bucket. The governor keeps dirdeck to its
// budget share of every bucket, so that is the setting to look at.
func slowness(journal []directory.Request, waits int, held int64, heldBy map[string]int64, usage map[string][]float64) string {
	if held < 1000 || waits*10 < len(journal) {
		return ""
	}
	worst := ""
	for b, ms := range heldBy {
		if worst == "" || ms > heldBy[worst] || ms == heldBy[worst] && b < worst {
			worst = b
		}
	}
	return fmt.Sprintf("slow: %d of %d requests waited %s in all, most on bucket %s (peak %.0f%% used)",
		waits, len(journal), (time.Duration(held) * time.Millisecond).Round(time.Millisecond), textsafe.Clean(worst), peak(usage[worst])*100)
}

// peak is the largest value of vs (0 for none).
func peak(vs []float64) float64 {
	top := 0.0
	for _, v := range vs {
		top = max(top, v)
	}
	return top
}

// spark draws vs scaled to top: a space where there is no value (< 0,
// or 0 with blankZero), the lowest level for a value near zero.
func spark(vs []float64, top float64, blankZero bool) string {
	var b strings.Builder
	for _, v := range vs {
		if v < 0 || top <= 0 || v == 0 && blankZero {
			b.WriteRune(' ')
			continue
		}
		lvl := int(v / top * float64(len(sparkLevels)))
		b.WriteRune(sparkLevels[min(max(lvl, 0), len(sparkLevels)-1)])
	}
	return b.String()
}
