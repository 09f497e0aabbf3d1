package store

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"

	"starling/message"
)

// Kinds returns a group's stored messages of the given kinds, in (sent_at,
// ID) order; with no kinds, those of every kind but text. It reads a second
// index that holds every message whose kind is not text, so a node can
// replay a group's descriptors, moderation, key deliveries and profiles at
// start-up without reading its texts. Asking for text is an error: read
// texts with History.
func (s *Store) Kinds(group message.GroupID, kinds ...message.Kind) ([]Stored, error) {
	prefixes := [][]byte{kindPrefix(group)}
	if len(kinds) > 0 {
		prefixes = prefixes[:0]
		for _, k := range kinds {
			if !indexed(k) {
				return nil, fmt.Errorf("messages of group %s of kind %s: that kind is not in the kind index; read it with History",
					group.Short(), k)
			}
			p := kindPrefixOf(group, k)
			if !slices.ContainsFunc(prefixes, func(q []byte) bool { return bytes.Equal(p, q) }) {
				prefixes = append(prefixes, p)
			}
		}
	}
	var out []Stored
	err := s.view(func(txn kvTxn) error {
		for _, p := range prefixes {
			if err := eachKey(txn, p, func(item kvItem) error {
				st, ok, err := kindEntry(txn, item)
				if ok {
					out = append(out, st)
				}
				return s.skipCorrupt(item.KeyCopy(nil), err)
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("messages of group %s by kind: %w", group.Short(), err)
	}
	slices.SortFunc(out, func(a, b Stored) int {
		return cmp.Or(cmp.Compare(a.Msg.Body.SentAtMS, b.Msg.Body.SentAtMS), slices.Compare(a.Msg.ID[:], b.Msg.ID[:]))
	})
	return out, nil
}

// kindEntry reads the message of a kind index entry and checks that they
// agree. ok is false when the message expired a moment ago.
func kindEntry(txn kvTxn, item kvItem) (Stored, bool, error) {
	k := item.Key()
	g, kind, sentAtMS, id, ok := parseKindKey(k)
	if !ok {
		return Stored{}, false, fmt.Errorf("%w: kind index key of %d bytes", ErrCorrupt, len(k))
	}
	st, err := getMessage(txn, id)
	switch {
	case errors.Is(err, ErrNotFound) && expiring(item):
		return Stored{}, false, nil
	case errors.Is(err, ErrNotFound):
		return Stored{}, false, fmt.Errorf("%w: kind index entry for message %s has no message", ErrCorrupt, id.Short())
	case err != nil:
		return Stored{}, false, fmt.Errorf("kind index entry for message %s: %w", id.Short(), err)
	}
	if b := st.Msg.Body; b.Group != g || b.Kind != kind || b.SentAtMS != sentAtMS {
		return Stored{}, false, fmt.Errorf("%w: kind index entry for message %s disagrees with the message", ErrCorrupt, id.Short())
	}
	return st, true, nil
}
