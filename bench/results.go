package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Result is one measured figure beside its baseline, measured in the same
// run. Ratio is always Value ÷ Baseline, so a reader never has to guess
// which way round a ratio was taken; Target says what "good" means.
type Result struct {
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline"`
	// BaselineName says what the baseline is, for the human table.
	BaselineName string  `json:"baseline_name"`
	Ratio        float64 `json:"ratio"`
	Target       string  `json:"target"`
	OK           bool    `json:"ok"`
	// SetAt is the scale a target was set at, or the comma-separated
	// scales ("" for every scale). At another scale a miss is shown as
	// "n/a", not as a failure: 1% churn of 250 users cannot be 3% of a full
	// sync's requests.
	SetAt string `json:"set_at,omitempty"`
	// Note explains how the figure was obtained when that is not obvious.
	Note string `json:"note,omitempty"`
}

// newResult computes the ratio; a zero baseline gives ratio 0 (and the
// result is then not ok), never Inf or NaN, which JSON cannot carry.
func newResult(name string, value float64, unit string, baseline float64, baselineName string) Result {
	r := Result{Name: name, Value: value, Unit: unit, Baseline: baseline, BaselineName: baselineName}
	if baseline != 0 && !math.IsNaN(value) && !math.IsInf(value, 0) {
		r.Ratio = value / baseline
	}
	return r
}

// atMost sets a target "ratio ≤ max" and checks it.
func (r Result) atMost(max float64, target string) Result {
	r.Target = target
	r.OK = r.Baseline != 0 && r.Ratio <= max
	return r
}

// atLeast sets a target "ratio ≥ min" and checks it.
func (r Result) atLeast(min float64, target string) Result {
	r.Target = target
	r.OK = r.Baseline != 0 && r.Ratio >= min
	return r
}

// report marks a figure that has no target: it is reported, not judged.
func (r Result) report() Result {
	r.Target = "report"
	r.OK = r.Baseline != 0
	return r
}

// setAt marks the target as set at these scales.
func (r Result) setAt(scales ...string) Result {
	r.SetAt = strings.Join(scales, ",")
	return r
}

// verdict is the OK column: "yes", "NO", "-" for a reported figure, or
// "n/a (set at L)" for a miss of a target set at another scale.
func (r Result) verdict(scale string) string {
	switch {
	case r.Target == "report" && r.OK:
		return "-"
	case r.OK:
		return "yes"
	case r.SetAt != "" && !slices.Contains(strings.Split(r.SetAt, ","), scale) && r.Target != "report":
		return "n/a (set at " + r.SetAt + ")"
	}
	return "NO"
}

func (r Result) note(format string, args ...any) Result {
	r.Note = fmt.Sprintf(format, args...)
	return r
}

// Report is everything one run prints.
type Report struct {
	Machine Machine  `json:"machine"`
	Scale   string   `json:"scale"`
	Notes   []string `json:"notes,omitempty"`
	Results []Result `json:"results"`
}

// String is the one-line description printed above every table.
func (m Machine) String() string {
	return fmt.Sprintf("%d cores (%s), %s memory, %s %s/%s, load %s at start",
		m.Cores, m.CPUModel, formatBytes(m.MemoryBytes), m.GoVersion, m.OS, m.Arch, m.LoadAvg)
}

func writeJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeTable prints the machine, then one table, then the notes.
func writeTable(w io.Writer, rep Report) error {
	fmt.Fprintf(w, "machine: %s\n", rep.Machine)
	fmt.Fprintf(w, "dirdeck bench, scale %s\n\n", rep.Scale)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tVALUE\tBASELINE\tRATIO\tTARGET\tOK")
	for _, r := range rep.Results {
		ok := r.verdict(rep.Scale)
		fmt.Fprintf(tw, "%s\t%s %s\t%s (%s)\t%s\t%s\t%s\n",
			r.Name, formatValue(r.Value), r.Unit, formatValue(r.Baseline), r.BaselineName, formatRatio(r.Ratio), r.Target, ok)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var notes []string
	for _, r := range rep.Results {
		if r.Note != "" {
			notes = append(notes, r.Name+": "+r.Note)
		}
	}
	notes = append(notes, rep.Notes...)
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, "- "+n)
		}
	}
	return nil
}

// writeMarkdown prints the same table as Markdown, for the README's
// "Performance" section.
func writeMarkdown(w io.Writer, rep Report, command string) error {
	fmt.Fprintf(w, "`%s` — %s\n\n", command, rep.Machine)
	fmt.Fprintln(w, "| Result | Value | Baseline | Ratio | Target | Met |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range rep.Results {
		met := "met"
		switch v := r.verdict(rep.Scale); {
		case v == "-":
			met = "—"
		case strings.HasPrefix(v, "n/a"):
			met = v
		case v == "NO":
			met = "not yet"
		}
		fmt.Fprintf(w, "| %s | %s %s | %s (%s) | %s | %s | %s |\n",
			r.Name, formatValue(r.Value), r.Unit, formatValue(r.Baseline), r.BaselineName, formatRatio(r.Ratio), r.Target, met)
	}
	fmt.Fprintln(w)
	for _, r := range rep.Results {
		if r.Note != "" {
			fmt.Fprintf(w, "- %s: %s\n", r.Name, r.Note)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	_, err := fmt.Fprintln(w)
	return err
}

// formatValue keeps three significant digits or so without switching to
// exponent notation for large counts.
func formatValue(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), ".")
	}
}

// formatRatio shows three decimals (targets such as 1.05× need them) and
// keeps two significant digits for tiny ratios instead of printing 0.000×.
func formatRatio(r float64) string {
	if r != 0 && math.Abs(r) < 0.01 {
		return fmt.Sprintf("%.2g×", r)
	}
	return fmt.Sprintf("%.3f×", r)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d KiB", n>>10)
	}
}
