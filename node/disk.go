package node

import (
	"context"

	"starling/store"
)

// The node's side of the store's free-space floors (store.Disk). While the
// store refuses received messages, gossip and catch-up ignore them before
// checking them (ignored, not rejected: the peers did nothing wrong); the
// user's own messages go through as long as the store takes them; reads
// are served throughout. Once the store takes received messages again, the
// node catches up with a peer of each group, to fetch what it ignored.

// Disk returns the store's view of its disk: its state, free space and
// floors, and why it refuses writes.
func (n *Node) Disk() store.Disk { return n.store.Disk() }

// CorruptSkipped counts the damaged records the store's reads skipped since
// the node started.
func (n *Node) CorruptSkipped() uint64 { return n.store.Skipped() }

// onDisk is the store's OnDisk. It runs on a store goroutine, so it only
// wakes watchDisk.
func (n *Node) onDisk(store.Disk) {
	select {
	case n.diskKick <- struct{}{}:
	default:
	}
}

// watchDisk catches up with the peers of every group (up to eight per group,
// in turn, as `starling sync` does) each time the store takes received
// messages again.
func (n *Node) watchDisk(ctx context.Context) {
	refusing := n.store.Disk().State != store.DiskOK
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.diskKick:
		}
		now := n.store.Disk().State != store.DiskOK
		if refusing && !now {
			n.log.Info("the store takes received messages again; catching up with the groups' peers")
			if _, err := n.Sync(ctx, ""); err != nil && ctx.Err() == nil {
				n.log.Warn("catching up after the disk was low failed; the periodic catch-up tries again", "err", err)
			}
		}
		refusing = now
	}
}
