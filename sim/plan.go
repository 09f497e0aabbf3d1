package sim

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
)

// Roles of simulated nodes, as the report names them.
const (
	RoleAttendee = "attendee"
	RoleRelay    = "relay"
)

// plan is everything a scenario and a seed decide before anything runs:
// nodes, addresses, who dials whom, memberships, every message and every
// event with its time. Both runs of a comparison (Starling and bare pubsub)
// follow the same plan, and two runs with the same seed build the same one.
type plan struct {
	sc    *Scenario
	seed  int64
	nodes []simNode // relays, then attendees, then attackers
	// honest is how many nodes are relays or attendees (the first ones).
	honest int
	relays []int
	reach  *reachability
	groups []planGroup
	msgs   []planMsg // in time order; index = planMsg.Index
	// offline lists each node's offline windows (churn, outages), sorted
	// and disjoint.
	offline [][]window
	parts   []planPartition
	attacks []planAttack
	events  []event
}

type simNode struct {
	Index int
	Name  string
	Role  string // RoleAttendee, RoleRelay, AttackSpammer or AttackSybil
	Addr  netip.AddrPort
	// Peers are the nodes this one dials at start and keeps connected.
	Peers []int
	// Relays are the relays an attendee uses (node.Config.Relays).
	Relays []int
}

type planGroup struct {
	Name, Kind string
	// Members are attendee node indexes in ascending order; Owner (a
	// member) creates a private group.
	Members []int
	Owner   int
	in      []bool // in[i]: node i is a member
}

type planMsg struct {
	Index, Group, Sender int
	At                   time.Duration
	Size                 int
	// Alert: an organiser alert from the group's owner (bare sends a text).
	Alert bool
}

type window struct{ From, To time.Duration }

type planPartition struct {
	At, Heal time.Duration
	// First marks the nodes on the first side.
	First []bool
}

type planAttack struct {
	Attacker
	Group int
	Nodes []int
}

// event is a timeline mark for the report.
type event struct {
	At           time.Duration
	Kind, Detail string
}

// rngFor returns a random source for one concern of the plan, so that
// changing, say, the load leaves the topology as it was.
func rngFor(seed int64, label string) *rand.Rand {
	return rand.New(rand.NewChaCha8(sha256.Sum256(fmt.Appendf(nil, "starling-sim/%d/%s", seed, label))))
}

// nodeSeed seeds node i's own random choices (node.Config.Seed, and the
// redial loops of a bare host in its place).
func (p *plan) nodeSeed(i int) uint64 {
	return rngFor(p.seed, "node/"+p.nodes[i].Name).Uint64()
}

// newPlan builds the plan of a validated scenario.
func newPlan(sc *Scenario, seed int64) *plan {
	p := &plan{sc: sc, seed: seed}
	p.addNodes()
	p.reach = newReachability(p)
	p.addGroups()
	p.addPeers()
	p.addRelays()
	p.schedule()
	return p
}

func (p *plan) addNodes() {
	add := func(name, role string, addr netip.AddrPort) {
		p.nodes = append(p.nodes, simNode{Index: len(p.nodes), Name: name, Role: role, Addr: addr})
	}
	for i := range p.sc.Nodes.Relays {
		p.relays = append(p.relays, len(p.nodes))
		add(fmt.Sprintf("relay-%d", i), RoleRelay, honestAddr(len(p.nodes)))
	}
	for i := range p.sc.Nodes.Attendees {
		add(fmt.Sprintf("attendee-%d", i), RoleAttendee, honestAddr(len(p.nodes)))
	}
	p.honest = len(p.nodes)
	perKind := map[string]int{}
	for j, a := range p.sc.Attackers {
		pa := planAttack{Attacker: a, Group: p.groupIndex(a.Group)}
		for k := range a.Count {
			pa.Nodes = append(pa.Nodes, len(p.nodes))
			add(fmt.Sprintf("%s-%d", a.Kind, perKind[a.Kind]), a.Kind, attackerAddr(j, k%a.IPs, k))
			perKind[a.Kind]++
		}
		p.attacks = append(p.attacks, pa)
	}
}

// honestAddr is node i's QUIC address: 10.1.0.1 onwards, port 8000.
func honestAddr(i int) netip.AddrPort {
	n := i + 1
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(1 + n>>16), byte(n >> 8), byte(n)}), 8000)
}

// attackerAddr puts attacker set j's k-th node on its ip-th address
// (10.100+j.x.y), each on its own port so that many share one address.
func attackerAddr(j, ip, k int) netip.AddrPort {
	n := ip + 1
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(100 + j), byte(n >> 8), byte(n)}), uint16(9000+k))
}

func (p *plan) attendees() []int {
	out := make([]int, 0, p.sc.Nodes.Attendees)
	for i := len(p.relays); i < p.honest; i++ {
		out = append(out, i)
	}
	return out
}

func (p *plan) isRelay(i int) bool { return i < len(p.relays) }

// WholeMargin is how long before a partition a message must have been sent
// to count as sent while the network was whole (report.Run.WholeLatency).
const WholeMargin = 10 * time.Second

// whole reports whether a message sent at t was sent while the network
// was whole: no partition standing, none beginning within WholeMargin.
func (p *plan) whole(t time.Duration) bool {
	for _, pt := range p.parts {
		if t >= pt.At-WholeMargin && t < pt.Heal {
			return false
		}
	}
	return true
}

func (p *plan) groupIndex(name string) int {
	for i, g := range p.sc.Groups {
		if g.Name == name {
			return i
		}
	}
	return -1
}

// addGroups draws each group's members from the attendees.
func (p *plan) addGroups() {
	rng := rngFor(p.seed, "groups")
	attendees := p.attendees()
	for _, g := range p.sc.Groups {
		members := sample(rng, attendees, memberCount(g, len(attendees)))
		owner := members[0]
		slices.Sort(members)
		in := make([]bool, len(p.nodes))
		for _, m := range members {
			in[m] = true
		}
		p.groups = append(p.groups, planGroup{Name: g.Name, Kind: g.Kind, Members: members, Owner: owner, in: in})
	}
}

// addRelays gives each attendee the relays it uses: all of them, or
// nodes.relays_each of them, the k-th attendee relays k·e to k·e+e-1
// (modulo their number), so that each relay serves the same share.
func (p *plan) addRelays() {
	each := p.sc.Nodes.RelaysEach
	if each <= 0 || each >= len(p.relays) {
		each = len(p.relays)
	}
	k := 0
	for i := range p.nodes {
		if p.nodes[i].Role != RoleAttendee {
			continue
		}
		if each == len(p.relays) {
			p.nodes[i].Relays = p.relays
			continue
		}
		rs := make([]int, each)
		for j := range rs {
			rs[j] = p.relays[(k*each+j)%len(p.relays)]
		}
		p.nodes[i].Relays = rs
		k++
	}
}

// addPeers chooses whom each node dials: relays dial each other; in a LAN
// or a room an attendee dials Topology.Peers reachable attendees (mDNS's
// stand-in); in a random graph it dials the neighbours it drew; behind
// isolated Wi-Fi it dials nobody but the relays (node.Config.Relays).
// Attackers dial their targets when their attack starts.
func (p *plan) addPeers() {
	for _, r := range p.relays {
		for _, o := range p.relays {
			if o > r {
				p.nodes[r].Peers = append(p.nodes[r].Peers, o)
			}
		}
	}
	rng := rngFor(p.seed, "peers")
	switch p.sc.Topology.Kind {
	case TopologyLAN, TopologyRooms:
		attendees := p.attendees()
		for _, a := range attendees {
			cands := attendees
			if p.sc.Topology.Kind == TopologyRooms {
				cands = p.reach.roommates(a)
			}
			p.nodes[a].Peers = sampleExcept(rng, cands, a, p.sc.Topology.Peers)
		}
	case TopologyRandom:
		for _, a := range p.attendees() {
			p.nodes[a].Peers = p.reach.picked[a]
		}
	}
	for _, pa := range p.attacks {
		for _, i := range pa.Nodes {
			p.nodes[i].Peers = p.reach.picked[i]
		}
	}
}

// sample returns n distinct elements of from, in random order.
func sample(rng *rand.Rand, from []int, n int) []int {
	c := slices.Clone(from)
	rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	return c[:min(n, len(c))]
}

// sampleExcept returns n distinct elements of from (ascending), other than
// self, in random order: all of them if there are no more. It takes time
// and space in proportion to n however long from is, so that thousands of
// nodes each choosing a few of thousands cost thousands of draws, not
// millions.
func sampleExcept(rng *rand.Rand, from []int, self, n int) []int {
	skip, found := slices.BinarySearch(from, self)
	size := len(from)
	if found {
		size--
	}
	out := pick(rng, size, n)
	for k, i := range out {
		if found && i >= skip {
			i++
		}
		out[k] = from[i]
	}
	return out
}

// pick returns min(k, n) distinct numbers of [0, n) in random order: the
// first k steps of a Fisher-Yates shuffle of 0..n-1, keeping only the
// positions it swapped.
func pick(rng *rand.Rand, n, k int) []int {
	k = max(min(k, n), 0)
	moved := make(map[int]int, k)
	at := func(i int) int {
		if v, ok := moved[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, k)
	for i := range out {
		j := i + rng.IntN(n-i)
		out[i] = at(j)
		moved[j] = at(i)
	}
	return out
}

// expMean draws an exponential time with the given mean.
func expMean(rng *rand.Rand, mean time.Duration) time.Duration {
	return time.Duration(rng.ExpFloat64() * float64(mean))
}

// online reports whether node i is online at t by its offline windows.
func (p *plan) online(i int, t time.Duration) bool {
	for _, w := range p.offline[i] {
		if t >= w.From && t < w.To {
			return false
		}
	}
	return true
}

// onlineAfter reports whether node i is online at some time in [t, end).
func (p *plan) onlineAfter(i int, t, end time.Duration) bool {
	for _, w := range p.offline[i] {
		if w.To <= t {
			continue
		}
		if w.From > t {
			return true
		}
		t = w.To
	}
	return t < end
}
