package store

import (
	"errors"
	"fmt"

	"starling/message"
)

// Get returns a stored message, ErrDeleted when it was deleted, ErrNotFound
// when there is none (ErrDeleted wraps it too), or ErrCorrupt when its
// record does not decode.
func (s *Store) Get(id message.ID) (Stored, error) {
	var st Stored
	err := s.view(func(txn kvTxn) error {
		var err error
		st, err = getMessage(txn, id)
		if errors.Is(err, ErrCorrupt) {
			s.skipCorrupt(messageKey(id), err) // counted and reported; still the answer
		}
		if errors.Is(err, ErrNotFound) {
			if dead, lerr := exists(txn, tombstoneKey(id)); lerr != nil {
				err = lerr
			} else if dead {
				err = ErrDeleted
			}
		}
		return err
	})
	if err != nil {
		return Stored{}, fmt.Errorf("get message %s: %w", id.Short(), err)
	}
	return st, nil
}

// Has reports whether the store knows a message: holds it, or holds its
// tombstone (Deleted tells which). Either way a copy arriving now would not
// be stored, so gossip treats it as seen. It reads keys only, so it is
// cheap enough for the gossip validator to call on every message. A message
// still in the writer's queue is not stored yet.
func (s *Store) Has(id message.ID) (bool, error) {
	found := false
	err := s.view(func(txn kvTxn) error {
		var err error
		if found, err = exists(txn, messageKey(id)); found || err != nil {
			return err
		}
		found, err = exists(txn, tombstoneKey(id))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("look up message %s: %w", id.Short(), err)
	}
	return found, nil
}

// Item is one entry of a group's time index: what negentropy reconciles.
type Item struct {
	SentAtMS uint64
	ID       message.ID
}

// Items returns every (sent_at, id) of a group in ascending order, read from
// the index keys alone; a malformed key is skipped (Skipped).
func (s *Store) Items(group message.GroupID) ([]Item, error) {
	var items []Item
	err := s.view(func(txn kvTxn) error {
		return s.eachIndexKey(txn, group, func(sentAtMS uint64, id message.ID) {
			items = append(items, Item{SentAtMS: sentAtMS, ID: id})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list items of group %s: %w", group.Short(), err)
	}
	return items, nil
}

// Count returns how many messages of a group are stored.
func (s *Store) Count(group message.GroupID) (int, error) {
	n := 0
	err := s.view(func(txn kvTxn) error {
		return s.eachIndexKey(txn, group, func(uint64, message.ID) { n++ })
	})
	if err != nil {
		return 0, fmt.Errorf("count messages of group %s: %w", group.Short(), err)
	}
	return n, nil
}

// getMessage reads and decodes the message stored under id.
func getMessage(txn kvTxn, id message.ID) (Stored, error) {
	item, err := txn.Get(messageKey(id))
	if errors.Is(err, errKeyNotFound) {
		return Stored{}, ErrNotFound
	}
	if err != nil {
		return Stored{}, err
	}
	rec, err := item.ValueCopy(nil)
	if err != nil {
		// The key is there but Badger cannot read its value (a damaged
		// value pointer or value-log entry): the record is damaged.
		return Stored{}, fmt.Errorf("%w: message %s: its value cannot be read: %w", ErrCorrupt, id.Short(), err)
	}
	return decodeRecord(id, rec)
}

// ignoreNotFound turns Badger's ErrKeyNotFound into nil.
func ignoreNotFound(err error) error {
	if errors.Is(err, errKeyNotFound) {
		return nil
	}
	return err
}

// exists looks a key up without reading its value.
func exists(txn kvTxn, key []byte) (bool, error) {
	_, err := txn.Get(key)
	if errors.Is(err, errKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// eachIndexKey calls fn for each index entry of group in ascending order,
// iterating keys only and skipping malformed ones.
func (s *Store) eachIndexKey(txn kvTxn, group message.GroupID, fn func(sentAtMS uint64, id message.ID)) error {
	return eachKey(txn, indexPrefix(group), func(item kvItem) error {
		_, sentAtMS, id, ok := parseIndexKey(item.Key())
		if !ok {
			return s.skipCorrupt(item.KeyCopy(nil), fmt.Errorf("%w: index key of %d bytes", ErrCorrupt, len(item.Key())))
		}
		fn(sentAtMS, id)
		return nil
	})
}

// errStop ends an eachKey early without an error.
var errStop = errors.New("stop iterating")

// eachKey calls fn for each key with prefix in ascending order, without
// prefetching values, until fn returns an error (errStop to just stop). The
// item is valid only during the call.
func eachKey(txn kvTxn, prefix []byte, fn func(item kvItem) error) error {
	it := txn.NewIterator(iterOptions{Prefix: prefix})
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		if err := fn(it.Item()); err != nil {
			return err
		}
	}
	return nil
}
