package store

import (
	"fmt"

	"starling/message"
)

// KindIDs returns the IDs of a group's stored messages of kind k, read from
// the kind index's keys alone (no message is read), so it is cheap even
// for large messages such as a picture's chunks. Asking for text is an
// error: texts have no kind index entry.
func (s *Store) KindIDs(group message.GroupID, k message.Kind) (map[message.ID]bool, error) {
	if !indexed(k) {
		return nil, fmt.Errorf("IDs of group %s of kind %s: that kind is not in the kind index", group.Short(), k)
	}
	out := map[message.ID]bool{}
	err := s.view(func(txn kvTxn) error {
		it := txn.NewIterator(iterOptions{Prefix: kindPrefixOf(group, k)})
		defer it.Close()
		p := kindPrefixOf(group, k)
		for it.Seek(p); it.ValidForPrefix(p); it.Next() {
			if _, _, _, id, ok := parseKindKey(it.Item().Key()); ok {
				out[id] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("IDs of group %s of kind %s: %w", group.Short(), k, err)
	}
	return out, nil
}
