package sim

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"starling/sim/report"
)

// outcome is what one run produced: when each planned message went out,
// who got it and when, and every honest node's counters.
type outcome struct {
	p      *plan
	sentAt []time.Duration
	sent   []bool
	// got lists each message's deliveries; byNode sorts each list by node
	// and keeps each node's first.
	got      [][]delivery
	counters []nodeCounters
	sorted   bool
}

// byNode sorts each message's deliveries by node and keeps only the first
// of each node, once, so that the figures walk them beside the group's
// members (ascending too) instead of building a map per message: at
// 10,000 members and hundreds of messages, millions of entries.
func (o *outcome) byNode() {
	if o.sorted {
		return
	}
	for i, ds := range o.got {
		slices.SortFunc(ds, func(a, b delivery) int {
			return cmp.Or(cmp.Compare(a.node, b.node), cmp.Compare(a.at, b.at))
		})
		o.got[i] = slices.CompactFunc(ds, func(a, b delivery) bool { return a.node == b.node })
	}
	o.sorted = true
}

// eachExpected calls fn, in ascending order, for each member that should
// get message m: all but its sender that are online at some time between
// its send and the end; with got, its first delivery.
func (o *outcome) eachExpected(m planMsg, fn func(v int, d delivery, got bool)) {
	o.byNode()
	end := o.p.sc.Duration.D()
	ds, k := o.got[m.Index], 0
	for _, v := range o.p.groups[m.Group].Members {
		for k < len(ds) && int(ds[k].node) < v {
			k++
		}
		if v == m.Sender || !o.p.onlineAfter(v, o.sentAt[m.Index], end) {
			continue
		}
		if k < len(ds) && int(ds[k].node) == v {
			fn(v, ds[k], true)
		} else {
			fn(v, delivery{}, false)
		}
	}
}

// run computes the report's figures of a run but CPU and memory.
func (o *outcome) run(name string) report.Run {
	p := o.p
	r := report.Run{Name: name, Nodes: make([]report.NodeStats, p.honest)}
	records := 0
	for _, ds := range o.got {
		records += len(ds)
	}
	lat, times := make([]time.Duration, 0, records), make([]time.Duration, 0, records)
	var first, all []time.Duration
	viaCatchup := 0
	for _, m := range p.msgs {
		if !o.sent[m.Index] {
			continue
		}
		r.Sent++
		fst, n := time.Duration(-1), 0
		o.eachExpected(m, func(v int, d delivery, got bool) {
			r.Expected++
			r.Nodes[v].Expected++
			if !got {
				return
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
		})
		r.Delivered += n
		if n > 0 {
			first = append(first, fst)
		}
	}
	var whole []time.Duration
	for i, l := range o.completeLatencies() {
		if l < 0 {
			continue
		}
		all = append(all, l)
		if len(p.parts) > 0 && p.whole(o.sentAt[i]) {
			whole = append(whole, l)
		}
	}
	r.FirstLatency, r.AllLatency = report.Latencies(first), report.Latencies(all)
	if len(whole) > 0 {
		r.WholeLatency = report.Latencies(whole)
	}
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
		o.eachExpected(m, func(v int, d delivery, got bool) {
			switch {
			case !o.p.online(v, end-time.Nanosecond):
			case got:
				last = max(last, d.at)
			default:
				missing++
			}
		})
	}
	c := report.Convergence{Event: fmt.Sprintf("%s at %s", e.Kind, e.At), At: e.At, Converged: missing == 0}
	if c.Converged {
		c.Took = last - e.At
	} else {
		c.Took = end - e.At
	}
	return c
}
