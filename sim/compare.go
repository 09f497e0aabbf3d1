package sim

import (
	"time"

	"starling/sim/report"
)

// compare is Report.Ratios for a Starling run a and a bare run b of one
// plan. CPU per message and delivery ratio are the runs' own. The latency
// ratio is over the messages that both runs delivered to every member: a
// run's every-member latency counts only the messages it delivered to
// everyone, so where bare loses what a partition cut off and Starling
// delivers it a minute later, comparing the runs' own p99s would set
// Starling's slowest successes against nothing. With no message in common
// it falls back to the runs' own p99s.
func compare(a, b *outcome, ra, rb report.Run) *report.Ratios {
	r := report.Compare(ra, rb)
	la, lb := a.completeLatencies(), b.completeLatencies()
	var xa, xb []time.Duration
	for i, l := range la {
		if l >= 0 && lb[i] >= 0 {
			xa, xb = append(xa, l), append(xb, lb[i])
		}
	}
	if len(xa) > 0 {
		pa, pb := report.Latencies(xa).P99, report.Latencies(xb).P99
		r.LatencyP99 = 0
		if pb > 0 {
			r.LatencyP99 = float64(pa) / float64(pb)
		}
	}
	return r
}

// completeLatencies gives, per planned message, the time until every
// expected member had it, or -1 if some never did (or it was not sent).
func (o *outcome) completeLatencies() []time.Duration {
	out := make([]time.Duration, len(o.p.msgs))
	for _, m := range o.p.msgs {
		out[m.Index] = -1
		if !o.sent[m.Index] {
			continue
		}
		var last time.Duration
		members, complete := 0, true
		o.eachExpected(m, func(_ int, d delivery, got bool) {
			members++
			if !got {
				complete = false
				return
			}
			last = max(last, d.at-o.sentAt[m.Index])
		})
		if members > 0 && complete {
			out[m.Index] = max(last, 0)
		}
	}
	return out
}
