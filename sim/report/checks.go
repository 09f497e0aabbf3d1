package report

import (
	"fmt"
	"time"
)

// Status grades one figure against its target.
type Status int

const (
	StatusNone Status = iota // no target applies, or nothing to compare with
	StatusPass
	StatusFail
)

func (s Status) String() string {
	switch s {
	case StatusPass:
		return "pass"
	case StatusFail:
		return "fail"
	}
	return "n/a"
}

// mark is the one-character form used in tables.
func (s Status) mark() string {
	switch s {
	case StatusPass:
		return "✓"
	case StatusFail:
		return "✗"
	}
	return ""
}

// class is the CSS class of the page for the status.
func (s Status) class() string {
	switch s {
	case StatusPass:
		return "pass"
	case StatusFail:
		return "fail"
	}
	return "none"
}

// Check is one figure of Runs[0] (Starling) graded against its target.
type Check struct {
	Name   string // "delivery ratio", "latency p99 vs bare", ...
	Value  string // formatted figure, e.g. "99.87%" or "1.03×"
	Target string // e.g. "≥ 99%" or "≤ 1.1× bare"
	Status Status
}

// Checks grades Starling's run against the targets, in this order: delivery
// ratio (TargetDeliveryRatio), all-member latency p99 over bare's
// (TargetLatencyP99Ratio), CPU per delivered message over bare's
// (TargetCPUPerMessageRatio), and convergence after every heal. A check with
// nothing to measure (no bare run, no heal) has StatusNone.
func Checks(r *Report) []Check {
	var s Run
	if r != nil && len(r.Runs) > 0 {
		s = r.Runs[0]
	}
	delivery := Check{Name: "delivery ratio", Value: "—", Target: "≥ " + percent(TargetDeliveryRatio)}
	if s.Expected > 0 || s.DeliveryRatio > 0 {
		delivery.Value = percent(s.DeliveryRatio)
		delivery.Status = atLeast(s.DeliveryRatio, TargetDeliveryRatio)
	}
	latency := Check{Name: "latency p99 vs bare", Value: "—", Target: "≤ " + times(TargetLatencyP99Ratio) + " bare"}
	cpu := Check{Name: "CPU per message vs bare", Value: "—", Target: "≤ " + times(TargetCPUPerMessageRatio) + " bare"}
	if rt := reportRatios(r); rt != nil {
		latency.Value, latency.Status = ratioCheck(rt.LatencyP99, TargetLatencyP99Ratio)
		cpu.Value, cpu.Status = ratioCheck(rt.CPUPerMessage, TargetCPUPerMessageRatio)
	}
	conv := Check{Name: "convergence after heal", Value: "—", Target: "all converge"}
	if worst, failed, n := worstConvergence(s.Convergence); n > 0 {
		conv.Value, conv.Status = duration(worst), StatusPass
		if failed > 0 {
			conv.Value, conv.Status = fmt.Sprintf("%d of %d not converged", failed, n), StatusFail
		}
	}
	return []Check{delivery, latency, cpu, conv}
}

// Passed reports whether no check failed; a cmd can turn it into an exit code.
func (r *Report) Passed() bool {
	for _, c := range Checks(r) {
		if c.Status == StatusFail {
			return false
		}
	}
	return true
}

func reportRatios(r *Report) *Ratios {
	if r == nil {
		return nil
	}
	return r.ratios()
}

// ratioCheck grades a Starling-over-bare ratio; 0 means there was nothing to
// divide by.
func ratioCheck(v, target float64) (string, Status) {
	if v <= 0 {
		return "—", StatusNone
	}
	if v <= target {
		return times(v), StatusPass
	}
	return times(v), StatusFail
}

func atLeast(v, target float64) Status {
	if v >= target {
		return StatusPass
	}
	return StatusFail
}

// worstConvergence returns the longest time to converge among the events that
// converged, how many did not converge, and how many there were.
func worstConvergence(cs []Convergence) (worst time.Duration, failed, n int) {
	for _, c := range cs {
		if !c.Converged {
			failed++
			continue
		}
		worst = max(worst, c.Took)
	}
	return worst, failed, len(cs)
}
