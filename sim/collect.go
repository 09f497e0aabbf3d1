package sim

import (
	"fmt"
	"time"

	"starling/sim/report"
)

// outcome is what one run produced: when each planned message went out,
// who got it and when, and every honest node's counters.
type outcome struct {
	p        *plan
	sentAt   []time.Duration
	sent     []bool
	got      [][]delivery
	counters []nodeCounters
}

// expected lists the members that should get message m: all but its
// sender that are online at some time between its send and the end.
func (o *outcome) expected(m planMsg) []int {
	end := o.p.sc.Duration.D()
	var out []int
	for _, v := range o.p.groups[m.Group].Members {
		if v != m.Sender && o.p.onlineAfter(v, o.sentAt[m.Index], end) {
			out = append(out, v)
		}
	}
	return out
}

// arrivals maps each expected member of m that got it to its delivery.
func (o *outcome) arrivals(m planMsg) map[int]delivery {
	out := make(map[int]delivery, len(o.got[m.Index]))
	for _, d := range o.got[m.Index] {
		if prev, ok := out[d.node]; !ok || d.at < prev.at {
			out[d.node] = d
		}
	}
	return out
}

// run computes the report's figures of a run but CPU and memory.
func (o *outcome) run(name string) report.Run {
	p := o.p
	r := report.Run{Name: name, Nodes: make([]report.NodeStats, p.honest)}
	var lat, first, all, times []time.Duration
	viaCatchup := 0
	for _, m := range p.msgs {
		if !o.sent[m.Index] {
			continue
		}
		r.Sent++
		want := o.expected(m)
		got := o.arrivals(m)
		r.Expected += len(want)
		fst, n := time.Duration(-1), 0
		for _, v := range want {
			r.Nodes[v].Expected++
			d, ok := got[v]
			if !ok {
				continue
			}
			n++
			r.Nodes[v].Delivered++
			l := max(d.at-o.sentAt[m.Index], 0)
			lat, times = append(lat, l), append(times, d.at)
			if fst < 0 || l < fst {
				fst = l
			}
			if d.catchup {
				viaCatchup++
			}
		}
		r.Delivered += n
		if n > 0 {
			first = append(first, fst)
		}
	}
	for _, l := range o.completeLatencies() {
		if l >= 0 {
			all = append(all, l)
		}
	}
	r.FirstLatency, r.AllLatency = report.Latencies(first), report.Latencies(all)
	r.LatencyCDF = report.LatencyCDF(lat)
	r.DeliveredOverTime = report.Cumulative(times, p.sc.Duration.D())
	for i := range p.honest {
		c := o.counters[i]
		r.Nodes[i] = report.NodeStats{
			Name: p.nodes[i].Name, Role: p.nodes[i].Role,
			BytesIn: c.bytesIn, BytesOut: c.bytesOut, Duplicates: c.duplicates,
			Delivered: r.Nodes[i].Delivered, Expected: r.Nodes[i].Expected, CatchupBytes: c.catchupBytes,
		}
		r.Catchup.Sessions += int(c.catchupSessions)
		r.Catchup.Messages += int(c.catchupMessages)
		r.Catchup.Bytes += c.catchupBytes
		r.QueueDrops += c.queueDrops
	}
	r.Convergence = o.convergence()
	r.Events = toReport(p.events)
	if r.Delivered > 0 && name == "starling" {
		r.Events = append(r.Events, report.Event{At: p.sc.Duration.D(), Kind: EventCatchup,
			Detail: fmt.Sprintf("%d of %d deliveries (%.1f%%) came by catch-up", viaCatchup, r.Delivered, 100*float64(viaCatchup)/float64(r.Delivered))})
	}
	return r
}

// convergence measures, after each heal and each relay's return, how long
// until every member online at the end held every message sent before it.
func (o *outcome) convergence() []report.Convergence {
	var out []report.Convergence
	for _, e := range o.p.events {
		if e.Kind == EventHeal || e.Kind == EventRelayUp {
			out = append(out, o.convergedAfter(e))
		}
	}
	return out
}

func (o *outcome) convergedAfter(e event) report.Convergence {
	end := o.p.sc.Duration.D()
	last, missing := e.At, 0
	for _, m := range o.p.msgs {
		if !o.sent[m.Index] || o.sentAt[m.Index] >= e.At {
			continue
		}
		got := o.arrivals(m)
		for _, v := range o.expected(m) {
			if !o.p.online(v, end-time.Nanosecond) {
				continue
			}
			if d, ok := got[v]; ok {
				last = max(last, d.at)
			} else {
				missing++
			}
		}
	}
	c := report.Convergence{Event: fmt.Sprintf("%s at %s", e.Kind, e.At), At: e.At, Converged: missing == 0}
	if c.Converged {
		c.Took = last - e.At
	} else {
		c.Took = end - e.At
	}
	return c
}
