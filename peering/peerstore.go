package peering

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/core/protocol"
	pstore "github.com/libp2p/go-libp2p/p2p/host/peerstore"
	"github.com/libp2p/go-libp2p/p2p/host/peerstore/pstoremem"
)

// maxProtocols is how many protocols a peer may announce, as in pstoremem.
const maxProtocols = 128

var errTooManyProtocols = errors.New("too many protocols")

// memPeerstore is libp2p's in-memory peerstore (pstoremem's key, address
// and metadata books) with a protocol book of its own: one map under one
// lock. pstoremem's protocol book allocates 256 locked shards up front
// (about 20 KiB a host, before any peer), sized for hosts with far more
// peers than an event hall's; the simulator runs a thousand hosts.
type memPeerstore struct {
	peerstore.Metrics
	peerstore.KeyBook
	peerstore.PeerMetadata
	addrBook
	*protoBook
}

// addrBook is what pstoremem's address book offers: signed peer records
// (which identify looks for by type assertion) and Close.
type addrBook interface {
	peerstore.AddrBook
	peerstore.CertifiedAddrBook
	io.Closer
}

var (
	_ peerstore.Peerstore         = (*memPeerstore)(nil)
	_ peerstore.CertifiedAddrBook = (*memPeerstore)(nil)
)

func newPeerstore() *memPeerstore {
	return &memPeerstore{
		Metrics:      pstore.NewMetrics(),
		KeyBook:      pstoremem.NewKeyBook(),
		PeerMetadata: pstoremem.NewPeerMetadata(),
		addrBook:     pstoremem.NewAddrBook(),
		protoBook:    &protoBook{protos: make(map[peer.ID]map[protocol.ID]struct{})},
	}
}

// Close closes the books that need it (the address book's garbage
// collector).
func (ps *memPeerstore) Close() error {
	var errs []error
	for _, b := range []any{ps.KeyBook, ps.addrBook, ps.PeerMetadata} {
		if c, ok := b.(io.Closer); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close peerstore: %w", err)
	}
	return nil
}

// Peers lists the peers with a key or an address.
func (ps *memPeerstore) Peers() peer.IDSlice {
	set := map[peer.ID]struct{}{}
	for _, p := range ps.KeyBook.PeersWithKeys() {
		set[p] = struct{}{}
	}
	for _, p := range ps.addrBook.PeersWithAddrs() {
		set[p] = struct{}{}
	}
	out := make(peer.IDSlice, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	return out
}

// PeerInfo is p's ID and addresses.
func (ps *memPeerstore) PeerInfo(p peer.ID) peer.AddrInfo {
	return peer.AddrInfo{ID: p, Addrs: ps.addrBook.Addrs(p)}
}

// RemovePeer forgets p's keys, protocols, metadata and metrics; like
// pstoremem's, not its addresses (they expire).
func (ps *memPeerstore) RemovePeer(p peer.ID) {
	ps.KeyBook.RemovePeer(p)
	ps.protoBook.RemovePeer(p)
	ps.PeerMetadata.RemovePeer(p)
	ps.Metrics.RemovePeer(p)
}

// protoBook is the protocols each peer supports, under one lock.
type protoBook struct {
	mu     sync.RWMutex
	protos map[peer.ID]map[protocol.ID]struct{}
}

var _ peerstore.ProtoBook = (*protoBook)(nil)

func (pb *protoBook) GetProtocols(p peer.ID) ([]protocol.ID, error) {
	pb.mu.RLock()
	defer pb.mu.RUnlock()
	out := make([]protocol.ID, 0, len(pb.protos[p]))
	for proto := range pb.protos[p] {
		out = append(out, proto)
	}
	return out, nil
}

func (pb *protoBook) AddProtocols(p peer.ID, protos ...protocol.ID) error {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	set := pb.protos[p]
	if len(set)+len(protos) > maxProtocols {
		return errTooManyProtocols
	}
	if set == nil {
		set = make(map[protocol.ID]struct{}, len(protos))
		pb.protos[p] = set
	}
	for _, proto := range protos {
		set[proto] = struct{}{}
	}
	return nil
}

func (pb *protoBook) SetProtocols(p peer.ID, protos ...protocol.ID) error {
	if len(protos) > maxProtocols {
		return errTooManyProtocols
	}
	set := make(map[protocol.ID]struct{}, len(protos))
	for _, proto := range protos {
		set[proto] = struct{}{}
	}
	pb.mu.Lock()
	defer pb.mu.Unlock()
	pb.protos[p] = set
	return nil
}

func (pb *protoBook) RemoveProtocols(p peer.ID, protos ...protocol.ID) error {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	set, ok := pb.protos[p]
	if !ok {
		return nil
	}
	for _, proto := range protos {
		delete(set, proto)
	}
	if len(set) == 0 {
		delete(pb.protos, p)
	}
	return nil
}

func (pb *protoBook) SupportsProtocols(p peer.ID, protos ...protocol.ID) ([]protocol.ID, error) {
	pb.mu.RLock()
	defer pb.mu.RUnlock()
	out := make([]protocol.ID, 0, len(protos))
	for _, proto := range protos {
		if _, ok := pb.protos[p][proto]; ok {
			out = append(out, proto)
		}
	}
	return out, nil
}

func (pb *protoBook) FirstSupportedProtocol(p peer.ID, protos ...protocol.ID) (protocol.ID, error) {
	pb.mu.RLock()
	defer pb.mu.RUnlock()
	for _, proto := range protos {
		if _, ok := pb.protos[p][proto]; ok {
			return proto, nil
		}
	}
	return "", nil
}

func (pb *protoBook) RemovePeer(p peer.ID) {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	delete(pb.protos, p)
}
