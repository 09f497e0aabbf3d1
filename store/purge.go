package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"starling/message"
)

// DeleteGroup removes everything of a group: its messages with their index,
// kind index and outbox entries, the tombstones known to be of the group,
// its group record and its state, synced before it returns. Tombstones
// whose target never arrived cannot be attributed and stay (a few bytes
// each). An expiry in the future is removed with the rest; an expiry that
// has passed stays, so the store keeps refusing the group's messages.
//
// Deleted keys leave the disk when Badger compacts its tables and, for
// values over 1 KiB, when value-log GC rewrites their file: until then the
// bytes may still be on disk, though no read returns them.
//
// The group's messages go in bounded transactions, each message whole: a
// crash part way leaves the rest for another call (or the sweep).
func (s *Store) DeleteGroup(group message.GroupID) error {
	err := s.do(context.Background(), func() error { return s.purge(group, nil) })
	if err != nil {
		return fmt.Errorf("delete group %s: %w", group.Short(), err)
	}
	return nil
}

// purge deletes everything of g on the writer goroutine. With expiredAt set
// (the group expired) it records that expiry as swept; otherwise it keeps
// an expiry record only if that has passed.
func (s *Store) purge(g message.GroupID, expiredAt *time.Time) error {
	if err := s.purgeMessages(g); err != nil {
		return err
	}
	var units []unit
	err := s.db.View(func(txn kvTxn) error {
		err := eachKey(txn, kindPrefix(g), func(item kvItem) error { // orphans, if any
			units = append(units, unit{{key: item.KeyCopy(nil), del: true}})
			return nil
		})
		if err != nil {
			return err
		}
		return eachTombstoneOf(txn, g, func(key []byte) {
			units = append(units, unit{{key: key, del: true}})
		})
	})
	if err == nil {
		err = s.applyUnits(units)
	}
	if err == nil {
		err = s.purgeRecords(g, expiredAt)
	}
	if err != nil {
		return err
	}
	return s.db.Sync()
}

// purgeMessages deletes the messages of g found through its index, with
// every key of each, a bounded chunk per transaction.
func (s *Store) purgeMessages(g message.GroupID) error {
	kinds := make(map[message.ID][]byte) // the group's kind index; small
	err := s.db.View(func(txn kvTxn) error {
		return eachKey(txn, kindPrefix(g), func(item kvItem) error {
			if _, _, _, id, ok := parseKindKey(item.Key()); ok {
				kinds[id] = item.KeyCopy(nil)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for {
		var units []unit
		err := s.db.View(func(txn kvTxn) error {
			return eachKey(txn, indexPrefix(g), func(item kvItem) error {
				if len(units) == maxUnitsPerTxn {
					return errStop
				}
				k := item.KeyCopy(nil)
				u := unit{{key: k, del: true}}
				if _, _, id, ok := parseIndexKey(k); ok {
					u = append(u, write{key: messageKey(id), del: true}, write{key: outboxKey(id), del: true})
					if kk := kinds[id]; kk != nil {
						u = append(u, write{key: kk, del: true})
					}
				}
				units = append(units, u)
				return nil
			})
		})
		if err != nil && !errors.Is(err, errStop) {
			return err
		}
		if len(units) == 0 {
			return nil
		}
		if err := s.applyUnits(units); err != nil {
			return err
		}
	}
}

// purgeRecords deletes the group record and state and settles the expiry
// record, holding expMu like every writer of those records.
func (s *Store) purgeRecords(g message.GroupID, expiredAt *time.Time) error {
	s.expMu.Lock()
	defer s.expMu.Unlock()
	rec, keep := s.expiry[g]
	if expiredAt != nil {
		rec, keep = expiryRecord{at: *expiredAt}, true
	}
	keep = keep && s.past(rec.at)
	rec.swept = true
	err := s.db.Update(func(txn kvTxn) error {
		if err := txn.Delete(groupKey(g)); err != nil {
			return err
		}
		if err := txn.Delete(stateKey(g)); err != nil {
			return err
		}
		if keep {
			return txn.Set(expiryKey(g), encodeExpiry(rec))
		}
		return txn.Delete(expiryKey(g))
	})
	if err != nil {
		return err
	}
	if keep {
		s.expiry[g] = rec
	} else {
		delete(s.expiry, g)
	}
	return nil
}

// sweep purges every group whose expiry has passed and that is not purged
// yet. It runs on the maintenance goroutine; each purge is a writer task.
func (s *Store) sweep() {
	if s.Disk().State == DiskFull {
		return // it writes; the next sweep after space returns does it
	}
	s.expMu.RLock()
	var due []message.GroupID
	for g, rec := range s.expiry {
		if !rec.swept && s.past(rec.at) {
			due = append(due, g)
		}
	}
	s.expMu.RUnlock()
	for _, g := range due {
		purged := false
		err := s.do(context.Background(), func() error {
			// ExpireGroup may have moved the expiry since the list was made.
			s.expMu.RLock()
			rec, ok := s.expiry[g]
			s.expMu.RUnlock()
			if !ok || rec.swept || !s.past(rec.at) {
				return nil
			}
			purged = true
			return s.purge(g, &rec.at)
		})
		switch {
		case errors.Is(err, ErrClosed):
			return
		case err != nil:
			s.log.Warn("could not purge an expired group; the next sweep tries again", "group", g.Short(), "err", err)
		case purged:
			s.log.Info("expired group purged", "group", g.Short())
		}
	}
}
