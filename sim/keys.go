package sim

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/identity"
)

// nodeKeys are a simulated node's identities, derived from the seed so
// that peer IDs, message IDs and every choice keyed on them repeat.
type nodeKeys struct {
	user      *identity.User // every node has one; attackers sign spam with it
	transport crypto.PrivKey
	id        peer.ID
}

func keysFor(p *plan, i int) (nodeKeys, error) {
	derive := func(kind string) ed25519.PrivateKey {
		seed := sha256.Sum256(fmt.Appendf(nil, "starling-sim-key/%d/%s/%d", p.seed, kind, i))
		return ed25519.NewKeyFromSeed(seed[:])
	}
	user, err := identity.UserFromKey(p.nodes[i].Name, derive("user"))
	if err != nil {
		return nodeKeys{}, err
	}
	tk, err := crypto.UnmarshalEd25519PrivateKey(derive("transport"))
	if err != nil {
		return nodeKeys{}, err
	}
	id, err := peer.IDFromPrivateKey(tk)
	if err != nil {
		return nodeKeys{}, err
	}
	return nodeKeys{user: user, transport: tk, id: id}, nil
}

// allKeys derives every node's keys.
func allKeys(p *plan) ([]nodeKeys, error) {
	out := make([]nodeKeys, len(p.nodes))
	for i := range p.nodes {
		k, err := keysFor(p, i)
		if err != nil {
			return nil, fmt.Errorf("keys of %s: %w", p.nodes[i].Name, err)
		}
		out[i] = k
	}
	return out, nil
}

// listenAddr is node i's QUIC multiaddr.
func (p *plan) listenAddr(i int) ma.Multiaddr {
	a := p.nodes[i].Addr
	return ma.StringCast(fmt.Sprintf("/ip4/%s/udp/%d/quic-v1", a.Addr(), a.Port()))
}

// addrInfo is how other nodes dial node i.
func addrInfo(p *plan, keys []nodeKeys, i int) peer.AddrInfo {
	return peer.AddrInfo{ID: keys[i].id, Addrs: []ma.Multiaddr{p.listenAddr(i)}}
}
