package report

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// row is one line of the comparison table shared by the terminal summary and
// the page: a figure for each run, Starling over bare, and the target.
type row struct {
	Section string // set on the first row of a section
	Label   string
	Values  []string // one per run
	Ratio   string   // "" with a single run
	Target  string   // "" when no target applies
	Status  Status   // the row's check, if any
	// OnRatio says the check grades the ratio (latency, CPU) rather than
	// Starling's own figure (delivery, convergence); the page colours that cell.
	OnRatio bool
}

// metric is how one row reads a run: the figure to show and the number to
// divide for the ratio (ok false when there is none).
type metric struct {
	section, label string
	read           func(r *Run) (text string, v float64, ok bool)
	check          int // index into Checks, -1, or optionalRow
}

// optionalRow is a metric's check when it has none and its row is left
// out of the table if no run has a value.
const optionalRow = -2

// Indexes into the result of Checks.
const (
	checkDelivery = iota
	checkLatency
	checkCPU
	checkConvergence
)

func durationMetric(section, label string, get func(r *Run) time.Duration, check int) metric {
	return metric{section, label, func(r *Run) (string, float64, bool) {
		d := get(r)
		return duration(d), float64(d), true
	}, check}
}

// latencyMetric reads one percentile; a run without samples shows "—".
func latencyMetric(section, label string, get func(r *Run) Latency, pick func(Latency) time.Duration, check int) metric {
	return metric{section, label, func(r *Run) (string, float64, bool) {
		l := get(r)
		d := pick(l)
		if l.Count == 0 && d == 0 {
			return "—", 0, false
		}
		return duration(d), float64(d), true
	}, check}
}

func firstMember(r *Run) Latency { return r.FirstLatency }

func everyMember(r *Run) Latency   { return r.AllLatency }
func wholeNetwork(r *Run) Latency  { return r.WholeLatency }
func p50(l Latency) time.Duration  { return l.P50 }
func p95(l Latency) time.Duration  { return l.P95 }
func p99(l Latency) time.Duration  { return l.P99 }
func pMax(l Latency) time.Duration { return l.Max }

func countMetric[T ~int | ~int64 | ~uint64](section, label string, get func(r *Run) T) metric {
	return metric{section, label, func(r *Run) (string, float64, bool) {
		n := get(r)
		return count(n), float64(n), true
	}, -1}
}

func floatMetric(section, label string, get func(r *Run) float64, format func(float64) string) metric {
	return metric{section, label, func(r *Run) (string, float64, bool) {
		v := get(r)
		return format(v), v, true
	}, -1}
}

var metrics = []metric{
	countMetric("Delivery", "messages sent", func(r *Run) int { return r.Sent }),
	{"", "deliveries / expected", func(r *Run) (string, float64, bool) {
		return count(r.Delivered) + " / " + count(r.Expected), float64(r.Delivered), true
	}, -1},
	{"", "delivery ratio", func(r *Run) (string, float64, bool) {
		if r.Expected == 0 && r.DeliveryRatio == 0 {
			return "—", 0, false
		}
		return percent(r.DeliveryRatio), r.DeliveryRatio, true
	}, checkDelivery},

	latencyMetric("Latency, first member", "p50", firstMember, p50, -1),
	latencyMetric("", "p95", firstMember, p95, -1),
	latencyMetric("", "p99", firstMember, p99, -1),
	latencyMetric("Latency, every member", "p50", everyMember, p50, -1),
	latencyMetric("", "p95", everyMember, p95, -1),
	latencyMetric("", "p99", everyMember, p99, checkLatency),
	latencyMetric("", "max", everyMember, pMax, -1),
	latencyMetric("Every member, network whole", "p50", wholeNetwork, p50, optionalRow),
	latencyMetric("", "p99", wholeNetwork, p99, optionalRow),

	floatMetric("Per node", "bytes in + out, mean", func(r *Run) float64 { return r.BytesPerNode.Mean }, byteSize),
	floatMetric("", "bytes in + out, p95", func(r *Run) float64 { return r.BytesPerNode.P95 }, byteSize),
	floatMetric("", "bytes in + out, max", func(r *Run) float64 { return r.BytesPerNode.Max }, byteSize),
	floatMetric("", "duplicates, mean", func(r *Run) float64 { return r.DuplicatesPerNode.Mean }, number),
	floatMetric("", "duplicates, p95", func(r *Run) float64 { return r.DuplicatesPerNode.P95 }, number),
	floatMetric("", "memory", func(r *Run) float64 { return float64(r.MemoryPerNode) }, byteSize),

	countMetric("Catch-up", "sessions", func(r *Run) int { return r.Catchup.Sessions }),
	countMetric("", "messages", func(r *Run) int { return r.Catchup.Messages }),
	floatMetric("", "bytes", func(r *Run) float64 { return float64(r.Catchup.Bytes) }, byteSize),

	{"Recovery", "convergence after heal, worst", func(r *Run) (string, float64, bool) {
		worst, failed, n := worstConvergence(r.Convergence)
		switch {
		case n == 0:
			return "—", 0, false
		case failed > 0:
			return fmt.Sprintf("%d of %d not converged", failed, n), 0, false
		}
		return duration(worst), float64(worst), true
	}, checkConvergence},
	countMetric("", "GossipSub queue drops", func(r *Run) uint64 { return r.QueueDrops }),

	durationMetric("CPU", "process CPU time", func(r *Run) time.Duration { return r.CPU }, -1),
	durationMetric("", "per delivered message", func(r *Run) time.Duration { return r.CPUPerMessage }, checkCPU),
}

// rows builds the comparison table of r. With two or more runs each row
// carries Runs[0] over Runs[1]; the latency and CPU rows use r.Ratios, so
// they agree with the checks.
func rows(r *Report) []row {
	checks := Checks(r)
	compare := len(r.Runs) >= 2
	out := make([]row, 0, len(metrics))
	for _, m := range metrics {
		rw := row{Section: m.section, Label: m.label, Values: make([]string, len(r.Runs))}
		var vs []float64
		var oks []bool
		for i := range r.Runs {
			text, v, ok := m.read(&r.Runs[i])
			rw.Values[i] = text
			vs, oks = append(vs, v), append(oks, ok)
		}
		if m.check == optionalRow && !slices.Contains(oks, true) {
			continue
		}
		if compare {
			rw.Ratio = "—"
			if oks[0] && oks[1] && vs[1] != 0 {
				rw.Ratio = times(ratio(vs[0], vs[1]))
			}
		}
		if m.check >= 0 {
			c := checks[m.check]
			rw.Target, rw.Status = c.Target, c.Status
			if m.check == checkLatency || m.check == checkCPU {
				rw.Ratio, rw.OnRatio = c.Value, true
				if !compare {
					rw.Target = "" // the target is relative to bare
				}
			}
		}
		out = append(out, rw)
	}
	return out
}

// clean makes a caller's string safe for one terminal cell: control
// characters (escape sequences, tabs, newlines) become spaces, and very long
// names are cut.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 60 {
		s = string(r[:59]) + "…"
	}
	return s
}
