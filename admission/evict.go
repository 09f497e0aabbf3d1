package admission

import (
	"context"
	"fmt"
	"time"

	"starling/message"
	"starling/store"
)

const (
	// recountEvery bounds how often a full group is counted afresh from
	// the store: deletions (moderation, bans) free room that admission
	// does not see otherwise.
	recountEvery = time.Minute
	// evictTo is the share of GroupBytes a full group is brought down to,
	// so that one eviction makes room for many messages.
	evictTo = 0.95
	// evictTimeout bounds one eviction's deletion.
	evictTimeout = 30 * time.Second
)

// roomLocked makes room in the group for m, or says why it cannot. A
// privileged message is kept even when nothing can go for it.
func (a *Admission) roomLocked(g Group, ga *groupAccount, m *message.Message, size int64, privileged bool, now time.Time) error {
	ga.foldOwnLocked()
	if !privileged && m.Body.SentAtMS <= ga.evictedT {
		return fmt.Errorf("%w: it is older than what went to make room (%s)", ErrGroupFull, fmtMS(ga.evictedT))
	}
	if ga.bytes+size <= a.lim.GroupBytes {
		return nil
	}
	if now.Sub(ga.recount) >= recountEvery {
		if err := a.loadLocked(ga); err != nil {
			a.log.Warn("could not count a full group's messages", "group", ga.id.Short(), "err", err)
		}
		if ga.bytes+size <= a.lim.GroupBytes {
			return nil
		}
	}
	need := ga.bytes + size - int64(evictTo*float64(a.lim.GroupBytes))
	if err := a.evictLocked(g, ga, need, m.Body.SentAtMS, privileged); err != nil {
		a.log.Warn("could not make room in a full group", "group", ga.id.Short(), "err", err)
	}
	if ga.bytes+size <= a.lim.GroupBytes || privileged {
		return nil
	}
	return fmt.Errorf("%w: %d of %d bytes, and nothing older may go", ErrGroupFull, ga.bytes, a.lim.GroupBytes)
}

// evictLocked deletes the group's oldest texts, reactions and pictures'
// chunks by others than this user, the owner and admins until need bytes
// are free, none sent after before unless anyAge. Deleted messages leave tombstones, so nobody fetches
// them back.
func (a *Admission) evictLocked(g Group, ga *groupAccount, need int64, before uint64, anyAge bool) error {
	type victim struct {
		id     message.ID
		author key32
		size   int64
		sentAt uint64
	}
	var (
		victims []victim
		freed   int64
	)
	err := a.scan(ga.id, func(s store.Stored) bool {
		b := &s.Msg.Body
		if !anyAge && b.SentAtMS >= before {
			return false
		}
		if (b.Kind != message.KindText && b.Kind != message.KindImageChunk && b.Kind != message.KindReaction) || a.privileged(g, b.Author) {
			return true
		}
		size := int64(len(s.Msg.Raw))
		victims = append(victims, victim{s.Msg.ID, key32(b.Author), size, b.SentAtMS})
		freed += size
		return freed < need
	})
	if err != nil {
		return err
	}
	if len(victims) == 0 {
		return nil
	}
	ids := make([]message.ID, len(victims))
	for i, v := range victims {
		ids[i] = v.id
	}
	ctx, cancel := context.WithTimeout(context.Background(), evictTimeout)
	defer cancel()
	if err := a.cfg.Store.Delete(ctx, ids...); err != nil {
		return fmt.Errorf("delete %d messages: %w", len(ids), err)
	}
	for _, v := range victims {
		ga.bytes -= v.size
		if au := ga.authors[v.author]; au != nil {
			au.bytes -= v.size
		}
		ga.evictedT = max(ga.evictedT, v.sentAt)
	}
	a.log.Info("group over its storage budget; oldest messages dropped", "group", ga.id.Short(),
		"dropped", len(victims), "bytes", freed, "up_to", fmtMS(ga.evictedT))
	return nil
}
