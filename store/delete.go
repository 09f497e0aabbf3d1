package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"starling/message"
)

// Delete removes messages and leaves a tombstone for each: a stored
// message's record, index, kind index and outbox entries go, so History,
// Items, Count, Kinds and Outbox no longer see it and Get returns
// ErrDeleted; a later Put, Enqueue or PutOwn of the ID is refused quietly
// (added=false); Has and Deleted report it. Deleting an ID that is not
// stored leaves the tombstone all the same, since the target may arrive
// later; deleting one twice changes nothing.
//
// A tombstone keeps its message's group (it learns it from the message when
// the target arrives after it), so DeleteGroup and ExpireGroup treat it with
// the group, and it expires with the group.
//
// Delete runs on the writer, after the writes queued before it; OnDeleted
// hears of the messages whose content it removed. It is not synced: the
// node keeps the signed deletion it acts on, and replays it after a crash.
// If ctx ends while it is queued, Delete returns ctx's error but may still
// happen. A record that does not decode is not deleted and is reported as
// ErrCorrupt; the other IDs are deleted all the same.
func (s *Store) Delete(ctx context.Context, ids ...message.ID) error {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Clone(ids) // the task may outlive the call
	if err := s.do(ctx, func() error { return s.deleteMessages(ids, true) }); err != nil {
		return fmt.Errorf("delete %d messages: %w", len(ids), err)
	}
	return nil
}

// Drop removes stored messages like Delete but leaves no tombstone: a later
// Put of the ID stores it again. The node drops what its group no longer
// accepts because of who may post now (a revocation), which another Op may
// undo; a tombstone is for what its author or an admin deleted.
func (s *Store) Drop(ctx context.Context, ids ...message.ID) error {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Clone(ids)
	if err := s.do(ctx, func() error { return s.deleteMessages(ids, false) }); err != nil {
		return fmt.Errorf("drop %d messages: %w", len(ids), err)
	}
	return nil
}

// Deleted reports whether the store holds a tombstone for id. It says false
// when the store cannot tell (closed, or a read failed); Get tells errors
// apart.
func (s *Store) Deleted(id message.ID) bool {
	dead := false
	err := s.view(func(txn kvTxn) error {
		var err error
		dead, err = exists(txn, tombstoneKey(id))
		return err
	})
	return err == nil && dead
}

// deleteMessages runs on the writer goroutine, so no write of the same IDs
// interleaves between its reads and its writes.
func (s *Store) deleteMessages(ids []message.ID, tombstone bool) error {
	var (
		units   []unit
		removed []message.ID
		errs    []error
		seen    = make(map[message.ID]bool, len(ids))
	)
	err := s.db.View(func(txn kvTxn) error {
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			u, had, err := deletion(txn, id, tombstone)
			if errors.Is(err, ErrCorrupt) {
				errs = append(errs, err)
				continue
			}
			if err != nil {
				return err
			}
			if u != nil {
				units = append(units, u)
			}
			if had {
				removed = append(removed, id)
			}
		}
		return nil
	})
	if err == nil {
		err = s.applyUnits(units)
	}
	if err != nil {
		return err
	}
	if len(removed) > 0 && s.cfg.OnDeleted != nil {
		s.cfg.OnDeleted(removed)
	}
	return errors.Join(errs...)
}

// deletion is the unit that deletes id (leaving a tombstone when asked):
// nil when its tombstone exists already, or nothing is stored to drop. had
// says a stored message goes with it.
func deletion(txn kvTxn, id message.ID, tombstone bool) (u unit, had bool, err error) {
	if dead, err := exists(txn, tombstoneKey(id)); dead || err != nil {
		return nil, false, err
	}
	item, err := txn.Get(messageKey(id))
	if errors.Is(err, errKeyNotFound) {
		if !tombstone {
			return nil, false, nil
		}
		return unit{{key: tombstoneKey(id)}}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	rec, err := item.ValueCopy(nil)
	if err != nil {
		return nil, false, err
	}
	st, err := decodeRecord(id, rec)
	if err != nil {
		return nil, false, err
	}
	b := st.Msg.Body
	// The tombstone takes the message's TTL: its group's expiry.
	ttl := item.ExpiresAt()
	u = unit{
		{key: messageKey(id), del: true},
		{key: indexKey(b.Group, b.SentAtMS, id), del: true},
		{key: outboxKey(id), del: true},
	}
	if tombstone {
		u = append(u, write{key: tombstoneKey(id), value: b.Group[:], expiresAt: ttl})
	}
	if k := kindKeyOf(st.Msg); k != nil {
		u = append(u, write{key: k, del: true})
	}
	return u, true, nil
}
