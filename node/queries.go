package node

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/catchup"
	"starling/gossip"
	"starling/group"
	"starling/message"
	"starling/store"
)

// Started returns when the node was built.
func (n *Node) Started() time.Time { return n.started }

// ConnectedPeers lists connected peers with the remote addresses of their
// open connections, sorted by peer ID.
func (n *Node) ConnectedPeers() []peer.AddrInfo {
	var out []peer.AddrInfo
	for _, p := range n.host.Network().Peers() {
		info := peer.AddrInfo{ID: p}
		for _, c := range n.host.Network().ConnsToPeer(p) {
			info.Addrs = append(info.Addrs, c.RemoteMultiaddr())
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b peer.AddrInfo) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}

// GroupPeers lists the peers known to be in a joined group's topic.
func (n *Node) GroupPeers(g message.GroupID) []peer.ID { return n.gossip.Peers(g) }

// MeshPeers lists the peers this node forwards a group's messages to. A
// message relayed before a peer is in the mesh reaches that peer only by
// catch-up, so multi-hop tests and the demo wait for it.
func (n *Node) MeshPeers(g message.GroupID) []peer.ID { return n.gossip.MeshPeers(g) }

// Count returns how many messages a group holds.
func (n *Node) Count(g message.GroupID) (int, error) { return n.store.Count(g) }

// OutboxLen returns how many own messages wait for a peer.
func (n *Node) OutboxLen() (int, error) {
	out, err := n.store.Outbox()
	return len(out), err
}

// GossipStats returns gossip's counters.
func (n *Node) GossipStats() gossip.Stats { return n.gossip.Stats() }

// CatchupStats returns what catch-up has served to other peers.
func (n *Node) CatchupStats() catchup.Stats { return n.catchup.Stats() }

// StoredMessages counts the messages of every joined group.
func (n *Node) StoredMessages() (int, error) {
	groups, err := n.store.Groups()
	if err != nil {
		return 0, err
	}
	total := 0
	for _, g := range groups {
		c, err := n.store.Count(g.ID)
		if err != nil {
			return 0, err
		}
		total += c
	}
	return total, nil
}

// Subscribe streams every message newly committed to the store, in commit
// order: received ones and this user's own. The channel closes when ctx
// ends, the node shuts down, or the reader falls more than
// Config.SubscriberBuffer behind. Call errf when done reading: it ends the
// subscription if it is still open and says why it ended (nil, ErrClosed or
// ErrLagged). After ErrLagged nothing is lost from the store: read History
// from where you were and subscribe again.
func (n *Node) Subscribe(ctx context.Context) (events <-chan store.Stored, errf func() error) {
	return subscribe(ctx, n.hub)
}

func subscribe[T any](ctx context.Context, h *hub[T]) (<-chan T, func() error) {
	s := h.subscribe()
	stop := context.AfterFunc(ctx, s.close)
	return s.c, func() error {
		stop()
		s.close()
		return h.errOf(s)
	}
}

// PeerScores returns GossipSub's scores of the peers it knows, refreshed
// every second. Peers that misbehaved in catch-up score below zero.
func (n *Node) PeerScores() map[peer.ID]float64 { return n.gossip.Scores() }

// PeerCount returns how many peers are connected.
func (n *Node) PeerCount() int { return len(n.host.Network().Peers()) }

// GroupState returns a joined group and its State, which describes its
// descriptor, members and keys.
func (n *Node) GroupState(ref string) (store.Group, *group.State, error) { return n.state(ref) }
