package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"starling/message"
)

// Outbox returns the user's own messages that no peer has received yet,
// oldest first. PutOwn adds to it; RemoveOutbox takes a message out once a
// peer has it.
func (s *Store) Outbox() ([]*message.Message, error) {
	var out []*message.Message
	err := s.view(func(txn kvTxn) error {
		entries, err := s.outboxEntries(txn)
		if err != nil {
			return err
		}
		for _, e := range entries {
			st, err := getMessage(txn, e.id)
			switch {
			case errors.Is(err, ErrNotFound) && expired(e.ttl):
				continue // its group expired a moment ago
			case errors.Is(err, ErrNotFound):
				err = fmt.Errorf("%w: outbox entry for message %s has no message", ErrCorrupt, e.id.Short())
			}
			if err != nil {
				if err := s.skipCorrupt(outboxKey(e.id), err); err != nil {
					return fmt.Errorf("outbox entry for message %s: %w", e.id.Short(), err)
				}
				continue
			}
			out = append(out, st.Msg)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return out, nil
}

// RemoveOutbox takes a message out of the outbox. Removing a message that is
// not there is not an error. It runs on the writer, which also rewrites
// outbox entries (ExpireGroup), so that neither undoes the other.
func (s *Store) RemoveOutbox(id message.ID) error {
	err := s.do(context.Background(), func() error {
		return s.db.Update(func(txn kvTxn) error { return txn.Delete(outboxKey(id)) })
	})
	if err != nil {
		return fmt.Errorf("remove message %s from the outbox: %w", id.Short(), err)
	}
	return nil
}

type outboxEntry struct {
	seq uint64
	id  message.ID
	ttl uint64 // its message has the same; once passed, either may be hidden
}

// outboxEntries returns the outbox in sequence order, skipping malformed
// entries.
func (s *Store) outboxEntries(txn kvTxn) ([]outboxEntry, error) {
	var entries []outboxEntry
	err := eachKey(txn, prefixOutbox, func(item kvItem) error {
		e, err := parseOutboxEntry(item)
		if err != nil {
			return s.skipCorrupt(item.KeyCopy(nil), err)
		}
		entries = append(entries, e)
		return nil
	})
	slices.SortFunc(entries, func(a, b outboxEntry) int { return cmp.Compare(a.seq, b.seq) })
	return entries, err
}

func parseOutboxEntry(item kvItem) (outboxEntry, error) {
	id, ok := idFromKey(item.Key())
	if !ok {
		return outboxEntry{}, fmt.Errorf("%w: outbox key of %d bytes", ErrCorrupt, len(item.Key()))
	}
	var seq uint64
	err := item.Value(func(v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("%w: outbox entry for message %s has %d bytes", ErrCorrupt, id.Short(), len(v))
		}
		seq = binary.BigEndian.Uint64(v)
		return nil
	})
	return outboxEntry{seq: seq, id: id, ttl: item.ExpiresAt()}, err
}

// lastOutboxSeq returns the highest outbox sequence number in use, where the
// writer continues.
func (s *Store) lastOutboxSeq() (uint64, error) {
	var last uint64
	err := s.db.View(func(txn kvTxn) error {
		entries, err := s.outboxEntries(txn)
		if len(entries) > 0 {
			last = entries[len(entries)-1].seq
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	return last, nil
}
