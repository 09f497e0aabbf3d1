package node

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/admission"
	"starling/catchup"
	"starling/group"
	"starling/message"
)

// Every message another node hands over, by gossip or in a catch-up
// session, passes the same admission after validation: one account per
// author, peer, address and group (package admission). This user's own
// messages take no admission; the store tells admission about them so that
// they count towards their group.

// newAdmission builds the node's admission from Config.Limits: an
// organiser relay's zero fields take admission.RelayLimits, everyone
// else's admission.DefaultLimits.
func (n *Node) newAdmission() error {
	def := admission.DefaultLimits
	if n.cfg.RelayService != nil {
		def = admission.RelayLimits
	}
	var err error
	lim := n.cfg.Limits.WithDefaults(def)
	n.own = newOwnRate(lim)
	n.admit, err = admission.New(admission.Config{
		Store:  n.store,
		Self:   n.cfg.User.PublicKey(),
		Since:  n.creation.since,
		Limits: lim,
		Logger: n.cfg.Logger.With("component", "admission"),
		Clock:  n.cfg.Clock,
	})
	return err
}

// source describes peer p for admission: its address, and whether it is
// one of this node's organiser relays, which forward everyone's messages.
func (n *Node) source(p peer.ID, way admission.Way) admission.Source {
	src := admission.Source{Way: way, Peer: p, Trusted: n.peers.IsRelay(p)}
	if conns := n.host.Network().ConnsToPeer(p); len(conns) > 0 {
		src.Addr = catchup.AddrKey(conns[0].RemoteMultiaddr(), p)
	}
	return src
}

// creations caches each group's creation: the sent_at of its first
// descriptor (version 1), which admission takes as the earliest sent_at
// the group accepts from others. A group whose first descriptor this node
// has not seen yet is looked up again at most once a minute.
type creations struct {
	n *Node

	mu    sync.Mutex
	known map[message.GroupID]uint64
	asked map[message.GroupID]time.Time // not found when
}

const creationRetry = time.Minute

// since is admission's Config.Since. Channels have no creation; admission
// bounds them by Limits.History.
func (c *creations) since(g message.GroupID) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ms, ok := c.known[g]; ok {
		return ms, true
	}
	now := c.n.cfg.Clock()
	if at, ok := c.asked[g]; ok && now.Sub(at) < creationRetry {
		return 0, false
	}
	st := c.n.groups.get(g)
	if st == nil || st.IsChannel() {
		return 0, false
	}
	c.asked[g] = now
	descs, err := c.n.store.Kinds(g, message.KindDescriptor)
	if err != nil {
		return 0, false
	}
	var first uint64
	for _, d := range descs {
		content, err := st.Open(d.Msg)
		if desc, ok := content.(group.Descriptor); err == nil && ok && desc.Version == 1 {
			if first == 0 || d.Msg.Body.SentAtMS < first {
				first = d.Msg.Body.SentAtMS
			}
		}
	}
	if first == 0 {
		return 0, false
	}
	// Clocks differ: a member's first post may be dated a little before
	// the owner's descriptor.
	skew := uint64(message.MaxFutureSkew.Milliseconds())
	first = max(first, skew) - skew
	c.known[g] = first
	delete(c.asked, g)
	return first, true
}
