package peering

import (
	"slices"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
	pstore "github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/core/protocol"
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

// TestProtoSetsShared: peers that announce the same protocols, in any
// order, share one set, and a set no peer holds any more is forgotten.
func TestProtoSetsShared(t *testing.T) {
	pb := newProtoBook()
	a, b := peer.ID("a"), peer.ID("b")
	if err := pb.SetProtocols(a, "/x/1", "/y/1"); err != nil {
		t.Fatal(err)
	}
	if err := pb.SetProtocols(b, "/y/1", "/x/1", "/x/1"); err != nil {
		t.Fatal(err)
	}
	if pb.protos[a] != pb.protos[b] || len(pb.sets) != 1 {
		t.Fatalf("same protocols, %d sets (shared: %v)", len(pb.sets), pb.protos[a] == pb.protos[b])
	}
	if err := pb.AddProtocols(b, "/z/1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := pb.SupportsProtocols(a, "/x/1", "/z/1"); !slices.Equal(got, []protocol.ID{"/x/1"}) {
		t.Errorf("a supports %v of /x/1 /z/1 after b added /z/1", got)
	}
	if got, _ := pb.FirstSupportedProtocol(b, "/q/1", "/z/1"); got != "/z/1" {
		t.Errorf("b's first of /q/1 /z/1 is %q", got)
	}
	if err := pb.RemoveProtocols(a, "/x/1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := pb.GetProtocols(a); !slices.Equal(got, []protocol.ID{"/y/1"}) {
		t.Errorf("a has %v after removing /x/1", got)
	}
	if err := pb.RemoveProtocols(a, "/y/1"); err != nil {
		t.Fatal(err)
	}
	pb.RemovePeer(b)
	if len(pb.protos) != 0 || len(pb.sets) != 0 {
		t.Errorf("no peers left, but %d peers and %d sets kept", len(pb.protos), len(pb.sets))
	}
	if got, err := pb.GetProtocols(a); err != nil || got == nil || len(got) != 0 {
		t.Errorf("a forgotten: GetProtocols = %v, %v", got, err)
	}
}
