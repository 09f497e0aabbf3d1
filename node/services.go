package node

import (
	"context"
	"crypto/ed25519"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"starling/alerts"
	"starling/group"
	"starling/message"
	"starling/store"
)

// The application's services (alerts, ...) live in packages of their own
// and reach the node through interfaces they declare. core is what the
// node gives them: a view of its groups, store, rules and peers, kept off
// Node's own method set.
type core struct{ n *Node }

var _ alerts.Node = core{}

func (c core) Group(g message.GroupID) *group.State { return c.n.groups.get(g) }
func (c core) Groups() []*group.State               { return c.n.groups.all() }

func (c core) Resolve(ref string) (*group.State, error) {
	_, st, err := c.n.state(ref)
	return st, err
}

func (c core) Send(ctx context.Context, ref string, content group.Content) (*message.Message, int, error) {
	return c.n.SendContent(ctx, ref, content)
}

func (c core) TopicPeers(g message.GroupID) []peer.ID { return c.n.gossip.Peers(g) }
func (c core) RelaysFirst(g message.GroupID, limit int) []peer.ID {
	return c.n.relaysFirst(g, limit)
}
func (c core) IsRelay(p peer.ID) bool                  { return c.n.peers.IsRelay(p) }
func (c core) Blocked(author ed25519.PublicKey) bool   { return c.n.blocks.blocked(author) }
func (c core) Has(id message.ID) (bool, error)         { return c.n.store.Has(id) }
func (c core) Get(id message.ID) (store.Stored, error) { return c.n.store.Get(id) }

func (c core) Judge(from peer.ID, g message.GroupID, raw []byte) (*message.Message, message.Verdict, error) {
	return c.n.in.Check(from, g, raw)
}

// Put stores m as learnt by catch-up; it gives up when the node shuts down.
func (c core) Put(ctx context.Context, m *message.Message) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.n.ctx, cancel)()
	_, err := c.n.store.Put(ctx, m, store.OriginCatchup)
	return err
}

func (c core) NewStream(ctx context.Context, p peer.ID, proto protocol.ID) (network.Stream, error) {
	return c.n.host.NewStream(ctx, p, proto)
}

// Alerts is the node's organiser alerts: sending, acknowledging, reach.
func (n *Node) Alerts() *alerts.Service { return n.alerts }
