package sim

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"starling/admission"
	"starling/group"
	"starling/message"
	"starling/peering"
)

// problems collects what is wrong with a scenario, each naming its field.
type problems []string

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "; "))
}

// validate checks a filled scenario. It reports every problem it finds, in
// file order, on one line.
func (sc *Scenario) validate() error {
	var p problems
	dur := sc.Duration.D()
	switch {
	case dur <= 0:
		p.add("duration", "required and positive; write how long the run lasts, such as 5m")
	case dur > MaxDuration:
		p.add("duration", "%s is over the limit of %s", dur, MaxDuration)
	}
	sc.validateNodes(&p)
	sc.validateTopology(&p)
	sc.validateLink(&p)
	sc.validateGroups(&p)
	sc.validateLoad(&p)
	sc.validateEvents(&p)
	sc.validateAttackers(&p)
	sc.validateAlerts(&p)
	if si := sc.Node.SyncInterval.D(); si != 0 && si < time.Second {
		p.add("node.sync_interval", "%s is under a second; omit it for the node's default", si)
	}
	if d := sc.Node.RelayMeshDegree; d != 0 && d < 6 {
		p.add("node.relay_mesh_degree", "%d is under 6, GossipSub's own degree; omit it for the default (%d)", d, peering.DefaultMeshDegree)
	}
	switch sc.Node.Store {
	case "", StoreMemory, StoreBadgerMemory, StoreDisk:
	default:
		p.add("node.store", "%q is not %q, %q or %q", sc.Node.Store, StoreMemory, StoreBadgerMemory, StoreDisk)
	}
	return p.err()
}

func (sc *Scenario) validateNodes(p *problems) {
	n := sc.Nodes
	if n.Attendees < 1 {
		p.add("nodes.attendees", "need at least 1, got %d", n.Attendees)
	}
	if n.RelaysEach < 0 || (n.RelaysEach > n.Relays && n.Relays >= 0) {
		p.add("nodes.relays_each", "%d: use 0 (every relay) to nodes.relays (%d)", n.RelaysEach, n.Relays)
	}
	if n.Relays < 0 {
		p.add("nodes.relays", "must not be negative, got %d", n.Relays)
	}
	if total := sc.totalNodes(); total > MaxNodes {
		p.add("nodes", "%d nodes with the attackers, over the limit of %d", total, MaxNodes)
	}
}

// totalNodes counts every simulated node, attackers included, without
// overflowing on absurd counts.
func (sc *Scenario) totalNodes() int {
	total := int64(max(sc.Nodes.Attendees, 0)) + int64(max(sc.Nodes.Relays, 0))
	for _, a := range sc.Attackers {
		total += int64(max(a.Count, 0))
	}
	return int(min(total, math.MaxInt32))
}

func (sc *Scenario) validateTopology(p *problems) {
	t := sc.Topology
	switch t.Kind {
	case TopologyLAN, TopologyRandom:
	case TopologyIsolated:
		if sc.Nodes.Relays < 1 {
			p.add("topology.kind", "isolated Wi-Fi needs at least one relay (nodes.relays), or no attendee reaches another")
		}
	case TopologyRooms:
		if t.Rooms > 1 && sc.Nodes.Relays < 1 && t.Bridges != nil && *t.Bridges < 1 {
			p.add("topology", "rooms need relays or bridges to join them")
		}
	default:
		p.add("topology.kind", "%q is not a topology; use lan, isolated, rooms or random", t.Kind)
	}
	if t.Peers < 1 {
		p.add("topology.peers", "need at least 1, got %d", t.Peers)
	}
	if t.Rooms < 1 || t.Rooms > max(sc.Nodes.Attendees, 1) {
		p.add("topology.rooms", "need 1 to %d (one attendee per room at least), got %d", max(sc.Nodes.Attendees, 1), t.Rooms)
	}
	if t.Bridges != nil && *t.Bridges < 0 {
		p.add("topology.bridges", "must not be negative, got %d", *t.Bridges)
	}
	if t.Degree < 1 {
		p.add("topology.degree", "need at least 1, got %d", t.Degree)
	}
}

func (sc *Scenario) validateLink(p *problems) {
	l := sc.Link
	if l.Latency < 0 || l.Latency.D() > 10*time.Second {
		p.add("link.latency", "%s: use 0 to 10s", l.Latency.D())
	}
	if l.Jitter < 0 || l.Jitter.D() > 10*time.Second {
		p.add("link.jitter", "%s: use 0 to 10s", l.Jitter.D())
	}
	const minRate = 64e3
	if l.Bandwidth < minRate {
		p.add("link.bandwidth", "%s is under 64kbps, too slow for a QUIC handshake", l.Bandwidth)
	}
	if l.RelayBandwidth < minRate {
		p.add("link.relay_bandwidth", "%s is under 64kbps, too slow for a QUIC handshake", l.RelayBandwidth)
	}
	if !(l.Loss >= 0 && l.Loss <= 0.5) {
		p.add("link.loss", "%v: use a share from 0 to 0.5", l.Loss)
	}
	if t := l.Transport; t != "" && t != TransportStreams && t != TransportQUIC {
		p.add("link.transport", "%q: use %s or %s", t, TransportStreams, TransportQUIC)
	}
}

func (sc *Scenario) validateGroups(p *problems) {
	if len(sc.Groups) == 0 {
		p.add("groups", "need at least one group")
	}
	seen := map[string]bool{}
	for i, g := range sc.Groups {
		f := fmt.Sprintf("groups[%d]", i)
		switch g.Kind {
		case GroupOpen:
			if _, err := group.NormalizeName(g.Name); err != nil {
				p.add(f+".name", "%v", err)
			}
		case GroupPrivate, GroupAnnounce:
			if strings.TrimSpace(g.Name) == "" || len(g.Name) > group.MaxNameLen {
				p.add(f+".name", "need a name of 1 to %d bytes", group.MaxNameLen)
			}
		default:
			p.add(f+".kind", "%q is not a group kind; use open, private or announce", g.Kind)
		}
		if seen[g.Name] {
			p.add(f+".name", "%q is used twice; group names must be unique", g.Name)
		}
		seen[g.Name] = true
		if !(g.Members > 0 && g.Members <= 1) {
			p.add(f+".members", "%v: use a share of the attendees above 0 and at most 1", g.Members)
		}
	}
}

func (sc *Scenario) validateLoad(p *problems) {
	total := 0.0
	for i, ld := range sc.Load {
		f := fmt.Sprintf("load[%d]", i)
		g, ok := sc.group(ld.Group)
		if !ok {
			p.add(f+".group", "%q is not a group of this scenario", ld.Group)
		} else if g.Kind == GroupAnnounce {
			p.add(f+".group", "%q is an announcement channel, where only its owner posts; put the load in an open or private group", ld.Group)
		}
		switch {
		case ld.Each != 0 && ld.Rate != 0:
			p.add(f, "give rate or each, not both")
		case ld.Each < 0 || ld.Each > MaxMessages:
			p.add(f+".each", "%d: use 1 to %d messages per sender", ld.Each, MaxMessages)
		case ld.Each == 0 && !(ld.Rate > 0 && ld.Rate <= 1000):
			p.add(f+".rate", "%v: use more than 0 and at most 1000 messages a second (or give each)", ld.Rate)
		case ld.Paced && ld.Each == 0:
			p.add(f+".paced", "paces the messages given by each; give each")
		}
		if ld.Size < 1 || ld.Size > message.MaxTextSize {
			p.add(f+".size", "%d: use 1 to %d bytes", ld.Size, message.MaxTextSize)
		}
		if !(ld.Senders > 0 && ld.Senders <= 1) {
			p.add(f+".senders", "%v: use a share of the members above 0 and at most 1", ld.Senders)
		}
		sc.checkWindow(p, f, ld.Start, ld.Stop)
		if !ok || !(ld.Senders > 0 && ld.Senders <= 1) {
			continue
		}
		senders := max(1, int(math.Round(ld.Senders*float64(memberCount(g, sc.Nodes.Attendees)))))
		span := max(ld.Stop.D()-ld.Start.D(), time.Millisecond).Seconds()
		rate := ld.Rate
		if ld.Each > 0 {
			rate = float64(ld.Each*senders) / span
		}
		if per := rate / float64(senders); per > admission.DefaultLimits.Rate {
			p.add(f, "%.3g messages a second from %d senders is %.2g each, over the per-author limit of %v a second, so honest messages would be dropped; add senders, lower the rate or widen start..stop",
				rate, senders, per, admission.DefaultLimits.Rate)
		}
		total += rate * span
	}
	if total > MaxMessages {
		p.add("load", "about %.0f messages in all, over the limit of %d", total, MaxMessages)
	}
}

func (sc *Scenario) validateEvents(p *problems) {
	if c := sc.Churn; c != nil {
		if !(c.Share > 0 && c.Share <= 1) {
			p.add("churn.share", "%v: use a share of the attendees above 0 and at most 1", c.Share)
		}
		if c.MeanOnline.D() < time.Second || c.MeanOffline.D() < time.Second {
			p.add("churn", "mean_online and mean_offline must be at least 1s")
		}
		sc.checkWindow(p, "churn", c.Start, c.Stop)
	}
	var lastHeal Duration
	for i, pt := range sc.Partitions {
		f := fmt.Sprintf("partitions[%d]", i)
		if pt.At < 0 || pt.At >= pt.Heal || pt.Heal > sc.Duration {
			p.add(f, "need 0 <= at < heal <= duration, got at %s, heal %s", pt.At.D(), pt.Heal.D())
		}
		if i > 0 && pt.At < lastHeal {
			p.add(f+".at", "starts before the previous partition heals; list partitions in order without overlap")
		}
		lastHeal = pt.Heal
		if !(pt.Share > 0 && pt.Share < 1) {
			p.add(f+".share", "%v: use a share strictly between 0 and 1", pt.Share)
		}
	}
	for i, o := range sc.Outages {
		f := fmt.Sprintf("outages[%d]", i)
		if o.Relay < 0 || o.Relay >= sc.Nodes.Relays {
			p.add(f+".relay", "relay %d does not exist; relays are numbered 0 to nodes.relays-1", o.Relay)
		}
		if o.At < 0 || o.At >= o.Until || o.Until > sc.Duration {
			p.add(f, "need 0 <= at < until <= duration, got at %s, until %s", o.At.D(), o.Until.D())
		}
	}
}

func (sc *Scenario) validateAttackers(p *problems) {
	if len(sc.Attackers) > maxAttackSets {
		p.add("attackers", "%d entries, over the limit of %d; raise count instead", len(sc.Attackers), maxAttackSets)
	}
	for i, a := range sc.Attackers {
		f := fmt.Sprintf("attackers[%d]", i)
		switch {
		case a.Kind == AttackSpammer && a.Mode != ModeInvalid && a.Mode != ModeFlood && a.Mode != ModeJunk:
			p.add(f+".mode", "%q is not a spammer mode; use invalid, flood or junk", a.Mode)
		case a.Kind == AttackSybil && a.Mode != ModeBlackhole && a.Mode != ModeFlood:
			p.add(f+".mode", "%q is not a sybil mode; use blackhole or flood", a.Mode)
		case a.Kind != AttackSpammer && a.Kind != AttackSybil:
			p.add(f+".kind", "%q is not an attacker kind; use spammer or sybil", a.Kind)
		}
		if a.Count < 1 {
			p.add(f+".count", "need at least 1, got %d", a.Count)
		}
		if g, ok := sc.group(a.Group); !ok || g.Kind != GroupOpen {
			p.add(f+".group", "%q is not an open group of this scenario (attackers cannot join private ones)", a.Group)
		}
		if !(a.Rate > 0 && a.Rate <= 10000) {
			p.add(f+".rate", "%v: use more than 0 and at most 10000 messages a second", a.Rate)
		}
		if a.Size < 1 || a.Size > message.MaxEnvelopeSize {
			p.add(f+".size", "%d: use 1 to %d bytes", a.Size, message.MaxEnvelopeSize)
		}
		if a.Targets < 1 {
			p.add(f+".targets", "need at least 1, got %d", a.Targets)
		}
		if a.IPs < 1 || a.IPs > max(a.Count, 1) {
			p.add(f+".ips", "use 1 to count (%d), got %d", a.Count, a.IPs)
		}
		sc.checkWindow(p, f, a.Start, a.Stop)
	}
}

// maxAttackSets bounds the attackers entries: each gets its own block of
// addresses (see attackerAddr).
const maxAttackSets = 50

// checkWindow checks 0 <= start < stop <= duration.
func (sc *Scenario) checkWindow(p *problems, field string, start, stop Duration) {
	if start < 0 || start >= stop || stop > sc.Duration {
		p.add(field, "need 0 <= start < stop <= duration (%s), got start %s, stop %s", sc.Duration.D(), start.D(), stop.D())
	}
}

func (sc *Scenario) group(name string) (Group, bool) {
	for _, g := range sc.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// memberCount is how many of the attendees are in g: at least one.
func memberCount(g Group, attendees int) int {
	return min(attendees, max(1, int(math.Round(g.Members*float64(attendees)))))
}

func (sc *Scenario) validateAlerts(p *problems) {
	for i, a := range sc.Alerts {
		f := fmt.Sprintf("alerts[%d]", i)
		gi := slices.IndexFunc(sc.Groups, func(g Group) bool { return g.Name == a.Group })
		switch {
		case gi < 0:
			p.add(f+".group", "%q is not a group of the scenario", a.Group)
		case !created(sc.Groups[gi].Kind):
			p.add(f+".group", "%q is an open channel, which has no owner to send alerts; make it private or announce", a.Group)
		}
		if at := a.At.D(); at < 0 || at >= sc.Duration.D() {
			p.add(f+".at", "%s is not within the run (0 to %s)", at, sc.Duration.D())
		}
		if a.Size < 0 || a.Size > group.MaxAlertBytes {
			p.add(f+".size", "%d: use 1 to %d bytes, or omit it for 140", a.Size, group.MaxAlertBytes)
		}
	}
}
