package peering

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
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
		protoBook:    newProtoBook(),
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

// protoBook is the protocols each peer supports, under one lock. Peers
// running the same software announce the same protocols, so each distinct
// set is kept once, shared by the peers that announce it (protoSet): a
// relay's hundreds of attendees hold one between them, not a map each with
// its own copies of the strings identify read.
type protoBook struct {
	mu     sync.RWMutex
	protos map[peer.ID]*protoSet
	sets   map[string]*protoSet // by key
}

// protoSet is one set of protocols, never changed once made: a peer whose
// protocols change moves to another set. refs counts the peers holding it;
// at 0 it is forgotten, so the sets are bounded by the peers.
type protoSet struct {
	key  string
	has  map[protocol.ID]struct{}
	refs int
}

func newProtoBook() *protoBook {
	return &protoBook{protos: make(map[peer.ID]*protoSet), sets: make(map[string]*protoSet)}
}

var _ peerstore.ProtoBook = (*protoBook)(nil)

// setLocked makes protos p's set, replacing the one it held.
func (pb *protoBook) setLocked(p peer.ID, protos []protocol.ID) {
	protos = slices.Clone(protos)
	slices.Sort(protos)
	protos = slices.Compact(protos)
	var key []byte
	for _, proto := range protos {
		key = binary.AppendUvarint(key, uint64(len(proto)))
		key = append(key, proto...)
	}
	set := pb.sets[string(key)]
	if set == nil {
		set = &protoSet{key: string(key), has: make(map[protocol.ID]struct{}, len(protos))}
		for _, proto := range protos {
			set.has[proto] = struct{}{}
		}
		pb.sets[set.key] = set
	}
	set.refs++
	pb.releaseLocked(p)
	pb.protos[p] = set
}

// releaseLocked forgets p's set, and the set itself if no peer holds it now.
func (pb *protoBook) releaseLocked(p peer.ID) {
	set := pb.protos[p]
	if set == nil {
		return
	}
	delete(pb.protos, p)
	if set.refs--; set.refs == 0 {
		delete(pb.sets, set.key)
	}
}

// listLocked is p's protocols.
func (pb *protoBook) listLocked(p peer.ID) []protocol.ID {
	set := pb.protos[p]
	if set == nil {
		return nil
	}
	out := make([]protocol.ID, 0, len(set.has))
	for proto := range set.has {
		out = append(out, proto)
	}
	return out
}

// hasLocked reports whether p supports proto.
func (pb *protoBook) hasLocked(p peer.ID, proto protocol.ID) bool {
	set := pb.protos[p]
	if set == nil {
		return false
	}
	_, ok := set.has[proto]
	return ok
}

func (pb *protoBook) GetProtocols(p peer.ID) ([]protocol.ID, error) {
	pb.mu.RLock()
	defer pb.mu.RUnlock()
	if out := pb.listLocked(p); out != nil {
		return out, nil
	}
	return []protocol.ID{}, nil
}

func (pb *protoBook) AddProtocols(p peer.ID, protos ...protocol.ID) error {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	have := pb.listLocked(p)
	if len(have)+len(protos) > maxProtocols {
		return errTooManyProtocols
	}
	pb.setLocked(p, append(have, protos...))
	return nil
}

func (pb *protoBook) SetProtocols(p peer.ID, protos ...protocol.ID) error {
	if len(protos) > maxProtocols {
		return errTooManyProtocols
	}
	pb.mu.Lock()
	defer pb.mu.Unlock()
	pb.setLocked(p, protos)
	return nil
}

func (pb *protoBook) RemoveProtocols(p peer.ID, protos ...protocol.ID) error {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	if pb.protos[p] == nil {
		return nil
	}
	left := slices.DeleteFunc(pb.listLocked(p), func(proto protocol.ID) bool { return slices.Contains(protos, proto) })
	if len(left) == 0 {
		pb.releaseLocked(p)
		return nil
	}
	pb.setLocked(p, left)
	return nil
}

func (pb *protoBook) SupportsProtocols(p peer.ID, protos ...protocol.ID) ([]protocol.ID, error) {
	pb.mu.RLock()
	defer pb.mu.RUnlock()
	out := make([]protocol.ID, 0, len(protos))
	for _, proto := range protos {
		if pb.hasLocked(p, proto) {
			out = append(out, proto)
		}
	}
	return out, nil
}

func (pb *protoBook) FirstSupportedProtocol(p peer.ID, protos ...protocol.ID) (protocol.ID, error) {
	pb.mu.RLock()
	defer pb.mu.RUnlock()
	for _, proto := range protos {
		if pb.hasLocked(p, proto) {
			return proto, nil
		}
	}
	return "", nil
}

func (pb *protoBook) RemovePeer(p peer.ID) {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	pb.releaseLocked(p)
}
