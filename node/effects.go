package node

import (
	"context"
	"slices"
	"sync"
	"time"

	"starling/group"
	"starling/message"
	"starling/store"
)

// expiryInterval is how often the node looks for groups past their end
// time and grace period.
const expiryInterval = 30 * time.Second

// onStored is the store's OnStored, on its writer goroutine: control
// messages take effect on their group's State (cheap, in commit order), the
// store work their effects need is queued for the effects goroutine (the
// writer must not wait for itself), and subscribers hear of the batch.
func (n *Node) onStored(batch []store.Stored) {
	for _, s := range batch {
		if s.Msg.Body.Kind != message.KindText {
			n.applyControl(s.Msg)
		}
	}
	n.hub.publish(batch...)
}

// applyControl applies a stored (or about to be sent) control message to
// its group's State and queues the effects' store work. Apply is idempotent,
// so a message applied before sending and again once stored is harmless.
func (n *Node) applyControl(m *message.Message) {
	st := n.groups.get(m.Body.Group)
	if st == nil {
		return
	}
	c, err := st.Open(m)
	if err != nil {
		return
	}
	eff := st.Apply(m, c)
	if eff.NewKey {
		n.sync.keyLearnt(st.ID())
	}
	if len(eff.Deleted) > 0 || eff.BannedAuthor != nil || eff.DescriptorChanged || eff.NewKey {
		n.effects.push(effectJob{st: st, eff: eff})
	}
}

// effectJob is store work an applied control message asks for.
type effectJob struct {
	st  *group.State
	eff group.Effects
}

// effectQueue is unbounded: control messages are rare, and dropping their
// effects would leave deleted messages served until the next start.
type effectQueue struct {
	mu     sync.Mutex
	jobs   []effectJob
	signal chan struct{}
}

func newEffectQueue() *effectQueue { return &effectQueue{signal: make(chan struct{}, 1)} }

func (q *effectQueue) push(j effectJob) {
	q.mu.Lock()
	q.jobs = append(q.jobs, j)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *effectQueue) take() []effectJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	jobs := q.jobs
	q.jobs = nil
	return jobs
}

// runEffects does the queued store work, and every expiryInterval removes
// groups past their end.
func (n *Node) runEffects(ctx context.Context) {
	t := time.NewTicker(expiryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.effects.signal:
			for _, j := range n.effects.take() {
				n.doEffects(ctx, j.st, j.eff)
			}
			n.expireGroups(ctx)
		case <-t.C:
			n.expireGroups(ctx)
		}
	}
}

func (n *Node) doEffects(ctx context.Context, st *group.State, eff group.Effects) {
	log := n.log.With("group", st)
	if len(eff.Deleted) > 0 {
		n.deleteInGroup(ctx, st.ID(), eff.Deleted)
	}
	if eff.BannedAuthor != nil {
		n.dropBanned(ctx, st, eff.BannedAuthor, eff.BannedAfterMS)
	}
	if eff.DescriptorChanged {
		if g, err := n.store.Group(st.ID()); err == nil && g.Name != st.Name() {
			g.Name = st.Name()
			if err := n.store.PutGroup(g); err != nil {
				log.Warn("could not record the group's new name", "err", err)
			}
		}
		if end := st.EndsAt(); !end.IsZero() {
			if err := n.store.ExpireGroup(st.ID(), end.Add(n.grace())); err != nil {
				log.Warn("could not set the group's expiry", "err", err)
			}
		}
	}
	if eff.NewKey {
		if err := saveState(n.store, st); err != nil {
			log.Error("could not save a new group key; messages under it will be unreadable after a restart", "err", err)
		}
		n.resync(st.ID())
	}
}

// deleteInGroup removes tombstoned messages, but only those stored in the
// group whose tombstone it is: a group's admins cannot delete another
// group's messages by naming their IDs.
func (n *Node) deleteInGroup(ctx context.Context, gid message.GroupID, ids []message.ID) {
	var mine []message.ID
	for _, id := range ids {
		if s, err := n.store.Get(id); err == nil && s.Msg.Body.Group == gid {
			mine = append(mine, id)
		}
	}
	if len(mine) == 0 {
		return
	}
	if err := n.store.Delete(ctx, mine...); err != nil && ctx.Err() == nil {
		n.log.Warn("could not delete tombstoned messages", "count", len(mine), "err", err)
	}
}

// dropBanned removes a banned author's messages sent after the ban.
func (n *Node) dropBanned(ctx context.Context, st *group.State, author []byte, afterMS uint64) {
	items, err := n.store.Items(st.ID())
	if err != nil {
		return
	}
	var drop []message.ID
	for _, it := range items {
		if it.SentAtMS <= afterMS {
			continue
		}
		if s, err := n.store.Get(it.ID); err == nil && slices.Equal(s.Msg.Body.Author, author) {
			drop = append(drop, it.ID)
		}
	}
	if len(drop) > 0 {
		if err := n.store.Delete(ctx, drop...); err != nil && ctx.Err() == nil {
			n.log.Warn("could not drop a banned author's messages", "count", len(drop), "err", err)
		}
	}
}

// expireGroups leaves every group past its end time and grace period and
// deletes its content and keys.
func (n *Node) expireGroups(ctx context.Context) {
	now := n.cfg.Clock()
	for _, st := range n.groups.all() {
		if !st.Expired(now) {
			continue
		}
		n.log.Info("group ended; deleting its content and keys", "group", st)
		n.groups.remove(st.ID())
		if err := n.gossip.Leave(st.ID()); err != nil && ctx.Err() == nil {
			n.log.Warn("could not leave an ended group", "group", st, "err", err)
		}
		if err := n.store.DeleteGroup(st.ID()); err != nil && ctx.Err() == nil {
			n.log.Warn("could not delete an ended group", "group", st, "err", err)
		}
	}
}

// reconcileTombstones redoes, at start-up, deletions that a crash may have
// left undone: every stored tombstone's target goes if it is still there.
func (n *Node) reconcileTombstones(st *group.State) {
	dels, err := n.store.Kinds(st.ID(), message.KindDelete)
	if err != nil {
		return
	}
	var ids []message.ID
	for _, d := range dels {
		ids = append(ids, d.Msg.Body.Ref)
	}
	n.effects.push(effectJob{st: st, eff: group.Effects{Deleted: ids}})
}

func (n *Node) grace() time.Duration {
	if n.cfg.GroupGrace == 0 {
		return group.DefaultGrace
	}
	return max(n.cfg.GroupGrace, 0)
}
