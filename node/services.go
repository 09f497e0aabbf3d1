package node

import (
	"context"
	"crypto/ed25519"
	"slices"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"starling/admission"
	"starling/alerts"
	"starling/catchup"
	"starling/catchup/schedule"
	"starling/conversation"
	"starling/group"
	"starling/message"
	"starling/moderation"
	"starling/pictures"
	"starling/store"
)

// The application's services (alerts, ...) live in packages of their own
// and reach the node through interfaces they declare. core is what the
// node gives them: a view of its groups, store, rules and peers, kept off
// Node's own method set.
type core struct{ n *Node }

var (
	_ alerts.Node       = core{}
	_ pictures.Node     = core{}
	_ conversation.Node = core{}
	_ moderation.Node   = core{}
	_ schedule.Node     = core{}
)

func (c core) Group(g message.GroupID) *group.State { return c.n.groups.get(g) }
func (c core) Groups() []*group.State               { return c.n.groups.all() }

func (c core) State(ref string) (store.Group, *group.State, error) { return c.n.state(ref) }

func (c core) SendOps(ctx context.Context, st *group.State, msgs []*message.Message) (*message.Message, int, error) {
	return c.n.sendOps(ctx, st, msgs)
}

func (c core) UseRelays(g store.Group, relays []string) { c.n.useRelays(g, relays, nil) }

func (c core) Self() peer.ID                              { return c.n.host.ID() }
func (c core) Joined() []message.GroupID                  { return c.n.gossip.Joined() }
func (c core) Banned(p peer.ID, g message.GroupID) bool   { return c.n.catchup.Banned(p, g) }
func (c core) Summary(g message.GroupID) schedule.Summary { return c.n.summary(g) }
func (c core) Confirmed(g message.GroupID) bool           { return c.n.groupConfirmed(g) }
func (c core) KickOutbox()                                { c.n.kickOutbox() }

func (c core) Sync(ctx context.Context, p peer.ID, g message.GroupID) (catchup.Result, error) {
	return c.n.catchup.Sync(ctx, p, g)
}

// Synced: a session completed. Where the node's messages went is known
// now; a private group's messages held back until now may go out, and a
// profile a stale view held back too.
func (c core) Synced(g message.GroupID, p peer.ID, res catchup.Result) {
	c.n.deliveries.Synced(g, p, c.n.peers.IsRelay(p), res.Started)
	c.n.kickOutbox()
	c.n.publishProfile(g)
}

func (c core) Open(m *message.Message) (group.Content, error) { return c.n.Open(m) }

func (c core) Resolve(ref string) (*group.State, error) {
	_, st, err := c.n.state(ref)
	return st, err
}

func (c core) Send(ctx context.Context, ref string, content group.Content) (*message.Message, int, error) {
	return c.n.sendContent(ctx, ref, content)
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

func (c core) TakeOwn(st *group.State, m *message.Message) error {
	return c.n.own.take(st, m, c.n.cfg.User.PublicKey())
}

func (c core) SendOwn(ctx context.Context, m *message.Message) (*message.Message, int, error) {
	return c.n.sendOwn(ctx, m)
}

func (c core) Admit(from peer.ID, st *group.State, m *message.Message) (message.Verdict, error) {
	return c.n.admit.Admit(c.n.source(from, admission.Catchup), st, m)
}

func (c core) Penalize(p peer.ID, g message.GroupID, why string) { c.n.penalize(p, g, why) }
func (c core) Delete(ids ...message.ID) error                    { return c.n.store.Delete(c.n.ctx, ids...) }

func (c core) Fetch(ctx context.Context, p peer.ID, g message.GroupID, ids []message.ID) ([][]byte, error) {
	return c.n.fetcher.Fetch(ctx, p, g, ids)
}

// buildServices builds the application's services once the store is open.
func (n *Node) buildServices() error {
	cfg := n.cfg
	var err error
	n.alerts, err = alerts.New(alerts.Config{
		Node: core{n}, User: cfg.User, Clock: cfg.Clock, Go: n.goFunc, AckAll: cfg.AckAlerts,
		Logger: cfg.Logger.With("component", "alerts"),
	})
	if err != nil {
		return err
	}
	n.pictures, err = pictures.New(pictures.Config{
		Node: core{n}, Store: n.store, User: cfg.User, Policy: cfg.Images, Relay: cfg.RelayService != nil,
		Clock: cfg.Clock, Go: n.goFunc, Logger: cfg.Logger.With("component", "pictures"),
	})
	if err != nil {
		return err
	}
	n.sched, err = schedule.New(schedule.Config{
		Node: core{n}, Random: n.rand, Interval: cfg.SyncInterval, Clock: cfg.Clock, Go: n.goFunc,
		Logger: cfg.Logger.With("component", "schedule"),
	})
	if err != nil {
		return err
	}
	n.conversation = conversation.New(core{n}, n.store, cfg.User)
	n.moderation = moderation.New(core{n}, cfg.User, cfg.Clock)
	return nil
}

// Moderation is the node's invites, members, deletions, bans and group
// settings.
func (n *Node) Moderation() *moderation.Service { return n.moderation }

// Conversation is the node's replies, reactions and @name people.
func (n *Node) Conversation() *conversation.Service { return n.conversation }

// peerJoined is gossip's OnPeerJoin: catch-up reconciles with the peer,
// and alerts count it as a device seen in the group.
func (n *Node) peerJoined(g message.GroupID, p peer.ID) {
	n.sched.PeerJoined(g, p)
	n.alerts.PeerJoined(g, p)
}

// Alerts is the node's organiser alerts: sending, acknowledging, reach.
func (n *Node) Alerts() *alerts.Service { return n.alerts }

// Pictures is the node's pictures: sending, fetching, assembling.
func (n *Node) Pictures() *pictures.Service { return n.pictures }

// relaysFirst returns at most limit of the group's peers: organiser relays
// first, then the others in random order.
func (n *Node) relaysFirst(g message.GroupID, limit int) []peer.ID {
	ps := slices.Clone(n.gossip.Peers(g))
	n.rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	slices.SortStableFunc(ps, func(a, b peer.ID) int {
		ra, rb := n.peers.IsRelay(a), n.peers.IsRelay(b)
		switch {
		case ra && !rb:
			return -1
		case rb && !ra:
			return 1
		}
		return 0
	})
	return ps[:min(len(ps), limit)]
}

// isChunk reports whether a stored message is a picture's chunk.
func isChunk(k message.Kind) bool { return k == message.KindImageChunk }

// serveChunk is the fetch server's rule: a chunk of group g that this node
// holds and has not found broken. (Only chunks a manifest listed were ever
// stored.)
func (n *Node) serveChunk(g message.GroupID, m *message.Message) bool {
	return m.Body.Group == g && isChunk(m.Body.Kind) && n.groups.get(g) != nil
}

// chunksOf lists the chunks of m when it is a picture's manifest this node
// can open, so that deleting the picture deletes them too.
func (n *Node) chunksOf(m *message.Message) []message.ID {
	if m.Body.Kind != message.KindImage {
		return nil
	}
	st := n.groups.get(m.Body.Group)
	if st == nil {
		return nil
	}
	c, err := st.Open(m)
	if err != nil {
		return nil
	}
	if im, ok := c.(group.Image); ok {
		return slices.Clone(im.Chunks)
	}
	return nil
}
