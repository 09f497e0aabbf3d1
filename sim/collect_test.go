package sim

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestOutcome checks the report's figures from deliveries listed in any
// order, more than once and including the sender's own: each member's
// earliest copy counts, once.
func TestOutcome(t *testing.T) {
	p := newPlan(mustParse(t, `
duration: 1m
nodes: {attendees: 4}
groups: [{name: lobby}]
load: [{each: 2, paced: true, senders: 0.25, start: 10s, stop: 20s}]
partitions: [{at: 30s, heal: 40s}]
`), 1)
	if len(p.msgs) != 2 || p.msgs[0].Sender != p.msgs[1].Sender {
		t.Fatalf("plan: %+v", p.msgs)
	}
	s := p.msgs[0].Sender
	var others []int
	for _, v := range p.groups[0].Members {
		if v != s {
			others = append(others, v)
		}
	}
	a, b, c := others[0], others[1], others[2]
	at0, at1 := p.msgs[0].At, p.msgs[1].At
	ms := time.Millisecond
	o := &outcome{p: p, sentAt: []time.Duration{at0, at1}, sent: []bool{true, true}, counters: make([]nodeCounters, p.honest),
		got: [][]delivery{
			{
				newDelivery(c, 45*time.Second, true), // after the heal, by catch-up
				newDelivery(a, at0+5*ms, false),
				newDelivery(s, at0, false), // the sender's own: not counted
				newDelivery(b, at0+3*ms, false),
				newDelivery(a, at0+ms, false), // a's earlier copy, listed later
			},
			{newDelivery(c, at1+6*ms, false), newDelivery(b, at1+4*ms, false), newDelivery(a, at1+2*ms, false)},
		}}
	r := o.run("starling")
	if r.Sent != 2 || r.Expected != 6 || r.Delivered != 6 {
		t.Errorf("sent %d, expected %d, delivered %d; want 2, 6, 6", r.Sent, r.Expected, r.Delivered)
	}
	if r.FirstLatency.P50 != ms || r.FirstLatency.Max != 2*ms {
		t.Errorf("first-member latency %+v, want 1 ms and 2 ms", r.FirstLatency)
	}
	if r.AllLatency.Count != 2 || r.AllLatency.Max != 45*time.Second-at0 || r.AllLatency.P50 != 6*ms {
		t.Errorf("every-member latency %+v, want 6 ms and %s", r.AllLatency, 45*time.Second-at0)
	}
	if len(r.Convergence) != 1 || !r.Convergence[0].Converged || r.Convergence[0].Took != 5*time.Second {
		t.Errorf("convergence %+v, want 5s after the heal", r.Convergence)
	}
	if r.Nodes[a].Delivered != 2 || r.Nodes[a].Expected != 2 || r.Nodes[s].Expected != 0 {
		t.Errorf("nodes: %+v", r.Nodes)
	}
	found := false
	for _, e := range r.Events {
		found = found || e.Kind == EventCatchup && strings.HasPrefix(e.Detail, "1 of 6 ")
	}
	if !found {
		t.Errorf("no catch-up share of 1 of 6 in %+v", r.Events)
	}

	// c never gets the second message: not every member has it, and the
	// network has not converged.
	o.got[1] = slices.DeleteFunc(o.got[1], func(d delivery) bool { return int(d.node) == c })
	r = o.run("starling")
	if r.Delivered != 5 || r.AllLatency.Count != 1 || r.Nodes[c].Delivered != 1 {
		t.Errorf("delivered %d, %d complete messages, %d at c; want 5, 1 and 1", r.Delivered, r.AllLatency.Count, r.Nodes[c].Delivered)
	}
	if r.Convergence[0].Converged {
		t.Errorf("converged without c's copy: %+v", r.Convergence)
	}
	if lat := o.completeLatencies(); lat[1] != -1 || lat[0] != 45*time.Second-at0 {
		t.Errorf("complete latencies %v", lat)
	}
}
