package gossip

import (
	"sync"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/message"
)

// meshTracer follows a pubsub instance's mesh from its Graft, Prune,
// Leave and peer-gone events. GossipSub forwards only to mesh peers, and a
// message relayed before a peer is grafted reaches that peer only through
// catch-up, so callers that need a message to travel several hops wait for
// the mesh, not just for topic peers.
type meshTracer struct {
	nopTracer
	mu   sync.Mutex
	mesh map[string]map[peer.ID]bool
}

var _ pubsub.RawTracer = (*meshTracer)(nil)

func (m *meshTracer) Graft(p peer.ID, topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mesh == nil {
		m.mesh = make(map[string]map[peer.ID]bool)
	}
	if m.mesh[topic] == nil {
		m.mesh[topic] = make(map[peer.ID]bool)
	}
	m.mesh[topic][p] = true
}

func (m *meshTracer) Prune(p peer.ID, topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.mesh[topic], p)
}

// OnClosedOutboundStream is how pubsub reports a peer gone: it drops the
// peer from every mesh without a Prune event.
func (m *meshTracer) OnClosedOutboundStream(p peer.ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, peers := range m.mesh {
		delete(peers, p)
	}
}

func (m *meshTracer) Leave(topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.mesh, topic)
}

func (m *meshTracer) has(topic string, p peer.ID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mesh[topic][p]
}

func (m *meshTracer) peers(topic string) []peer.ID {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]peer.ID, 0, len(m.mesh[topic]))
	for p := range m.mesh[topic] {
		out = append(out, p)
	}
	return out
}

// MeshPeers lists the peers in this host's GossipSub mesh for a group: the
// ones it forwards the group's messages to.
func (g *Gossip) MeshPeers(gid message.GroupID) []peer.ID {
	g.mu.RLock()
	t := g.topics[gid]
	g.mu.RUnlock()
	if t == nil {
		return nil
	}
	return g.mesh.peers(t.name)
}
