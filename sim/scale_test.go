package sim

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"starling/sim/report"
)

// The simulator's own work at 10,000 nodes, without running a node: the
// plan of each topology, and the report of a synthetic hall10k run in which
// every member of every group gets every message (testdata/hall10k.yaml,
// with the hall's load raised to about 500 messages: 5 million deliveries).
//
//	go test ./sim -run '^$' -bench 'Plan10k|Outcome10k' -benchmem -benchtime 1x

// hall10k reads testdata/hall10k.yaml at full size.
func hall10k(tb testing.TB) *Scenario {
	tb.Helper()
	sc, err := ReadFile("testdata/hall10k.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

func BenchmarkPlan10k(b *testing.B) {
	for _, kind := range []string{TopologyIsolated, TopologyLAN, TopologyRooms, TopologyRandom} {
		b.Run(kind, func(b *testing.B) {
			sc := hall10k(b)
			sc.Topology.Kind = kind
			sc.Churn = &Churn{Share: 0.2, MeanOnline: Duration(time.Minute), MeanOffline: Duration(20 * time.Second), Stop: Duration(4 * time.Minute)}
			sc.Attackers = []Attacker{{Kind: AttackSybil, Count: 200, Mode: ModeBlackhole, Group: "hall", Rate: 50, Size: 100, Targets: 8, IPs: 1,
				Start: Duration(30 * time.Second), Stop: Duration(4 * time.Minute)}}
			if err := sc.validate(); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				newPlan(sc, 1)
			}
		})
	}
}

// syntheticOutcome is a run of p in which every expected member got every
// message, a few milliseconds to a minute after it was sent, 5 % of them by
// catch-up.
func syntheticOutcome(p *plan) *outcome {
	rng := rand.New(rand.NewPCG(1, 2))
	o := &outcome{p: p, sentAt: make([]time.Duration, len(p.msgs)), sent: make([]bool, len(p.msgs)), got: make([][]delivery, len(p.msgs))}
	for _, m := range p.msgs {
		o.sentAt[m.Index], o.sent[m.Index] = m.At, true
		members := p.groups[m.Group].Members
		ds := make([]delivery, 0, len(members)-1)
		for _, v := range members {
			if v == m.Sender {
				continue
			}
			lat := time.Duration(rng.ExpFloat64() * float64(30*time.Millisecond))
			catchup := rng.IntN(20) == 0
			if catchup {
				lat += time.Duration(rng.Int64N(int64(time.Minute)))
			}
			ds = append(ds, newDelivery(v, m.At+lat, catchup))
		}
		o.got[m.Index] = ds
	}
	for range p.honest {
		o.counters = append(o.counters, nodeCounters{bytesIn: rng.Int64N(1e8), bytesOut: rng.Int64N(1e8), duplicates: rng.Int64N(1e4)})
	}
	return o
}

type countWriter int

func (c *countWriter) Write(b []byte) (int, error) {
	*c += countWriter(len(b))
	return len(b), nil
}

// hall10kPlan is hall10k's plan with about 500 messages in the hall.
func hall10kPlan(tb testing.TB) *plan {
	sc := hall10k(tb)
	sc.Load[0].Rate = 500 / (sc.Load[0].Stop.D() - sc.Load[0].Start.D()).Seconds()
	if err := sc.validate(); err != nil {
		tb.Fatal(err)
	}
	return newPlan(sc, sc.Seed)
}

func BenchmarkOutcome10k(b *testing.B) {
	p := hall10kPlan(b)
	before := heapInUse()
	o := syntheticOutcome(p)
	held := heapInUse() - before
	records := 0
	for _, ds := range o.got {
		records += len(ds)
	}
	var r report.Run
	for b.Loop() {
		r = o.run("starling")
		if r.Delivered != records {
			b.Fatalf("delivered %d of %d", r.Delivered, records)
		}
	}
	runtime.KeepAlive(o)
	r.Derive()
	rep := &report.Report{Scenario: p.sc.Name, Seed: 1, Nodes: len(p.nodes), SimDuration: p.sc.Duration.D(), Runs: []report.Run{r}}
	var html, js countWriter
	if err := report.WriteHTML(&html, rep); err != nil {
		b.Fatal(err)
	}
	if err := report.WriteJSON(&js, rep); err != nil {
		b.Fatal(err)
	}
	// After the loop, which drops metrics reported before it.
	b.ReportMetric(float64(held)/float64(records), "B/record")
	b.ReportMetric(float64(records), "records")
	b.ReportMetric(float64(html), "html-bytes")
	b.ReportMetric(float64(js), "json-bytes")
}

// TestHall10kPlan checks the 10,000-attendee hall's plan: its nodes,
// groups, load and partition (BenchmarkPlan10k times it).
func TestHall10kPlan(t *testing.T) {
	sc := hall10k(t)
	p := newPlan(sc, sc.Seed)
	if len(p.nodes) != 10_008 || len(p.relays) != 8 || p.honest != 10_008 {
		t.Fatalf("%d nodes, %d relays, %d honest; want 10,008, 8, 10,008", len(p.nodes), len(p.relays), p.honest)
	}
	served := map[int]int{}
	for _, n := range p.nodes {
		if n.Role != RoleAttendee {
			continue
		}
		if len(n.Relays) != 3 || n.Relays[0] == n.Relays[1] || n.Relays[1] == n.Relays[2] || n.Relays[0] == n.Relays[2] {
			t.Fatalf("%s uses relays %v, want three different ones", n.Name, n.Relays)
		}
		for _, r := range n.Relays {
			served[r]++
		}
	}
	for r, k := range served {
		if k != 3750 {
			t.Errorf("relay %d serves %d attendees, want 3,750", r, k)
		}
	}
	want := map[string]int{"hall": 10_000, "speakers": 100, "crew": 200, "press": 50, "volunteers": 300}
	for _, g := range p.groups {
		if len(g.Members) != want[g.Name] {
			t.Errorf("group %s has %d members, want %d", g.Name, len(g.Members), want[g.Name])
		}
	}
	perGroup := map[int]int{}
	for _, m := range p.msgs {
		perGroup[m.Group]++
	}
	// One message a second for 120 s in the hall: a Poisson count.
	if n := perGroup[0]; n < 90 || n > 150 {
		t.Errorf("%d messages in the hall, want about 120", n)
	}
	if len(p.parts) != 1 {
		t.Fatalf("%d partitions", len(p.parts))
	}
	first := 0
	for _, f := range p.parts[0].First {
		if f {
			first++
		}
	}
	if first < 4500 || first > 5500 {
		t.Errorf("%d of 10,008 nodes on the partition's first side, want about half", first)
	}
}

func BenchmarkKeys10k(b *testing.B) {
	p := newPlan(hall10k(b), 1)
	for b.Loop() {
		if _, err := allKeys(p); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHall10kSmall runs the 10,000-attendee hall at 20 attendees (its
// eight relays, five groups and partition as they are): everything is
// delivered, the network converges after the heal, and catch-up's bytes
// are counted.
func TestHall10kSmall(t *testing.T) {
	sc, err := hall10k(t).Scaled(0.002)
	if err != nil {
		t.Fatal(err)
	}
	run := runVirtual(t, sc, Options{}).Runs[0]
	if run.Sent == 0 || run.DeliveryRatio < report.TargetDeliveryRatio {
		t.Errorf("sent %d, delivered %d of %d", run.Sent, run.Delivered, run.Expected)
	}
	if c := run.Convergence; len(c) != 1 || !c[0].Converged {
		t.Errorf("convergence after the heal: %+v", c)
	}
	// The messages sent while the network was whole reach every member
	// in moments, those of the partition only after the heal.
	if w := run.WholeLatency; w.Count == 0 || w.P99 > 10*time.Second || w.Count >= run.AllLatency.Count {
		t.Errorf("every-member latency with the network whole: %+v (all: %+v)", w, run.AllLatency)
	}
	if run.Catchup.Sessions > 0 && run.Catchup.Bytes == 0 {
		t.Errorf("%d catch-up sessions and 0 bytes of catch-up", run.Catchup.Sessions)
	}
	if len(run.Nodes) != 28 {
		t.Errorf("%d nodes in the report, want 28", len(run.Nodes))
	}
}
