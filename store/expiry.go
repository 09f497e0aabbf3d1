package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"starling/message"
)

// expiryRecord is a group's expiry. swept says the sweep has purged the
// group; the record stays so that the store keeps refusing its messages.
type expiryRecord struct {
	at    time.Time
	swept bool
}

// An expiry record on disk: at (Unix ns, 8 bytes big-endian) and a flag
// byte, 1 when swept.
const expiryRecordLen = 9

func encodeExpiry(rec expiryRecord) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, expiryRecordLen), uint64(timeNS(rec.at)))
	if rec.swept {
		return append(v, 1)
	}
	return append(v, 0)
}

func decodeExpiry(item kvItem) (message.GroupID, expiryRecord, error) {
	g, ok := groupFromKey(item.Key())
	if !ok {
		return g, expiryRecord{}, fmt.Errorf("%w: expiry key of %d bytes", ErrCorrupt, len(item.Key()))
	}
	var rec expiryRecord
	err := item.Value(func(v []byte) error {
		if len(v) != expiryRecordLen || v[8] > 1 || binary.BigEndian.Uint64(v) == 0 {
			return fmt.Errorf("%w: expiry record of group %s is malformed", ErrCorrupt, g.Short())
		}
		rec = expiryRecord{at: timeFromNS(int64(binary.BigEndian.Uint64(v))), swept: v[8] == 1}
		return nil
	})
	return g, rec, err
}

// loadExpiries reads every expiry record at Open.
func (s *Store) loadExpiries() (map[message.GroupID]expiryRecord, error) {
	m := make(map[message.GroupID]expiryRecord)
	err := s.db.View(func(txn kvTxn) error {
		return eachKey(txn, prefixExpiry, func(item kvItem) error {
			g, rec, err := decodeExpiry(item)
			if err != nil {
				// The group's expiry is unknown until the node sets it
				// again (it does at every start from the group's end).
				return s.skipCorrupt(item.KeyCopy(nil), err)
			}
			m[g] = rec
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read group expiries: %w", err)
	}
	return m, nil
}

// badgerExpiry converts at to Badger's TTL: Unix seconds, rounded up so that
// nothing vanishes before at.
func badgerExpiry(at time.Time) uint64 {
	sec := at.Unix()
	if at.Nanosecond() > 0 {
		sec++
	}
	return uint64(max(sec, 1))
}

// past reports whether at has passed, by the store's clock or by Badger's
// (the real time, which decides what its reads hide).
func (s *Store) past(at time.Time) bool {
	return !at.After(s.cfg.Clock()) || badgerExpiry(at) <= uint64(time.Now().Unix())
}

// expiresAt returns the TTL for new writes of group g (0: none), or refused
// when the group has expired and nothing of it is written any more.
func (s *Store) expiresAt(g message.GroupID) (ttl uint64, refused bool) {
	s.expMu.RLock()
	defer s.expMu.RUnlock()
	return s.expiresAtLocked(g)
}

func (s *Store) expiresAtLocked(g message.GroupID) (ttl uint64, refused bool) {
	rec, ok := s.expiry[g]
	switch {
	case !ok:
		return 0, false
	case s.past(rec.at):
		return 0, true
	}
	return badgerExpiry(rec.at), false
}

// expiring reports whether item has a TTL that has passed by now: a key it
// refers to, written with the same TTL, may already be hidden, which is not
// damage.
func expiring(item kvItem) bool { return expired(item.ExpiresAt()) }

// expired reports whether a TTL has passed by now. Call it after the read
// that found a key missing, not before.
func expired(ttl uint64) bool { return ttl != 0 && ttl <= uint64(time.Now().Unix()) }

// ExpireGroup sets when everything of a group goes: from at on, its
// messages, index entries, outbox entries, tombstones, group record and
// state are gone. It gives them Badger's TTL (at second resolution, never
// before at): reads hide them from that instant and compaction removes them
// from disk later, so they vanish even while the store is closed; the sweep
// (Config.SweepInterval) then purges the group as DeleteGroup does. New
// writes of the group take the same TTL, and once at has passed the store
// refuses the group's messages quietly (added=false) and its records with
// ErrExpired.
//
// A later call moves the expiry, earlier or later; calling again with the
// same time costs nothing, so the node may call it at every start-up. A
// zero at removes the expiry. At passed already: the group is purged now.
// Existing entries are rewritten in bounded transactions, each message whole
// (a crash part way leaves some without their TTL; the sweep still purges
// them). The expiry record is synced before ExpireGroup returns.
func (s *Store) ExpireGroup(group message.GroupID, at time.Time) error {
	err := s.do(context.Background(), func() error { return s.expireGroup(group, at) })
	if err != nil {
		return fmt.Errorf("expire group %s: %w", group.Short(), err)
	}
	return nil
}

// expireGroup runs on the writer goroutine, so no message write of the
// group interleaves with the rewrite.
func (s *Store) expireGroup(g message.GroupID, at time.Time) error {
	s.expMu.RLock()
	prev, had := s.expiry[g]
	s.expMu.RUnlock()
	switch {
	case at.IsZero() && !had:
		return nil
	case !at.IsZero() && had && timeNS(prev.at) == timeNS(at):
		return nil
	case !at.IsZero() && s.past(at):
		return s.purge(g, &at)
	}
	var ttl uint64
	if !at.IsZero() {
		ttl = badgerExpiry(at)
	}
	if err := s.setExpiry(g, at, ttl); err != nil {
		return err
	}
	if err := s.rewriteMessages(g, ttl); err != nil {
		return err
	}
	if err := s.rewriteTombstones(g, ttl); err != nil {
		return err
	}
	return s.db.Sync()
}

// setExpiry records the group's expiry (or removes it when at is zero) and
// rewrites its group record and state with ttl, holding expMu so that no
// PutGroup or PutGroupState slips in between with the old TTL.
func (s *Store) setExpiry(g message.GroupID, at time.Time, ttl uint64) error {
	s.expMu.Lock()
	defer s.expMu.Unlock()
	err := s.db.Update(func(txn kvTxn) error {
		var err error
		if at.IsZero() {
			err = txn.Delete(expiryKey(g))
		} else {
			err = txn.Set(expiryKey(g), encodeExpiry(expiryRecord{at: at}))
		}
		if err != nil {
			return err
		}
		for _, k := range [][]byte{groupKey(g), stateKey(g)} {
			if err := retime(txn, k, ttl); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if at.IsZero() {
		delete(s.expiry, g)
	} else {
		s.expiry[g] = expiryRecord{at: at}
	}
	return nil
}

// retime writes key again with its value and a new TTL; a missing key is
// left missing.
func retime(txn kvTxn, key []byte, ttl uint64) error {
	item, err := txn.Get(key)
	if err != nil {
		return ignoreNotFound(err)
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return err
	}
	return txn.SetEntry(key, v, ttl)
}

// rewriteMessages gives every message of g and its other keys the TTL, a
// bounded chunk of messages per transaction.
func (s *Store) rewriteMessages(g message.GroupID, ttl uint64) error {
	prefix := indexPrefix(g)
	var after []byte // the last index key rewritten
	for {
		var units []unit
		err := s.db.View(func(txn kvTxn) error {
			it := txn.NewIterator(iterOptions{Prefix: prefix})
			defer it.Close()
			start := prefix
			if after != nil {
				start = after
			}
			for it.Seek(start); it.ValidForPrefix(prefix) && len(units) < maxUnitsPerTxn; it.Next() {
				k := it.Item().KeyCopy(nil)
				_, _, id, ok := parseIndexKey(k)
				if !ok || bytes.Equal(k, after) {
					continue
				}
				u, err := retimeMessage(txn, k, id, ttl)
				if err != nil {
					return err
				}
				units, after = append(units, u), k
			}
			return nil
		})
		if err != nil || len(units) == 0 {
			return err
		}
		if err := s.applyUnits(units); err != nil {
			return err
		}
	}
}

// retimeMessage is the unit that writes every key of one message again with
// ttl: the index entry, the record (byte for byte, even one that no longer
// decodes), its kind index and outbox entries.
func retimeMessage(txn kvTxn, index []byte, id message.ID, ttl uint64) (unit, error) {
	u := unit{{key: index, expiresAt: ttl}}
	item, err := txn.Get(messageKey(id))
	if err != nil {
		return u, ignoreNotFound(err)
	}
	rec, err := item.ValueCopy(nil)
	if err != nil {
		return nil, err
	}
	u = append(u, write{key: messageKey(id), value: rec, expiresAt: ttl})
	if st, err := parseRecord(id, rec); err == nil {
		if k := kindKeyOf(st.Msg); k != nil {
			u = append(u, write{key: k, expiresAt: ttl})
		}
	}
	if o, err := txn.Get(outboxKey(id)); err == nil {
		seq, err := o.ValueCopy(nil)
		if err != nil {
			return nil, err
		}
		u = append(u, write{key: outboxKey(id), value: seq, expiresAt: ttl})
	} else if err := ignoreNotFound(err); err != nil {
		return nil, err
	}
	return u, nil
}

// rewriteTombstones gives the tombstones of g the TTL. A tombstone whose
// target never arrived does not know its group and keeps no TTL.
func (s *Store) rewriteTombstones(g message.GroupID, ttl uint64) error {
	var units []unit
	err := s.db.View(func(txn kvTxn) error {
		return eachTombstoneOf(txn, g, func(key []byte) {
			units = append(units, unit{{key: key, value: bytes.Clone(g[:]), expiresAt: ttl}})
		})
	})
	if err != nil {
		return err
	}
	return s.applyUnits(units)
}

// eachTombstoneOf calls fn with the key of each tombstone of group g. It
// scans every tombstone: deletions are few.
func eachTombstoneOf(txn kvTxn, g message.GroupID, fn func(key []byte)) error {
	return eachKey(txn, prefixTomb, func(item kvItem) error {
		return item.Value(func(v []byte) error {
			if bytes.Equal(v, g[:]) {
				fn(item.KeyCopy(nil))
			}
			return nil
		})
	})
}
