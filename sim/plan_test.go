package sim

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

func mustParse(t *testing.T, yaml string) *Scenario {
	t.Helper()
	sc, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// comparable strips what two plans of one scenario may not share: the
// reachability's and groups' internals are compared separately.
func planSummary(p *plan) any {
	return struct {
		Nodes   []simNode
		Msgs    []planMsg
		Offline [][]window
		Events  []event
		Members [][]int
		Sides   [][]bool
	}{p.nodes, p.msgs, p.offline, p.events, groupMembers(p), partitionSides(p)}
}

func groupMembers(p *plan) [][]int {
	var out [][]int
	for _, g := range p.groups {
		out = append(out, g.Members)
	}
	return out
}

func partitionSides(p *plan) [][]bool {
	var out [][]bool
	for _, pt := range p.parts {
		out = append(out, pt.First)
	}
	return out
}

const faultsYAML = `
duration: 3m
nodes: {attendees: 40, relays: 2}
topology: {kind: lan, peers: 4}
groups: [{name: lobby}, {name: team, kind: private, members: 0.25}]
load: [{group: lobby, rate: 2}, {group: team, each: 3}]
churn: {share: 0.5, mean_online: 30s, mean_offline: 10s}
partitions: [{at: 1m, heal: 1m30s}]
outages: [{relay: 1, at: 20s, until: 40s}]
attackers: [{kind: sybil, count: 5, ips: 2}]
`

func TestPlanRepeatsPerSeed(t *testing.T) {
	sc := mustParse(t, faultsYAML)
	a, b := newPlan(sc, 7), newPlan(sc, 7)
	if !reflect.DeepEqual(planSummary(a), planSummary(b)) || !reflect.DeepEqual(a.reach, b.reach) {
		t.Error("two plans of one scenario and seed differ")
	}
	if c := newPlan(sc, 8); reflect.DeepEqual(planSummary(a), planSummary(c)) {
		t.Error("plans of seeds 7 and 8 are the same")
	}
}

func TestPlanNodes(t *testing.T) {
	p := newPlan(mustParse(t, faultsYAML), 1)
	if len(p.nodes) != 47 || p.honest != 42 || len(p.relays) != 2 {
		t.Fatalf("%d nodes, %d honest, %d relays; want 47, 42, 2", len(p.nodes), p.honest, len(p.relays))
	}
	seen := map[string]bool{}
	for i, n := range p.nodes {
		if n.Index != i || seen[n.Addr.String()] {
			t.Errorf("node %d: index %d, address %s (seen: %v)", i, n.Index, n.Addr, seen[n.Addr.String()])
		}
		seen[n.Addr.String()] = true
	}
	// Five sybils on two addresses: ports tell them apart.
	ips := map[string]bool{}
	for _, i := range p.attacks[0].Nodes {
		ips[p.nodes[i].Addr.Addr().String()] = true
	}
	if len(ips) != 2 {
		t.Errorf("sybils use %d addresses, want 2", len(ips))
	}
	for _, g := range p.groups {
		for _, m := range g.Members {
			if p.nodes[m].Role != RoleAttendee || !g.in[m] {
				t.Errorf("group %s has member %s (%s)", g.Name, p.nodes[m].Name, p.nodes[m].Role)
			}
		}
		if !slices.Contains(g.Members, g.Owner) {
			t.Errorf("group %s's owner is no member", g.Name)
		}
	}
	if got := len(p.groups[1].Members); got != 10 {
		t.Errorf("team has %d members, want a quarter of 40", got)
	}
}

func TestPlanLoad(t *testing.T) {
	p := newPlan(mustParse(t, faultsYAML), 1)
	perSender := map[int]int{}
	for i, m := range p.msgs {
		if m.Index != i || (i > 0 && m.At < p.msgs[i-1].At) {
			t.Fatalf("message %d: index %d at %s, out of order", i, m.Index, m.At)
		}
		if m.At < 15*time.Second || m.At >= 150*time.Second {
			t.Errorf("message %d at %s, outside load's 15s..2m30s", i, m.At)
		}
		if !p.groups[m.Group].in[m.Sender] {
			t.Errorf("message %d's sender is not in its group", i)
		}
		if m.Group == 1 {
			perSender[m.Sender]++
		}
	}
	if len(perSender) != 10 {
		t.Errorf("%d team members sent, want all 10", len(perSender))
	}
	for s, n := range perSender {
		if n != 3 {
			t.Errorf("%s sent %d team messages, want each: 3", p.nodes[s].Name, n)
		}
	}
	// 2 a second for 135 s: a Poisson count far from 270 means a bug.
	if lobby := len(p.msgs) - 30; lobby < 200 || lobby > 340 {
		t.Errorf("%d lobby messages, want about 270", lobby)
	}
}

// TestPlanPaced checks that a paced load sends one message at a time,
// evenly spaced, each sender's in a row and senders in node order.
func TestPlanPaced(t *testing.T) {
	sc := mustParse(t, "duration: 1m\nnodes: {attendees: 4}\ngroups: [{name: a}]\nload: [{each: 3, paced: true, start: 10s, stop: 22s}]\n")
	p := newPlan(sc, 1)
	if len(p.msgs) != 12 {
		t.Fatalf("%d messages, want 4 senders × 3", len(p.msgs))
	}
	for i, m := range p.msgs {
		if want := 10*time.Second + time.Duration(i)*time.Second; m.At != want {
			t.Errorf("message %d at %s, want %s", i, m.At, want)
		}
		if want := p.attendees()[i/3]; m.Sender != want {
			t.Errorf("message %d from %s, want %s", i, p.nodes[m.Sender].Name, p.nodes[want].Name)
		}
	}
}

func TestPlanOffline(t *testing.T) {
	p := newPlan(mustParse(t, faultsYAML), 1)
	churning := 0
	for i, ws := range p.offline {
		for k, w := range ws {
			if w.From >= w.To || w.To > 3*time.Minute || (k > 0 && w.From <= ws[k-1].To) {
				t.Errorf("%s: bad windows %v", p.nodes[i].Name, ws)
			}
		}
		if len(ws) > 0 && p.nodes[i].Role == RoleAttendee {
			churning++
		}
	}
	if churning != 20 {
		t.Errorf("%d attendees churn, want half of 40", churning)
	}
	relay := p.relays[1]
	if p.online(relay, 30*time.Second) || !p.online(relay, 40*time.Second) || !p.online(relay, 19*time.Second) {
		t.Errorf("relay-1's outage 20s..40s is not in its windows %v", p.offline[relay])
	}
}

func TestOnlineAfter(t *testing.T) {
	p := &plan{offline: [][]window{{{10, 20}, {30, 100}}}}
	for _, tc := range []struct {
		t    time.Duration
		want bool
	}{{0, true}, {10, true}, {15, true}, {25, true}, {30, false}, {99, false}} {
		if got := p.onlineAfter(0, tc.t, 100); got != tc.want {
			t.Errorf("onlineAfter(%d) = %v, want %v", tc.t, got, tc.want)
		}
	}
}

func TestMergeWindows(t *testing.T) {
	got := mergeWindows([]window{{30, 40}, {0, 10}, {5, 20}, {40, 50}})
	want := []window{{0, 20}, {30, 50}}
	if !slices.Equal(got, want) {
		t.Errorf("mergeWindows = %v, want %v", got, want)
	}
}

func TestPartitionSides(t *testing.T) {
	p := newPlan(mustParse(t, faultsYAML), 1)
	pt := p.parts[0]
	if !pt.First[p.relays[0]] || pt.First[p.relays[1]] {
		t.Error("the two relays are not on opposite sides")
	}
	a, b := -1, -1
	for i := range p.honest {
		if pt.First[i] && a < 0 {
			a = i
		}
		if !pt.First[i] && b < 0 {
			b = i
		}
	}
	if !p.separated(a, b, 70*time.Second) || p.separated(a, b, 50*time.Second) || p.separated(a, b, 90*time.Second) {
		t.Error("separated does not follow the partition's 1m..1m30s")
	}
}

func TestTopologies(t *testing.T) {
	base := "duration: 2m\nnodes: {attendees: 30, relays: 1}\ngroups: [{name: a}]\n"
	t.Run("isolated", func(t *testing.T) {
		p := newPlan(mustParse(t, base+"topology: {kind: isolated}\nattackers: [{kind: spammer, targets: 5}]\n"), 1)
		for _, a := range p.attendees() {
			if len(p.nodes[a].Peers) != 0 {
				t.Errorf("%s dials %v; behind isolated Wi-Fi attendees dial only relays", p.nodes[a].Name, p.nodes[a].Peers)
			}
			if !p.reach.linked(a, p.relays[0]) || p.reach.linked(a, p.attendees()[0]) != (a == p.attendees()[0]) {
				t.Errorf("%s: wrong reachability", p.nodes[a].Name)
			}
		}
		spammer := p.attacks[0].Nodes[0]
		if peers := p.nodes[spammer].Peers; !slices.Equal(peers, p.relays) {
			t.Errorf("isolated spammer dials %v, want the relay only", peers)
		}
	})
	t.Run("lan", func(t *testing.T) {
		p := newPlan(mustParse(t, base+"topology: {peers: 5}\n"), 1)
		for _, a := range p.attendees() {
			if n := len(p.nodes[a].Peers); n != 5 || slices.Contains(p.nodes[a].Peers, a) {
				t.Errorf("%s dials %v, want 5 others", p.nodes[a].Name, p.nodes[a].Peers)
			}
		}
	})
	t.Run("rooms", func(t *testing.T) {
		p := newPlan(mustParse(t, base+"topology: {kind: rooms, rooms: 3, bridges: 2, peers: 3}\n"), 1)
		bridges := 0
		for _, a := range p.attendees() {
			if len(p.reach.rooms[a]) == 2 {
				bridges++
			}
			for _, b := range p.nodes[a].Peers {
				if !p.reach.linked(a, b) {
					t.Errorf("%s dials %s in another room", p.nodes[a].Name, p.nodes[b].Name)
				}
			}
		}
		if bridges != 4 {
			t.Errorf("%d bridges, want 2 for each of 2 pairs of rooms", bridges)
		}
	})
	t.Run("random", func(t *testing.T) {
		p := newPlan(mustParse(t, base+"topology: {kind: random, degree: 4}\n"), 1)
		edges := 0
		for _, a := range p.attendees() {
			for _, b := range p.attendees() {
				if a != b && p.reach.linked(a, b) {
					edges++
				}
			}
			for _, b := range p.nodes[a].Peers {
				if !p.reach.linked(b, a) {
					t.Errorf("link %s-%s is one-way", p.nodes[a].Name, p.nodes[b].Name)
				}
			}
		}
		if mean := float64(edges) / 30; mean < 3 || mean > 4 {
			t.Errorf("mean degree %.1f, want about 4", mean)
		}
	})
}

// TestSampleExcept checks the peers' draw: distinct elements of the list
// other than self, all of them when there are too few, and each as likely.
func TestSampleExcept(t *testing.T) {
	rng := rngFor(1, "test")
	from := []int{3, 5, 8, 13, 21, 34}
	for range 200 {
		got := sampleExcept(rng, from, 13, 3)
		if len(got) != 3 || slices.Contains(got, 13) {
			t.Fatalf("sampleExcept(.., 13, 3) = %v", got)
		}
		for _, x := range got {
			if !slices.Contains(from, x) {
				t.Fatalf("%d is not in the list", x)
			}
		}
		if s := slices.Sorted(slices.Values(got)); len(slices.Compact(s)) != 3 {
			t.Fatalf("%v repeats", got)
		}
	}
	all := sampleExcept(rng, from, 8, 10)
	slices.Sort(all)
	if !slices.Equal(all, []int{3, 5, 13, 21, 34}) {
		t.Errorf("asking for more than there are gave %v", all)
	}
	if got := sampleExcept(rng, from, 4, 6); len(got) != 6 {
		t.Errorf("self not in the list: %v, want all six", got)
	}
	if got := sampleExcept(rng, nil, 1, 3); len(got) != 0 {
		t.Errorf("from nothing: %v", got)
	}
	count := map[int]int{}
	for range 6000 {
		for _, x := range sampleExcept(rng, from, 34, 2) {
			count[x]++
		}
	}
	for _, x := range from[:5] {
		if c := count[x]; c < 2100 || c > 2700 { // 2,400 expected
			t.Errorf("%d drawn %d times of 12,000 draws, want about 2,400", x, c)
		}
	}
}

// TestAttackerTargets checks that attackers dial honest nodes they can
// reach, in each topology.
func TestAttackerTargets(t *testing.T) {
	base := "duration: 2m\nnodes: {attendees: 40, relays: 2}\ngroups: [{name: a}]\nattackers: [{kind: sybil, count: 6, targets: 5}]\n"
	for _, kind := range []string{"lan", "isolated", "rooms", "random"} {
		p := newPlan(mustParse(t, base+"topology: {kind: "+kind+", rooms: 4}\n"), 1)
		for _, i := range p.attacks[0].Nodes {
			want := 5
			if kind == "isolated" {
				want = 2
			}
			peers := p.nodes[i].Peers
			if len(peers) != want {
				t.Errorf("%s: %s dials %v, want %d honest nodes", kind, p.nodes[i].Name, peers, want)
			}
			for _, h := range peers {
				if h >= p.honest || !p.reach.linked(i, h) {
					t.Errorf("%s: %s dials %s, which it cannot reach", kind, p.nodes[i].Name, p.nodes[h].Name)
				}
			}
		}
	}
}

func TestWhole(t *testing.T) {
	p := &plan{parts: []planPartition{{At: time.Minute, Heal: 100 * time.Second}}}
	for _, c := range []struct {
		sent  time.Duration
		whole bool
	}{
		{0, true}, {49 * time.Second, true}, {50 * time.Second, false}, {time.Minute, false},
		{99 * time.Second, false}, {100 * time.Second, true}, {3 * time.Minute, true},
	} {
		if got := p.whole(c.sent); got != c.whole {
			t.Errorf("sent at %s: whole %v, want %v", c.sent, got, c.whole)
		}
	}
}
