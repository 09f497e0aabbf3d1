package sim

import (
	"math/rand/v2"
	"slices"
)

// reachability is the topology: which pairs of nodes could exchange packets
// if both were online and no partition stood between them. It is fixed for
// a run and read for every packet, so it is plain data behind no lock.
type reachability struct {
	kind   string
	relays int // nodes 0..relays-1 are relays, which reach everyone
	// rooms lists each node's rooms, and members each room's attendees in
	// ascending order (rooms topology).
	rooms, members [][]int
	// adj is the neighbour bitset of each node (random topology, and every
	// attacker's targets).
	adj [][]uint64
	// picked lists, per node, the neighbours it chose itself: the ones it
	// dials (random topology and attackers).
	picked [][]int
}

func newReachability(p *plan) *reachability {
	r := &reachability{kind: p.sc.Topology.Kind, relays: len(p.relays)}
	n := len(p.nodes)
	r.adj = make([][]uint64, n)
	r.picked = make([][]int, n)
	rng := rngFor(p.seed, "topology")
	switch r.kind {
	case TopologyRooms:
		r.placeInRooms(p, rng)
	case TopologyRandom:
		r.randomGraph(p, rng)
	}
	r.placeAttackers(p, rng)
	return r
}

// placeInRooms spreads the attendees over the rooms evenly, then makes
// Bridges attendees of each pair of neighbouring rooms members of both.
func (r *reachability) placeInRooms(p *plan, rng *rand.Rand) {
	rooms := p.sc.Topology.Rooms
	r.rooms = make([][]int, len(p.nodes))
	order := sample(rng, p.attendees(), p.sc.Nodes.Attendees)
	in := make([][]int, rooms) // each room's attendees, in order
	for k, a := range order {
		r.rooms[a] = []int{k % rooms}
		in[k%rooms] = append(in[k%rooms], a)
	}
	for room := range rooms - 1 {
		for _, a := range sample(rng, in[room], *p.sc.Topology.Bridges) {
			r.rooms[a] = append(r.rooms[a], room+1)
		}
	}
	r.members = make([][]int, rooms)
	for _, a := range p.attendees() {
		for _, x := range r.rooms[a] {
			r.members[x] = append(r.members[x], a)
		}
	}
}

// roommates lists, in ascending order, the attendees that share a room
// with attendee a, a among them (rooms topology).
func (r *reachability) roommates(a int) []int {
	if len(r.rooms[a]) == 1 {
		return r.members[r.rooms[a][0]]
	}
	var out []int
	for _, x := range r.rooms[a] {
		out = append(out, r.members[x]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// randomGraph gives each attendee about Degree neighbours: each picks half
// of them at random, and links are both ways.
func (r *reachability) randomGraph(p *plan, rng *rand.Rand) {
	attendees := p.attendees()
	picks := (p.sc.Topology.Degree + 1) / 2
	for _, a := range attendees {
		for _, b := range sampleExcept(rng, attendees, a, picks) {
			r.link(a, b)
			r.picked[a] = append(r.picked[a], b)
		}
	}
}

// placeAttackers gives each attacker its targets: honest nodes it can
// reach. Behind isolated Wi-Fi those are the relays; in rooms, the relays
// and the attendees of a random room; in a random graph the targets become
// its neighbours.
func (r *reachability) placeAttackers(p *plan, rng *rand.Rand) {
	honest := make([]int, p.honest)
	for h := range honest {
		honest[h] = h
	}
	var inRoom [][]int // relays and each room's attendees, ascending
	for _, pa := range p.attacks {
		for _, i := range pa.Nodes {
			cands := honest
			switch r.kind {
			case TopologyIsolated:
				cands = honest[:r.relays]
			case TopologyRooms:
				if inRoom == nil {
					inRoom = make([][]int, p.sc.Topology.Rooms)
					for x, m := range r.members {
						inRoom[x] = append(slices.Clone(honest[:r.relays]), m...)
					}
				}
				room := rng.IntN(p.sc.Topology.Rooms)
				r.rooms[i] = []int{room}
				cands = inRoom[room]
			}
			for _, h := range sampleExcept(rng, cands, -1, pa.Targets) {
				r.link(i, h)
				r.picked[i] = append(r.picked[i], h)
			}
			slices.Sort(r.picked[i])
		}
	}
}

func (r *reachability) link(a, b int) {
	set := func(x, y int) {
		if r.adj[x] == nil {
			r.adj[x] = make([]uint64, (len(r.adj)+63)/64)
		}
		r.adj[x][y/64] |= 1 << (y % 64)
	}
	set(a, b)
	set(b, a)
}

func (r *reachability) adjacent(a, b int) bool {
	return r.adj[a] != nil && r.adj[a][b/64]&(1<<(b%64)) != 0
}

// linked reports whether a and b can reach each other in the topology.
func (r *reachability) linked(a, b int) bool {
	if a == b || a < r.relays || b < r.relays || r.adjacent(a, b) {
		return true
	}
	switch r.kind {
	case TopologyIsolated, TopologyRandom:
		return false
	case TopologyRooms:
		for _, x := range r.rooms[a] {
			if slices.Contains(r.rooms[b], x) {
				return true
			}
		}
		return false
	}
	return true // lan
}
