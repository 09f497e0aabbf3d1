package store

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"starling/message"
)

// Group is a group this node has joined.
type Group struct {
	ID   message.GroupID
	Name string
	// Kind is the group kind; "open" for now.
	Kind     string
	JoinedAt time.Time
}

// groupRecord is a Group on disk; the ID is in the key.
type groupRecord struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	JoinedAt int64  `json:"joined_at_ns,omitempty"`
}

// PutGroup records a joined group, replacing any earlier record, synced to
// disk before it returns. A zero JoinedAt is set to the store's clock.
func (s *Store) PutGroup(g Group) error {
	if g.JoinedAt.IsZero() {
		g.JoinedAt = s.cfg.Clock()
	}
	v, err := json.Marshal(groupRecord{Name: g.Name, Kind: g.Kind, JoinedAt: timeNS(g.JoinedAt)})
	if err != nil {
		return fmt.Errorf("save group %s: %w", g.ID.Short(), err)
	}
	err = s.update(true, func(txn *badger.Txn) error {
		return txn.Set(groupKey(g.ID), v)
	})
	if err != nil {
		return fmt.Errorf("save group %s: %w", g.ID.Short(), err)
	}
	return nil
}

// Group returns a joined group, or ErrNotFound.
func (s *Store) Group(id message.GroupID) (Group, error) {
	var g Group
	err := s.view(func(txn *badger.Txn) error {
		item, err := txn.Get(groupKey(id))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		g, err = decodeGroup(item)
		return err
	})
	if err != nil {
		return Group{}, fmt.Errorf("get group %s: %w", id.Short(), err)
	}
	return g, nil
}

// Groups returns every joined group, sorted by name (then ID).
func (s *Store) Groups() ([]Group, error) {
	var gs []Group
	err := s.view(func(txn *badger.Txn) error {
		return eachKey(txn, prefixGroup, func(item *badger.Item) error {
			g, err := decodeGroup(item)
			gs = append(gs, g)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	slices.SortFunc(gs, func(a, b Group) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), slices.Compare(a.ID[:], b.ID[:]))
	})
	return gs, nil
}

// RemoveGroup forgets a joined group. Its messages stay. Removing a group
// that is not there is not an error.
func (s *Store) RemoveGroup(id message.GroupID) error {
	err := s.update(true, func(txn *badger.Txn) error {
		return txn.Delete(groupKey(id))
	})
	if err != nil {
		return fmt.Errorf("remove group %s: %w", id.Short(), err)
	}
	return nil
}

func decodeGroup(item *badger.Item) (Group, error) {
	k := item.Key()
	if len(k) != groupKeyLen {
		return Group{}, fmt.Errorf("%w: group key of %d bytes", ErrCorrupt, len(k))
	}
	var g Group
	copy(g.ID[:], k[prefixLen:])
	var rec groupRecord
	if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
		return Group{}, fmt.Errorf("%w: group %s: %w", ErrCorrupt, g.ID.Short(), err)
	}
	g.Name, g.Kind, g.JoinedAt = rec.Name, rec.Kind, timeFromNS(rec.JoinedAt)
	return g, nil
}
