package peering

import (
	"testing"

	pstore "github.com/libp2p/go-libp2p/core/peerstore"
	pt "github.com/libp2p/go-libp2p/p2p/host/peerstore/test"
)

// TestPeerstoreSuite runs libp2p's own peerstore tests, which pstoremem
// passes, against the node's lighter peerstore.
func TestPeerstoreSuite(t *testing.T) {
	pt.TestPeerstore(t, func() (pstore.Peerstore, func()) {
		ps := newPeerstore()
		return ps, func() { ps.Close() }
	})
	pt.TestKeyBook(t, func() (pstore.KeyBook, func()) {
		ps := newPeerstore()
		return ps, func() { ps.Close() }
	})
	ps := newPeerstore()
	defer ps.Close()
	pt.TestPeerstoreProtoStoreLimits(t, ps, maxProtocols)
}
