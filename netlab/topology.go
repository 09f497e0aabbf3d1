package netlab

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
)

// publicSubnet is the lab's stand-in for the Internet: the segment that
// NATs face and a relay sits on. libp2p punches holes only from addresses
// it deems public (manet.IsPublicAddr), which rules out the private
// ranges and the documentation ones (TEST-NET-2, 198.51.100.0/24, among
// them); so this is a public range. It is lab-only: it exists on bridges
// and veths inside namespaces the lab made, which have no route to the
// machine's own interfaces, so no packet to or from it leaves the lab.
const publicSubnet = "1.2.3.0/24"

// Segment is one Ethernet: a Linux bridge (br0) in a namespace of its own,
// and the IPv4 subnet its hosts share. Hosts get addresses from .10 upward;
// .1 is kept for a NAT's inside address.
type Segment struct {
	lab     *Lab
	name    string
	ns      string
	subnet  netip.Prefix
	gateway netip.Addr // a NAT's inside address, once AddNAT ran
	next    netip.Addr // the next host address
	ports   int        // bridge ports made so far
	hosts   []*Host
	filter  filter // the nftables rules in force
}

// Host is a namespace with one interface (eth0) on a segment.
type Host struct {
	lab  *Lab
	name string
	ns   string
	seg  *Segment
	port string // its bridge port, in the segment's namespace
	addr netip.Addr
	home string
}

// NAT is a router namespace between two segments that masquerades traffic
// from the inside as its outside address and lets in only replies.
type NAT struct {
	name    string
	ns      string
	inside  netip.Addr
	outside netip.Addr
}

// AddSegment makes a bridge for the IPv4 subnet (such as "10.10.0.0/24").
func (l *Lab) AddSegment(ctx context.Context, name, subnet string) (*Segment, error) {
	p, err := netip.ParsePrefix(subnet)
	if err != nil || !p.Addr().Is4() || p.Bits() < 8 || p.Bits() > 28 || p.Masked() != p {
		return nil, fmt.Errorf("netlab: segment %s: subnet %q: want an IPv4 network such as 10.10.0.0/24", name, subnet)
	}
	ns, err := l.addNamespace(ctx, name)
	if err != nil {
		return nil, err
	}
	s := &Segment{lab: l, name: name, ns: ns, subnet: p, next: nth(p, 10)}
	if err := l.ip(ctx, ns, "link", "add", "br0", "type", "bridge"); err != nil {
		return nil, err
	}
	if err := l.ip(ctx, ns, "link", "set", "br0", "up"); err != nil {
		return nil, err
	}
	l.log.Info("segment", "name", name, "subnet", p)
	return s, nil
}

// nth returns the n-th address of a subnet.
func nth(p netip.Prefix, n int) netip.Addr {
	a := p.Addr()
	for range n {
		a = a.Next()
	}
	return a
}

// plug makes a veth pair from interface ifname in namespace ns to a new port
// of the segment's bridge, gives it addr and brings both ends up.
func (s *Segment) plug(ctx context.Context, ns, ifname string, addr netip.Addr) (port string, err error) {
	s.ports++
	port = fmt.Sprintf("p%d", s.ports)
	l := s.lab
	steps := [][]string{
		{ns, "link", "add", ifname, "type", "veth", "peer", "name", port, "netns", s.ns},
		{s.ns, "link", "set", port, "master", "br0", "up"},
		{ns, "addr", "add", netip.PrefixFrom(addr, s.subnet.Bits()).String(), "dev", ifname},
		{ns, "link", "set", ifname, "up"},
	}
	for _, st := range steps {
		if err := l.ip(ctx, st[0], st[1:]...); err != nil {
			return "", err
		}
	}
	return port, nil
}

// allocate returns the next free host address.
func (s *Segment) allocate() (netip.Addr, error) {
	a := s.next
	if !s.subnet.Contains(a) || !s.subnet.Contains(a.Next()) {
		return netip.Addr{}, fmt.Errorf("netlab: segment %s: subnet %s is full", s.name, s.subnet)
	}
	s.next = a.Next()
	return a, nil
}

// AddHost makes a host on the segment with the next free address. Its route
// is the segment's NAT when it has one, else only 224.0.0.0/4 on eth0 (a
// namespace without a default route needs that for mDNS).
func (s *Segment) AddHost(ctx context.Context, name string) (*Host, error) {
	addr, err := s.allocate()
	if err != nil {
		return nil, err
	}
	return s.addHost(ctx, name, addr)
}

// AddHostAt is AddHost at a chosen address of the segment's subnet, for
// hosts whose addresses were decided elsewhere (a Shadow export). Mixing it
// with AddHost on one segment is the caller's to keep apart.
func (s *Segment) AddHostAt(ctx context.Context, name string, addr netip.Addr) (*Host, error) {
	if !s.subnet.Contains(addr) || addr == s.subnet.Addr() || !s.subnet.Contains(addr.Next()) || addr == s.gateway {
		return nil, fmt.Errorf("netlab: host %s at %s: want an address inside %s, neither its first nor its last nor its NAT's", name, addr, s.subnet)
	}
	for _, h := range s.hosts {
		if h.addr == addr {
			return nil, fmt.Errorf("netlab: host %s at %s: %s has that address", name, addr, h.name)
		}
	}
	return s.addHost(ctx, name, addr)
}

func (s *Segment) addHost(ctx context.Context, name string, addr netip.Addr) (*Host, error) {
	l := s.lab
	ns, err := l.addNamespace(ctx, name)
	if err != nil {
		return nil, err
	}
	port, err := s.plug(ctx, ns, "eth0", addr)
	if err != nil {
		return nil, err
	}
	route := []string{"route", "add", "224.0.0.0/4", "dev", "eth0"}
	if s.gateway.IsValid() {
		route = []string{"route", "add", "default", "via", s.gateway.String()}
	}
	if err := l.ip(ctx, ns, route...); err != nil {
		return nil, err
	}
	h := &Host{lab: l, name: name, ns: ns, seg: s, port: port, addr: addr, home: filepath.Join(l.work, "homes", name)}
	s.hosts = append(s.hosts, h)
	l.log.Info("host", "name", name, "segment", s.name, "addr", addr)
	return h, nil
}

// Name is the host's name in the lab.
func (h *Host) Name() string { return h.name }

// Namespace is the host's network namespace.
func (h *Host) Namespace() string { return h.ns }

// Addr is the host's address on its segment.
func (h *Host) Addr() netip.Addr { return h.addr }

// Home is the host's Starling home directory.
func (h *Host) Home() string { return h.home }

// AddNAT makes a router between inside and outside: .1 on the inside
// becomes the default route of the inside hosts added after it, and traffic
// leaving through the outside is masqueraded as the router's outside
// address. Connections from the outside in are dropped, as at a venue's NAT.
// Add it before the hosts behind it.
func (l *Lab) AddNAT(ctx context.Context, name string, inside, outside *Segment) (*NAT, error) {
	if len(inside.hosts) > 0 || inside.gateway.IsValid() {
		return nil, fmt.Errorf("netlab: NAT %s: segment %s already has hosts or a NAT; add the NAT first", name, inside.name)
	}
	out, err := outside.allocate()
	if err != nil {
		return nil, err
	}
	ns, err := l.addNamespace(ctx, name)
	if err != nil {
		return nil, err
	}
	n := &NAT{name: name, ns: ns, inside: nth(inside.subnet, 1), outside: out}
	if _, err := inside.plug(ctx, ns, "in0", n.inside); err != nil {
		return nil, err
	}
	if _, err := outside.plug(ctx, ns, "out0", n.outside); err != nil {
		return nil, err
	}
	// /proc/sys/net belongs to the namespace of the process that writes it.
	if err := l.inNS(ctx, ns, "", "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"); err != nil {
		return nil, err
	}
	if err := l.inNS(ctx, ns, natRules, "nft", "-f", "-"); err != nil {
		return nil, err
	}
	inside.gateway = n.inside
	l.log.Info("nat", "name", name, "inside", netip.PrefixFrom(n.inside, inside.subnet.Bits()), "outside", n.outside)
	return n, nil
}

// natRules masquerade what leaves through out0 and let in from the outside
// only what answers a connection made from the inside.
//
// Whatever else arrives on out0 is dropped in prerouting, as a router's
// firewall drops it on its WAN side, before conntrack records it: a
// recorded flow from a peer's NAT to this one's outside address would take
// the very port mapping an inside host is about to make towards that peer
// (masquerade then picks another source port), which is exactly what two
// peers punching holes at the same moment run into.
const natRules = `table ip netlab {
	chain prerouting {
		type filter hook prerouting priority 0; policy accept;
		iifname "out0" ct state new,invalid drop
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		oifname "out0" masquerade
	}
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		iifname "in0" oifname "out0" accept
	}
}
`

// Outside is the NAT's address on its outside segment: what hosts there see
// as the source of the inside's traffic.
func (n *NAT) Outside() netip.Addr { return n.outside }
