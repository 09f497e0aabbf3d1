package node

import (
	"context"
	"sync"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/catchup"
	"starling/message"
	"starling/peering"
	"starling/store"
)

// LastSync returns the group's last completed catch-up session.
func (n *Node) LastSync(g message.GroupID) (catchup.Result, bool) { return n.sched.Last(g) }

// Sync catches up now: for the group named by ref (every joined group when
// ref is empty) with each of its peers, up to eight per group, in turn.
// Each session's outcome is in its Result's Err.
func (n *Node) Sync(ctx context.Context, ref string) ([]catchup.Result, error) {
	groups := n.gossip.Joined()
	if ref != "" {
		g, err := resolveGroup(n.store, ref)
		if err != nil {
			return nil, err
		}
		groups = []message.GroupID{g.ID}
	}
	return n.sched.SyncNow(ctx, groups)
}

// view is catch-up's Config.View: it changes when the group's state
// records anything (an Op or part, a profile, a tombstone, a key) or the
// block list changes, any of which may make a message this node ignored
// acceptable.
func (n *Node) view(g message.GroupID) uint64 {
	n.blocks.mu.RLock()
	v := n.blocks.gen
	n.blocks.mu.RUnlock()
	if st := n.groups.get(g); st != nil {
		v += st.Generation()
	}
	return v
}

// joined tells catch-up whether this node is in a group.
func (n *Node) joined(g message.GroupID) bool { return n.groups.get(g) != nil }

// penalize is catch-up's report of a peer it cut off for something
// provable (a broken protocol, a message the rules reject): catch-up bans
// it from that group alone, and its gossip score drops as gossip's own
// would for an invalid message. The connection stays: the peer may serve
// the node's other groups.
func (n *Node) penalize(p peer.ID, g message.GroupID, reason string) {
	n.log.Warn("peer misbehaved in catch-up; banned from the group's catch-up", "peer", peering.Short(p), "group", g.Short(), "reason", reason)
	n.penalties.add(p)
}

// storeVersions counts the changes to each group's stored set, so that
// catch-up sessions share one snapshot of a group while it stays the same.
// It holds one counter per group ever stored to (the joined groups).
type storeVersions struct {
	mu      sync.Mutex
	groups  map[message.GroupID]uint64
	deletes uint64 // deletions name no group; they change every version
}

func newStoreVersions() *storeVersions {
	return &storeVersions{groups: map[message.GroupID]uint64{}}
}

// version is catch-up's Config.Version.
func (v *storeVersions) version(g message.GroupID) uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.groups[g] + v.deletes
}

// stored is the store's OnStored: it counts the change and tells
// admission, then hands the batch to onStored.
func (n *Node) stored(batch []store.Stored) {
	n.versions.mu.Lock()
	for _, s := range batch {
		n.versions.groups[s.Msg.Body.Group]++
	}
	n.versions.mu.Unlock()
	n.admit.Stored(batch)
	n.clockSamples(batch)
	n.onStored(batch)
	n.alerts.Stored(batch)
	n.regossipLearnt(batch)
}

// deleted is the store's OnDeleted.
func (n *Node) deleted([]message.ID) {
	n.versions.mu.Lock()
	n.versions.deletes++
	n.versions.mu.Unlock()
}
