package streamnet

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	ic "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ttransport "github.com/libp2p/go-libp2p/p2p/transport/testsuite"
)

// newTransport is host handle's transport at addr, made as the libp2p
// option makes it, with no resource limits and no gater.
func newTransport(t *testing.T, n *Network, handle int, addr netip.AddrPort, bps int) *transport {
	t.Helper()
	key, _, err := ic.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &transport{n: n, ep: n.endpoint(handle, addr, bps), id: id, key: key.GetPublic(),
		addr: Multiaddr(addr), rcmgr: &network.NullResourceManager{}}
}

// TestLibp2pSuite runs go-libp2p's own transport test suite (connections,
// streams, half-closes, resets, cancelled dials, stress) on virtual time.
// It listens on port 0, as go-libp2p runs it for TCP and QUIC: the stress
// subtests listen once for each connection, at once, and on one fixed port
// a dial could reach another connection's listener, whose close ended it.
func TestLibp2pSuite(t *testing.T) {
	for _, f := range ttransport.Subtests {
		t.Run(name(f), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := New(Config{BaseLatency: 2 * time.Millisecond})
				ta := newTransport(t, n, 1, netip.MustParseAddrPort("10.0.0.1:4001"), 100_000_000)
				tb := newTransport(t, n, 2, netip.MustParseAddrPort("10.0.0.2:4001"), 100_000_000)
				f(t, ta, tb, Multiaddr(netip.MustParseAddrPort("10.0.0.1:0")), ta.id)
			})
		})
	}
}
