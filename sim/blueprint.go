package sim

import (
	"fmt"
	"net/netip"
	"time"

	"starling/sim/report"
)

// Blueprint is what a scenario and a seed decide, laid open for running the
// scenario elsewhere with real starling processes (Shadow, the network lab;
// see package sim/shadow): the hosts and whom each dials, who can reach
// whom, the groups, and every planned message with its sender and time. The
// simulator's own runs follow the same plan, so a run elsewhere and the
// simulator's twin run of the same seed send the same messages at the same
// times between the same peers.
type Blueprint struct {
	Scenario *Scenario
	Seed     int64
	// Hosts are the relays, then the attendees (attackers have no place
	// outside the simulator).
	Hosts    []Host
	Groups   []BlueprintGroup
	Messages []PlannedMessage

	p *plan
}

// Host is one relay or attendee.
type Host struct {
	Name string // relay-0, attendee-3, ...
	Role string // RoleRelay or RoleAttendee
	// Addr is the host's IPv4 address in the simulator's plan.
	Addr netip.Addr
	// Peers are the hosts it dials at start and keeps connected; Relays
	// the relays it holds reservations on (attendees only).
	Peers, Relays []int
	// Groups are the groups it is in: its own as an attendee, all of them
	// as a relay.
	Groups []int
}

// BlueprintGroup is one group.
type BlueprintGroup struct {
	Name, Kind string
	Members    []int // attendees, ascending
	// Owner is the member who creates a private group; the others join by
	// its invite link, relays by its carrier link.
	Owner int
}

// PlannedMessage is one message of the load.
type PlannedMessage struct {
	Index, Group, Sender int
	// At is its time after the scenario's zero.
	At time.Duration
	// Text is what the sender sends: unique, and the load's size.
	Text string
}

// NewBlueprint validates sc and lays open its plan under seed (0: the
// scenario's own).
func NewBlueprint(sc *Scenario, seed int64) (*Blueprint, error) {
	if err := sc.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrScenario, err)
	}
	if seed == 0 {
		seed = sc.Seed
	}
	p := newPlan(sc, seed)
	b := &Blueprint{Scenario: sc, Seed: seed, p: p}
	for i := range p.honest {
		n := p.nodes[i]
		h := Host{Name: n.Name, Role: n.Role, Addr: n.Addr.Addr(), Peers: n.Peers}
		if n.Role == RoleAttendee {
			h.Relays = n.Relays
		}
		for gi, g := range p.groups {
			if g.in[i] || n.Role == RoleRelay {
				h.Groups = append(h.Groups, gi)
			}
		}
		b.Hosts = append(b.Hosts, h)
	}
	for _, g := range p.groups {
		b.Groups = append(b.Groups, BlueprintGroup{Name: g.Name, Kind: g.Kind, Members: g.Members, Owner: g.Owner})
	}
	for _, m := range p.msgs {
		b.Messages = append(b.Messages, PlannedMessage{Index: m.Index, Group: m.Group, Sender: m.Sender, At: m.At, Text: text(m)})
	}
	return b, nil
}

// Linked reports whether hosts i and j can reach each other in the
// scenario's topology.
func (b *Blueprint) Linked(i, j int) bool { return b.p.reach.linked(i, j) }

// Observed is what a run elsewhere saw, in the scenario's time (after its
// zero): what Report turns into the simulator's report.
type Observed struct {
	// Sent[m] is when planned message m's send began; SendOK[m] whether it
	// succeeded.
	Sent   []time.Duration
	SendOK []bool
	// Deliveries are the messages hosts stored that others sent.
	Deliveries []Delivery
	// Counters are each host's totals, by host index.
	Counters []Counters
	// Notes go on the report's timeline at the end: how the run was made
	// and what its figures mean.
	Notes []string
}

// Delivery is planned message Msg stored by host Host at At.
type Delivery struct {
	Msg, Host int
	At        time.Duration
	Catchup   bool
}

// Counters are one host's totals.
type Counters struct {
	BytesIn, BytesOut, Duplicates, CatchupBytes  int64
	CatchupSessions, CatchupMessages, QueueDrops uint64
}

// EventRun is the timeline kind of the notes of a run elsewhere.
const EventRun = "run"

// Report computes the simulator's report of a run elsewhere, with exactly
// the simulator's rules: who should get what, latencies from the send's
// start, convergence and catch-up's share. CPU and memory are not known.
func (b *Blueprint) Report(name string, o Observed) (*report.Report, error) {
	p := b.p
	if len(o.Sent) != len(p.msgs) || len(o.SendOK) != len(p.msgs) {
		return nil, fmt.Errorf("observed %d sends, the plan has %d messages", len(o.Sent), len(p.msgs))
	}
	if len(o.Counters) != p.honest {
		return nil, fmt.Errorf("observed the counters of %d hosts, the plan has %d", len(o.Counters), p.honest)
	}
	out := outcome{p: p, sentAt: o.Sent, sent: o.SendOK, got: make([][]delivery, len(p.msgs))}
	for _, d := range o.Deliveries {
		if d.Msg < 0 || d.Msg >= len(p.msgs) || d.Host < 0 || d.Host >= p.honest {
			return nil, fmt.Errorf("a delivery of message %d to host %d is outside the plan", d.Msg, d.Host)
		}
		out.got[d.Msg] = append(out.got[d.Msg], newDelivery(d.Host, d.At, d.Catchup))
	}
	for _, c := range o.Counters {
		out.counters = append(out.counters, nodeCounters{
			bytesIn: c.BytesIn, bytesOut: c.BytesOut, duplicates: c.Duplicates, catchupBytes: c.CatchupBytes,
			catchupSessions: c.CatchupSessions, catchupMessages: c.CatchupMessages, queueDrops: c.QueueDrops,
		})
	}
	r := out.run(name)
	end := p.sc.Duration.D()
	for _, n := range o.Notes {
		r.Events = append(r.Events, report.Event{At: end, Kind: EventRun, Detail: n})
	}
	r.Derive()
	return &report.Report{Scenario: p.sc.Name, Seed: b.Seed, Nodes: p.honest, SimDuration: end, Runs: []report.Run{r}}, nil
}
