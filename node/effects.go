package node

import (
	"context"
	"crypto/ed25519"
	"errors"
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
		switch s.Msg.Body.Kind {
		case message.KindText, message.KindImageChunk:
		case message.KindImage:
			if s.Origin != store.OriginOwn {
				n.pictures.Stored(s.Msg)
			}
		default:
			n.applyControl(s.Msg)
		}
	}
	n.hub.publish(batch...)
}

// applyControl applies a stored (or about to be sent) control message to
// its group's State and queues the effects' store work. Apply is idempotent,
// so a message applied before sending and again once stored is harmless. A
// carrier applies what it cannot open too (a tombstone's target is in the
// clear).
func (n *Node) applyControl(m *message.Message) {
	st := n.groups.get(m.Body.Group)
	if st == nil {
		return
	}
	c, err := st.Open(m)
	if err != nil && !(st.IsCarrier() && errors.Is(err, group.ErrUnreadable)) {
		return
	}
	eff := st.Apply(m, c)
	if eff.NewKey {
		n.sched.KeyLearnt(st.ID())
	}
	retry := n.pending.has(st.ID())
	if len(eff.Deleted) > 0 || len(eff.Recheck) > 0 || eff.DescriptorChanged || eff.NewKey || eff.SelfChanged || retry {
		n.effects.push(effectJob{st: st, eff: eff, retry: retry})
	}
}

// effectJob is store work an applied control message asks for.
type effectJob struct {
	st    *group.State
	eff   group.Effects
	retry bool // judge the group's waiting messages again
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

// healDelay is how long an admin's node waits, jittered, before it rekeys
// a private group left without a clean key (two removals crossed): another
// admin may do it first, and one rekey is enough.
const healDelay = 3 * time.Second

// runEffects does the queued store work, rekeys groups left without a
// clean key when this user is an admin there, and every expiryInterval
// removes groups past their end.
func (n *Node) runEffects(ctx context.Context) {
	t := time.NewTicker(expiryInterval)
	defer t.Stop()
	heal := map[message.GroupID]*group.State{}
	healTimer := time.NewTimer(time.Hour)
	healTimer.Stop()
	defer healTimer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.effects.signal:
			for _, j := range n.effects.take() {
				n.doEffects(ctx, j.st, j.eff)
				if j.retry {
					n.retryPending(ctx, j.st)
				}
				if j.st.NeedsRekey() && j.st.IsAdmin(n.cfg.User.PublicKey()) && heal[j.st.ID()] == nil {
					heal[j.st.ID()] = j.st
					healTimer.Reset(n.rand.Jitter(healDelay))
				}
			}
			n.expireGroups(ctx)
		case <-healTimer.C:
			for id, st := range heal {
				delete(heal, id)
				n.heal(ctx, st)
			}
		case <-t.C:
			n.expireGroups(ctx)
		}
	}
}

// heal rekeys a private group that has no clean key, if it still has none
// and this user is still an admin there.
func (n *Node) heal(ctx context.Context, st *group.State) {
	if !st.NeedsRekey() || !st.IsAdmin(n.cfg.User.PublicKey()) || n.groups.get(st.ID()) != st {
		return
	}
	msgs, err := st.Rekey(n.cfg.User, n.cfg.Clock())
	if err == nil {
		_, _, err = n.sendOps(ctx, st, msgs)
	}
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn("could not rekey a group left without a current key", "group", st, "err", err)
		}
		return
	}
	n.log.Info("rekeyed a group that concurrent removals left without a current key", "group", st)
}

func (n *Node) doEffects(ctx context.Context, st *group.State, eff group.Effects) {
	log := n.log.With("group", st)
	if len(eff.Deleted) > 0 {
		n.deleteInGroup(ctx, st.ID(), eff.Deleted)
	}
	if len(eff.Recheck) > 0 {
		n.recheck(ctx, st, eff.Recheck)
	}
	if eff.SelfChanged {
		n.standingChanged(st)
	}
	if eff.DescriptorChanged {
		name := groupName(st)
		_, err := n.store.UpdateGroup(st.ID(), func(g *store.Group) bool {
			changed := g.Name != name
			g.Name = name
			return changed
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) { // left meanwhile: nothing to rename
			log.Warn("could not record the group's new name", "err", err)
		}
		if end := st.EndsAt(); !end.IsZero() {
			if err := n.store.ExpireGroup(st.ID(), end.Add(n.grace())); err != nil {
				log.Warn("could not set the group's expiry", "err", err)
			}
		}
		// A node that joined with a link learns the genesis by catch-up,
		// and only then can it send its profile (it does nothing when the
		// latest says the same).
		n.publishProfile(st.ID())
	}
	if eff.NewKey {
		if err := saveState(n.store, st); err != nil {
			log.Error("could not save a new group key; messages under it will be unreadable after a restart", "err", err)
		}
		n.sched.Resync(st.ID())
	}
}

// deleteInGroup removes tombstoned messages, but only those stored in the
// group whose tombstone it is (a group's admins cannot delete another
// group's messages by naming their IDs), and never the group's genesis,
// Ops or parts, which later Ops and late joiners need.
func (n *Node) deleteInGroup(ctx context.Context, gid message.GroupID, ids []message.ID) {
	var mine []message.ID
	for _, id := range ids {
		if s, err := n.store.Get(id); err == nil && s.Msg.Body.Group == gid && !isAuthority(s.Msg.Body.Kind) {
			mine = append(mine, id)
			mine = append(mine, n.chunksOf(s.Msg)...) // a picture goes with its chunks
		}
	}
	if len(mine) == 0 {
		return
	}
	if err := n.store.Delete(ctx, mine...); err != nil && ctx.Err() == nil {
		n.log.Warn("could not delete tombstoned messages", "count", len(mine), "err", err)
	}
}

// isAuthority reports whether a kind is part of a group's authority
// history: kept whatever else happens, so that every node can judge it.
func isAuthority(k message.Kind) bool {
	return k == message.KindDescriptor || k == message.KindOp || k == message.KindOpPart
}

// recheck judges again the stored messages of authors whose standing
// changed, and drops what the group no longer accepts: a removed or banned
// author's messages that the revocation's cut does not keep, the parts of a
// former admin's voided Ops. (What became valid again comes back by
// catch-up.)
func (n *Node) recheck(ctx context.Context, st *group.State, authors []ed25519.PublicKey) {
	now := n.cfg.Clock()
	var drop []message.ID
	eachStored(n.store, st.ID(), func(s store.Stored) bool {
		b := &s.Msg.Body
		if b.Kind == message.KindOp || b.Kind == message.KindDescriptor {
			return true
		}
		if !slices.ContainsFunc(authors, func(a ed25519.PublicKey) bool { return a.Equal(b.Author) }) {
			return true
		}
		if _, v, err := st.Check(s.Msg, now); v != message.Accept {
			n.log.Debug("dropping a message the group no longer accepts", "msg", s.Msg, "err", err)
			drop = append(drop, s.Msg.ID)
		}
		return ctx.Err() == nil
	})
	if len(drop) > 0 {
		// No tombstone: another Op may make them valid again, and catch-up
		// then brings them back.
		if err := n.store.Drop(ctx, drop...); err != nil && ctx.Err() == nil {
			n.log.Warn("could not drop messages the group no longer accepts", "count", len(drop), "err", err)
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
		n.pending.forget(st.ID())
		if err := n.gossip.Leave(st.ID()); err != nil && ctx.Err() == nil {
			n.log.Warn("could not leave an ended group", "group", st, "err", err)
		}
		if err := n.store.DeleteGroup(st.ID()); err != nil && ctx.Err() == nil {
			n.log.Warn("could not delete an ended group", "group", st, "err", err)
		}
	}
}

// reconcileTombstones redoes, at start-up, deletions that a crash may have
// left undone: every stored tombstone's target goes if it is still there,
// with its reactions.
func (n *Node) reconcileTombstones(st *group.State) {
	dels, err := n.store.Kinds(st.ID(), message.KindDelete)
	if err != nil {
		return
	}
	var ids []message.ID
	for _, d := range dels {
		ids = append(ids, d.Msg.Body.Ref)
	}
	n.effects.push(effectJob{st: st, eff: group.Effects{Deleted: st.WithReactions(ids)}})
}

func (n *Node) grace() time.Duration {
	if n.cfg.GroupGrace == 0 {
		return group.DefaultGrace
	}
	return max(n.cfg.GroupGrace, 0)
}
