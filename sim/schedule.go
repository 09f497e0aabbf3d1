package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// Event kinds on the report's timeline: what the plan does, then what a
// run found.
const (
	EventLoad      = "load"
	EventPartition = "partition"
	EventHeal      = "heal"
	EventChurn     = "churn"
	EventRelayDown = "relay-down"
	EventRelayUp   = "relay-up"
	EventAttack    = "attack"
	EventAlert     = "alert"

	EventCatchup   = "catchup"   // the share of deliveries catch-up made
	EventHealth    = "health"    // connectivity and queue drops at the end
	EventClock     = "clock"     // virtual or real time
	EventResources = "resources" // heap per node and peak RSS
)

// schedule draws the times: messages, churn, outages and partitions.
func (p *plan) schedule() {
	p.scheduleLoad()
	p.offline = make([][]window, len(p.nodes))
	p.scheduleChurn()
	for _, o := range p.sc.Outages {
		r := p.relays[o.Relay]
		p.offline[r] = append(p.offline[r], window{o.At.D(), o.Until.D()})
		p.mark(o.At.D(), EventRelayDown, "%s goes offline", p.nodes[r].Name)
		p.mark(o.Until.D(), EventRelayUp, "%s is back", p.nodes[r].Name)
	}
	for i := range p.offline {
		p.offline[i] = mergeWindows(p.offline[i])
	}
	p.schedulePartitions()
	for _, pa := range p.attacks {
		p.mark(pa.Start.D(), EventAttack, "%d %s (%s) join %s, each dialling %d honest nodes", pa.Count, pa.Kind, pa.Mode, pa.Attacker.Group, pa.Targets)
		p.mark(pa.Stop.D(), EventAttack, "%s (%s) attack ends", pa.Kind, pa.Mode)
	}
	slices.SortStableFunc(p.events, func(a, b event) int { return cmp.Compare(a.At, b.At) })
}

func (p *plan) mark(at time.Duration, kind, format string, args ...any) {
	p.events = append(p.events, event{At: at, Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

// scheduleLoad draws each load's Poisson arrivals and senders.
func (p *plan) scheduleLoad() {
	for li, ld := range p.sc.Load {
		rng := rngFor(p.seed, fmt.Sprintf("load/%d", li))
		gi := p.groupIndex(ld.Group)
		g := p.groups[gi]
		senders := sample(rng, g.Members, max(1, int(math.Round(ld.Senders*float64(len(g.Members))))))
		before := len(p.msgs)
		start, span := ld.Start.D(), ld.Stop.D()-ld.Start.D()
		switch {
		case ld.Paced:
			slices.Sort(senders)
			gap := span / time.Duration(len(senders)*ld.Each)
			for k, s := range senders {
				for j := range ld.Each {
					p.msgs = append(p.msgs, planMsg{Group: gi, Sender: s, At: start + time.Duration(k*ld.Each+j)*gap, Size: ld.Size})
				}
			}
		case ld.Each > 0:
			for _, s := range senders {
				for range ld.Each {
					p.msgs = append(p.msgs, planMsg{Group: gi, Sender: s, At: start + time.Duration(rng.Int64N(int64(span))), Size: ld.Size})
				}
			}
		default:
			mean := time.Duration(float64(time.Second) / ld.Rate)
			for t := start + expMean(rng, mean); t < ld.Stop.D(); t += expMean(rng, mean) {
				p.msgs = append(p.msgs, planMsg{Group: gi, Sender: senders[rng.IntN(len(senders))], At: t, Size: ld.Size})
			}
		}
		p.mark(start, EventLoad, "%d messages of %d bytes to %s from %d senders until %s",
			len(p.msgs)-before, ld.Size, g.Name, len(senders), ld.Stop.D())
	}
	for _, a := range p.sc.Alerts {
		gi := p.groupIndex(a.Group)
		size := cmp.Or(a.Size, 140)
		p.msgs = append(p.msgs, planMsg{Group: gi, Sender: p.groups[gi].Owner, At: a.At.D(), Size: size, Alert: true})
		p.mark(a.At.D(), EventAlert, "the owner of %s sends an alert of %d bytes", a.Group, size)
	}
	slices.SortStableFunc(p.msgs, func(a, b planMsg) int { return cmp.Compare(a.At, b.At) })
	for i := range p.msgs {
		p.msgs[i].Index = i
	}
}

// scheduleChurn gives each churning attendee alternating online and offline
// times, exponential with the configured means, departures within
// [Start, Stop).
func (p *plan) scheduleChurn() {
	c := p.sc.Churn
	if c == nil {
		return
	}
	rng := rngFor(p.seed, "churn")
	attendees := p.attendees()
	who := sample(rng, attendees, max(1, int(math.Round(c.Share*float64(len(attendees))))))
	slices.Sort(who)
	end, leaves := p.sc.Duration.D(), 0
	for _, a := range who {
		for t := c.Start.D() + expMean(rng, c.MeanOnline.D()); t < c.Stop.D(); {
			off := max(expMean(rng, c.MeanOffline.D()), time.Second)
			p.offline[a] = append(p.offline[a], window{t, min(t+off, end)})
			leaves++
			t += off + expMean(rng, c.MeanOnline.D())
		}
	}
	p.mark(c.Start.D(), EventChurn, "%d attendees come and go: %d absences, online %s and offline %s on average",
		len(who), leaves, c.MeanOnline.D(), c.MeanOffline.D())
	p.mark(c.Stop.D(), EventChurn, "churn ends: no more departures")
}

// schedulePartitions draws each partition's sides. Relays alternate, so
// that with two relays each side keeps one.
func (p *plan) schedulePartitions() {
	for k, pt := range p.sc.Partitions {
		rng := rngFor(p.seed, fmt.Sprintf("partition/%d", k))
		first := make([]bool, len(p.nodes))
		n := 0
		for i := range p.nodes {
			if p.isRelay(i) {
				first[i] = i%2 == 0
			} else {
				first[i] = rng.Float64() < pt.Share
			}
			if first[i] {
				n++
			}
		}
		p.parts = append(p.parts, planPartition{At: pt.At.D(), Heal: pt.Heal.D(), First: first})
		p.mark(pt.At.D(), EventPartition, "the network splits: %d nodes on one side, %d on the other", n, len(p.nodes)-n)
		p.mark(pt.Heal.D(), EventHeal, "the partition heals")
	}
}

// mergeWindows sorts windows and merges the overlapping ones.
func mergeWindows(ws []window) []window {
	slices.SortFunc(ws, func(a, b window) int { return cmp.Compare(a.From, b.From) })
	var out []window
	for _, w := range ws {
		if k := len(out) - 1; k >= 0 && w.From <= out[k].To {
			out[k].To = max(out[k].To, w.To)
			continue
		}
		out = append(out, w)
	}
	return out
}

// separated reports whether an active partition at t stands between a and
// b.
func (p *plan) separated(a, b int, t time.Duration) bool {
	for _, pt := range p.parts {
		if t >= pt.At && t < pt.Heal && pt.First[a] != pt.First[b] {
			return true
		}
	}
	return false
}
