package shadow

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"starling/sim"
)

// MaxGraphNodes bounds the network graph. Shadow routes along direct edges
// only when the graph is complete (see class), so its edges grow with the
// square of its nodes: 1,000 nodes make 500,500 edges, a GML file of about
// 60 MB.
const MaxGraphNodes = 1000

// class is a set of hosts that one node of the network graph stands for:
// hosts of one role whose reach to every other host is the same. Hosts in a
// linked class reach each other (a LAN, a room); in an unlinked one they do
// not (attendees on client-isolated Wi-Fi).
type class struct {
	role    string
	members []int
	linked  bool
}

// classes groups the blueprint's hosts into the fewest classes that keep
// every pair's reach: hosts whose reach rows are equal, counting
// themselves (a linked class) or not (an unlinked one). Rows are exact
// bitsets, so no two hosts share a class by accident.
func classes(b *sim.Blueprint) []class {
	n := len(b.Hosts)
	words := (n + 63) / 64
	rows := make([][]uint64, n)
	for i := range n {
		rows[i] = make([]uint64, words)
		for j := range n {
			if j != i && b.Linked(i, j) {
				rows[i][j/64] |= 1 << (j % 64)
			}
		}
	}
	key := func(i int, self bool) string {
		var sb strings.Builder
		sb.WriteString(b.Hosts[i].Role)
		sb.WriteByte(0)
		for w, v := range rows[i] {
			if self && w == i/64 {
				v |= 1 << (i % 64)
			}
			sb.WriteString(strconv.FormatUint(v, 36))
			sb.WriteByte(',')
		}
		return sb.String()
	}
	var out []class
	// group puts hosts with equal keys in classes, in the order their
	// first host comes. With self, a host alone with its key is left for
	// the second pass.
	group := func(hosts []int, self bool) (left []int) {
		var order []string
		members := map[string][]int{}
		for _, i := range hosts {
			k := key(i, self)
			if _, ok := members[k]; !ok {
				order = append(order, k)
			}
			members[k] = append(members[k], i)
		}
		for _, k := range order {
			m := members[k]
			if self && len(m) < 2 {
				left = append(left, m...)
				continue
			}
			out = append(out, class{role: b.Hosts[m[0]].Role, members: m, linked: self || len(m) == 1})
		}
		return left
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	group(group(all, true), false)
	return out
}

// graph is the network graph: a node per class, and an edge between every
// two classes and from each to itself, as Shadow wants with
// use_shortest_path false.
type graph struct {
	classes []class
	classOf []int // host -> class
	latency time.Duration
	loss    float64
	b       *sim.Blueprint
}

func newGraph(b *sim.Blueprint) (*graph, error) {
	cs := classes(b)
	if len(cs) > MaxGraphNodes {
		return nil, fmt.Errorf("%w: the %s topology of %d hosts needs %d nodes in Shadow's network graph (one per set of hosts that reach the same others), more than %d: a complete graph of that many is too large",
			ErrUnsupported, b.Scenario.Topology.Kind, len(b.Hosts), len(cs), MaxGraphNodes)
	}
	g := &graph{classes: cs, classOf: make([]int, len(b.Hosts)), latency: b.Scenario.Link.Latency.D(), loss: b.Scenario.Link.Loss, b: b}
	for k, c := range cs {
		for _, i := range c.members {
			g.classOf[i] = k
		}
	}
	return g, nil
}

// reach reports whether classes a and b reach each other.
func (g *graph) reach(a, b int) bool {
	if a == b {
		return g.classes[a].linked
	}
	return g.b.Linked(g.classes[a].members[0], g.classes[b].members[0])
}

// write writes the graph in GML.
func (g *graph) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "graph [\n  directed 0\n")
	for k, c := range g.classes {
		rate := bandwidth(g.b.Scenario.Link.Bandwidth)
		if c.role == sim.RoleRelay {
			rate = bandwidth(g.b.Scenario.Link.RelayBandwidth)
		}
		fmt.Fprintf(bw, "  node [\n    id %d\n    label %q\n    host_bandwidth_down %q\n    host_bandwidth_up %q\n  ]\n",
			k, g.label(k), rate, rate)
	}
	for a := range g.classes {
		for b := a; b < len(g.classes); b++ {
			loss := g.loss
			if !g.reach(a, b) {
				loss = 1
			}
			fmt.Fprintf(bw, "  edge [\n    source %d\n    target %d\n    latency %q\n    packet_loss %s\n  ]\n",
				a, b, latency(g.latency), lossText(loss))
		}
	}
	fmt.Fprintf(bw, "]\n")
	return bw.Flush()
}

// label names a class for Shadow's logs: its role, how many hosts, and
// whether they reach each other.
func (g *graph) label(k int) string {
	c := g.classes[k]
	if len(c.members) == 1 {
		return g.b.Hosts[c.members[0]].Name
	}
	how := "who reach each other"
	if !c.linked {
		how = "who do not reach each other"
	}
	return fmt.Sprintf("%d %ss %s", len(c.members), c.role, how)
}

// bandwidth writes bits per second in Shadow's units, rounded down to a
// multiple of 8 bits as Shadow requires (at least 8).
func bandwidth(b sim.Bandwidth) string {
	v := max(int64(b)/8*8, 8)
	for _, u := range []struct {
		div  int64
		unit string
	}{{1e9, "Gbit"}, {1e6, "Mbit"}, {1e3, "Kbit"}} {
		if v%u.div == 0 {
			return fmt.Sprintf("%d %s", v/u.div, u.unit)
		}
	}
	return fmt.Sprintf("%d bit", v)
}

// latency writes a duration in Shadow's units; Shadow refuses a latency of
// 0, so it is at least 1 ns.
func latency(d time.Duration) string {
	d = max(d, time.Nanosecond)
	switch {
	case d%time.Millisecond == 0:
		return fmt.Sprintf("%d ms", d/time.Millisecond)
	case d%time.Microsecond == 0:
		return fmt.Sprintf("%d us", d/time.Microsecond)
	}
	return fmt.Sprintf("%d ns", d)
}

// lossText writes a loss share as a GML float, with a decimal point.
func lossText(p float64) string {
	s := strconv.FormatFloat(p, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
