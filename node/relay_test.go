package node_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"starling/group"
	"starling/message"
	"starling/node"
	"starling/peering"
	"starling/relay"
)

// noDirect is a connection gater that refuses direct connections between
// its own node and the peers in blocked, as client-isolated Wi-Fi does, and
// lets relayed ones through.
type noDirect struct {
	mu      sync.Mutex
	blocked map[peer.ID]bool
}

func (g *noDirect) block(ids ...peer.ID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, id := range ids {
		g.blocked[id] = true
	}
}

func (g *noDirect) refuses(p peer.ID, a ma.Multiaddr) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.blocked[p] {
		return false
	}
	_, err := a.ValueForProtocol(ma.P_CIRCUIT)
	return err != nil // direct
}

func (g *noDirect) InterceptPeerDial(peer.ID) bool { return true }
func (g *noDirect) InterceptAddrDial(p peer.ID, a ma.Multiaddr) bool {
	return !g.refuses(p, a)
}
func (g *noDirect) InterceptAccept(network.ConnMultiaddrs) bool { return true }
func (g *noDirect) InterceptSecured(_ network.Direction, p peer.ID, c network.ConnMultiaddrs) bool {
	return !g.refuses(p, c.RemoteMultiaddr())
}
func (g *noDirect) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }

func withGater(g *noDirect) option { return func(c *node.Config) { c.ConnectionGater = g } }

func withRelay(r *testNode) option {
	return func(c *node.Config) { c.Relays = append(c.Relays, r.info()) }
}

func asRelay(acl *relay.ACL) option {
	return func(c *node.Config) {
		c.RelayService = &peering.RelayService{}
		if acl != nil { // not a typed nil in the interface
			c.RelayService.ACL = acl
		}
	}
}

// withMeshDegree sets a relay's mesh degree; put it after asRelay.
func withMeshDegree(d int) option {
	return func(c *node.Config) { c.RelayService.MeshDegree = d }
}

// waitReserved waits until tn holds a reservation on relay.
func waitReserved(t testing.TB, tn *testNode, relay peer.ID) {
	t.Helper()
	waitUntil(t, tn.name+" reserves a slot on the relay", func() bool {
		for _, r := range tn.Relays() {
			if r.ID == relay && r.Reserved {
				return true
			}
		}
		return false
	})
}

// circuitTo is tn's address through relay.
func circuitTo(relay, tn *testNode) peer.AddrInfo {
	a := relay.info().Addrs[0].Encapsulate(ma.StringCast("/p2p/" + relay.ID().String() + "/p2p-circuit"))
	return peer.AddrInfo{ID: tn.ID(), Addrs: []ma.Multiaddr{a}}
}

// Two attendees that cannot reach each other directly hold reservations on
// a relay that is not in their group, connect through it, and gossip over
// the relayed connection: the relay's circuits are not "limited", which
// GossipSub would refuse to use.
func TestGossipOverRelayedConnection(t *testing.T) {
	t.Parallel()
	virtual(t, testGossipOverRelayedConnection)
}

func testGossipOverRelayedConnection(t *testing.T) {
	r := startNode(t, "relay", asRelay(nil))
	ga, gb := &noDirect{blocked: map[peer.ID]bool{}}, &noDirect{blocked: map[peer.ID]bool{}}
	alice := startNode(t, "alice", withRelay(r), withGater(ga))
	bob := startNode(t, "bob", withRelay(r), withGater(gb))
	ga.block(bob.ID())
	gb.block(alice.ID())
	waitReserved(t, alice, r.ID())

	if err := bob.Connect(context.Background(), circuitTo(r, alice)); err != nil {
		t.Fatalf("bob connects to alice through the relay: %v", err)
	}
	for _, c := range bob.Host().Network().ConnsToPeer(alice.ID()) {
		if !isRelayed(c) {
			t.Fatalf("bob reached alice directly (%s); the gater should have refused", c.RemoteMultiaddr())
		}
	}
	alice.join(t, "hall")
	bob.join(t, "hall")
	waitTopicPeers(t, "hall", alice, bob)
	sent := map[string][]*message.Message{"hall": {alice.send(t, "hall", "over the relay"), bob.send(t, "hall", "and back")}}
	requireConverged(t, []*testNode{alice, bob}, sent)
	if n, _ := r.Count(groupID(t, "hall")); n != 0 {
		t.Fatalf("the relay stored %d messages of a group it did not join", n)
	}
}

func isRelayed(c network.Conn) bool {
	_, err := c.RemoteMultiaddr().ValueForProtocol(ma.P_CIRCUIT)
	return err == nil
}

// Under an invite ACL, a peer that joined with an invite carrying a ticket
// gets a reservation; one that joined the same group by a ticketless link
// does not, and cannot open circuits through the relay either.
func TestRelayInviteACL(t *testing.T) {
	t.Parallel()
	virtual(t, testRelayInviteACL)
}

func testRelayInviteACL(t *testing.T) {
	acl := relay.NewACL(relay.Invite, nil)
	owner := startNode(t, "owner")
	g, err := owner.CreateGroup(context.Background(), group.KindOpen, "meetup", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	r := startNode(t, "relay", asRelay(acl))
	relayAddr := r.info().Addrs[0].Encapsulate(ma.StringCast("/p2p/" + r.ID().String())).String()
	link, err := owner.Moderation().Invite(g.ID.String(), []string{relayAddr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Join(context.Background(), link); err != nil {
		t.Fatalf("relay joins: %v", err)
	}

	guest := startNode(t, "guest")
	if _, err := guest.Join(context.Background(), link); err != nil {
		t.Fatalf("guest joins: %v", err)
	}
	waitReserved(t, guest, r.ID())

	stranger := startNode(t, "stranger", withRelay(r))
	waitUntil(t, "the relay refuses the stranger", func() bool {
		res, _ := acl.Refused()
		return res > 0 || strangerRefused(stranger, r.ID())
	})
	if acl.Admitted(stranger.ID()) {
		t.Fatal("the stranger was admitted without a ticket")
	}
	for _, st := range stranger.Relays() {
		if st.Reserved {
			t.Fatal("the stranger holds a reservation")
		}
	}
	if err := stranger.Connect(context.Background(), circuitTo(r, guest)); err == nil {
		for _, c := range stranger.Host().Network().ConnsToPeer(guest.ID()) {
			if isRelayed(c) {
				t.Fatal("the stranger opened a circuit through an invite-only relay")
			}
		}
	}
}

func strangerRefused(tn *testNode, relay peer.ID) bool {
	for _, st := range tn.Relays() {
		if st.ID == relay {
			return !st.Ready && tn.connectedTo(relay)
		}
	}
	return false
}

// 2,000 connection attempts from one address do not take the relay down
// for anybody else: an attendee on another address still reserves a slot
// and exchanges messages through it while the flood runs.
//
// Not parallel: the flood would slow the other tests' nodes.
func TestRelaySurvivesConnectionFlood(t *testing.T) {
	r := startNode(t, "relay", asRelay(nil))
	r.join(t, "hall")
	addr, err := manet.ToNetAddr(r.info().Addrs[0])
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var attempts, accepted atomic.Int64
	var wg sync.WaitGroup
	conns := make(chan net.Conn, 2000)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}
			for attempts.Add(1) <= 2000 && ctx.Err() == nil {
				c, err := d.DialContext(ctx, "tcp", addr.String())
				if err != nil {
					continue
				}
				accepted.Add(1)
				conns <- c // held open, as an attacker would
			}
		}()
	}

	alice := startNode(t, "alice", withRelay(r))
	bob := startNode(t, "bob", withRelay(r))
	alice.join(t, "hall")
	bob.join(t, "hall")
	waitReserved(t, alice, r.ID())
	waitReserved(t, bob, r.ID())
	waitTopicPeers(t, "hall", alice, r)
	waitTopicPeers(t, "hall", bob, r)
	wg.Wait()
	close(conns)
	defer func() {
		for c := range conns {
			c.Close()
		}
	}()
	sent := map[string][]*message.Message{"hall": {alice.send(t, "hall", "still here"), bob.send(t, "hall", "me too")}}
	requireConverged(t, []*testNode{alice, bob, r}, sent)
	t.Logf("flood: %d attempts from 127.0.0.2, %d TCP connections accepted by the kernel", min(attempts.Load(), 2000), accepted.Load())
}
