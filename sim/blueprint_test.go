package sim

import (
	"strings"
	"testing"
	"time"
)

// A blueprint lays open the very plan the simulator runs: same hosts, peers,
// members and messages for a scenario and seed.
func TestBlueprintIsThePlan(t *testing.T) {
	sc, err := Builtin("rooms")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBlueprint(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := newPlan(sc, sc.Seed)
	if b.Seed != sc.Seed || len(b.Hosts) != p.honest || len(b.Messages) != len(p.msgs) || len(b.Groups) != len(p.groups) {
		t.Fatalf("blueprint: seed %d, %d hosts, %d messages, %d groups; plan: %d, %d, %d, %d",
			b.Seed, len(b.Hosts), len(b.Messages), len(b.Groups), sc.Seed, p.honest, len(p.msgs), len(p.groups))
	}
	for i, h := range b.Hosts {
		n := p.nodes[i]
		if h.Name != n.Name || h.Role != n.Role || h.Addr != n.Addr.Addr() || len(h.Peers) != len(n.Peers) {
			t.Fatalf("host %d = %+v, plan node %+v", i, h, n)
		}
		if h.Role == RoleAttendee && len(h.Relays) != sc.Nodes.Relays {
			t.Errorf("attendee %s has %d relays, want %d", h.Name, len(h.Relays), sc.Nodes.Relays)
		}
		if h.Role == RoleRelay && len(h.Groups) != len(sc.Groups) {
			t.Errorf("relay %s carries %d groups, want all %d", h.Name, len(h.Groups), len(sc.Groups))
		}
	}
	for i, m := range b.Messages {
		pm := p.msgs[i]
		if m.Index != i || m.Sender != pm.Sender || m.At != pm.At || len(m.Text) != pm.Size || !strings.Contains(m.Text, "sim message") {
			t.Fatalf("message %d = %+v, plan %+v", i, m, pm)
		}
	}
	for i := range b.Hosts {
		for j := range b.Hosts {
			if b.Linked(i, j) != p.reach.linked(i, j) {
				t.Fatalf("Linked(%d, %d) differs from the plan", i, j)
			}
		}
	}
	other, err := NewBlueprint(sc, sc.Seed+1)
	if err != nil {
		t.Fatal(err)
	}
	if other.Messages[0].At == b.Messages[0].At && other.Messages[0].Sender == b.Messages[0].Sender {
		t.Error("another seed planned the same first message")
	}
}

// Report applies the simulator's rules to what a run elsewhere observed.
func TestBlueprintReport(t *testing.T) {
	sc, err := Parse([]byte(`
name: three
duration: 10s
nodes: {attendees: 3}
topology: {peers: 2}
groups: [{name: lobby}]
load: [{each: 2, paced: true, start: 2s, stop: 6s, size: 30}]
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBlueprint(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := len(b.Messages)
	o := Observed{Sent: make([]time.Duration, n), SendOK: make([]bool, n), Counters: make([]Counters, len(b.Hosts)),
		Notes: []string{"ran elsewhere"}}
	for _, m := range b.Messages {
		o.Sent[m.Index], o.SendOK[m.Index] = m.At, true
		k := 0
		for _, h := range b.Groups[m.Group].Members {
			if h == m.Sender {
				continue
			}
			k++
			// The first message reaches one member only; the others reach
			// every member, after 1 ms and 3 ms, the second by catch-up.
			if m.Index == 0 && k > 1 {
				continue
			}
			o.Deliveries = append(o.Deliveries, Delivery{Msg: m.Index, Host: h, At: m.At + time.Duration(2*k-1)*time.Millisecond, Catchup: k == 2})
		}
	}
	o.Counters[0] = Counters{BytesIn: 100, BytesOut: 50, Duplicates: 3}
	rep, err := b.Report("starling", o)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[0]
	if r.Sent != 6 || r.Expected != 12 || r.Delivered != 11 {
		t.Errorf("sent %d, expected %d, delivered %d; want 6, 12, 11", r.Sent, r.Expected, r.Delivered)
	}
	if r.FirstLatency.P50 != time.Millisecond || r.AllLatency.Count != 5 || r.AllLatency.Max != 3*time.Millisecond {
		t.Errorf("first %+v, every member %+v; want first 1 ms and five complete messages within 3 ms", r.FirstLatency, r.AllLatency)
	}
	if r.Nodes[0].BytesIn != 100 || r.Nodes[0].Duplicates != 3 {
		t.Errorf("node 0: %+v", r.Nodes[0])
	}
	var note, catchup bool
	for _, e := range r.Events {
		note = note || (e.Kind == EventRun && e.Detail == "ran elsewhere")
		catchup = catchup || (e.Kind == EventCatchup && strings.HasPrefix(e.Detail, "5 of 11"))
	}
	if !note || !catchup {
		t.Errorf("timeline lacks the note or catch-up's share: %+v", r.Events)
	}

	o.Deliveries = append(o.Deliveries, Delivery{Msg: n, Host: 0})
	if _, err := b.Report("starling", o); err == nil {
		t.Error("a delivery of an unplanned message was accepted")
	}
	o.Deliveries = o.Deliveries[:len(o.Deliveries)-1]
	o.Sent = o.Sent[1:]
	if _, err := b.Report("starling", o); err == nil {
		t.Error("observations of the wrong number of messages were accepted")
	}
}
