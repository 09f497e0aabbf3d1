package store

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"starling/message"
)

// MaxGroupStateSize caps a group's state (PutGroupState). It fits a single
// transaction at the smallest memtable (MinMemTableSize).
const MaxGroupStateSize = 128 << 10

// Group is a group this node has joined, or has left (LeftAt is set). The
// node keeps whatever else it needs of a group in the group's state
// (PutGroupState).
type Group struct {
	ID   message.GroupID
	Name string
	// Kind is the group kind, as the node names it ("open", ...).
	Kind     string
	JoinedAt time.Time
	// Ticket is the relay ticket of the invite the group was joined with,
	// presented to that invite's relays (Relays, peer IDs) and no others.
	Ticket []byte
	Relays []string
	// LeftAt is when this user left the group (LeaveGroup); zero for a
	// joined group.
	LeftAt time.Time
}

// groupRecord is a Group on disk; the ID is in the key.
type groupRecord struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	JoinedAt int64    `json:"joined_at_ns,omitempty"`
	Ticket   []byte   `json:"ticket,omitempty"`
	Relays   []string `json:"relays,omitempty"`
	LeftAt   int64    `json:"left_at_ns,omitempty"`
}

// PutGroup records a joined group (or a left one, if LeftAt is set),
// replacing any earlier record, synced to disk before it returns: so
// putting a left group with a zero LeftAt joins it again. A zero JoinedAt
// is set to the store's clock. The
// record expires with the group (ExpireGroup); once the group has expired,
// PutGroup fails with ErrExpired.
func (s *Store) PutGroup(g Group) error {
	if g.JoinedAt.IsZero() {
		g.JoinedAt = s.cfg.Clock()
	}
	v, err := encodeGroup(g)
	if err == nil {
		err = s.setGroupRecord(g.ID, groupKey(g.ID), v)
	}
	if err != nil {
		return fmt.Errorf("save group %s: %w", g.ID.Short(), err)
	}
	return nil
}

// Group returns a joined group, or ErrNotFound (also for a left one).
func (s *Store) Group(id message.GroupID) (Group, error) {
	g, err := s.groupRecord(id)
	if err == nil && !g.LeftAt.IsZero() {
		err = ErrNotFound
	}
	if err != nil {
		return Group{}, fmt.Errorf("get group %s: %w", id.Short(), err)
	}
	return g, nil
}

// LeftGroup returns a group this user has left (LeaveGroup), or ErrNotFound
// (also for a joined one).
func (s *Store) LeftGroup(id message.GroupID) (Group, error) {
	g, err := s.groupRecord(id)
	if err == nil && g.LeftAt.IsZero() {
		err = ErrNotFound
	}
	if err != nil {
		return Group{}, fmt.Errorf("get left group %s: %w", id.Short(), err)
	}
	return g, nil
}

// groupRecord reads a group's record, joined or left.
func (s *Store) groupRecord(id message.GroupID) (Group, error) {
	var g Group
	err := s.view(func(txn kvTxn) error {
		item, err := txn.Get(groupKey(id))
		if errors.Is(err, errKeyNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		g, err = decodeGroup(item)
		return err
	})
	return g, err
}

// Groups returns every joined group, sorted by name (then ID).
func (s *Store) Groups() ([]Group, error) { return s.groups(false) }

// LeftGroups returns every group this user has left and the store still
// remembers, sorted by name (then ID).
func (s *Store) LeftGroups() ([]Group, error) { return s.groups(true) }

func (s *Store) groups(left bool) ([]Group, error) {
	var gs []Group
	err := s.view(func(txn kvTxn) error {
		return eachKey(txn, prefixGroup, func(item kvItem) error {
			g, err := decodeGroup(item)
			if err != nil {
				return s.skipCorrupt(item.KeyCopy(nil), err)
			}
			if g.LeftAt.IsZero() != left {
				gs = append(gs, g)
			}
			return nil
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

// LeaveGroup marks a joined group as left at the given time (zero: the
// store's clock) and returns it: Group and Groups no longer list it,
// LeftGroup and LeftGroups do. Its messages, state (so that its history
// can still be read), tombstones and expiry stay; PutGroup with a zero
// LeftAt joins it again, RemoveGroup forgets it. A group that is not
// joined is ErrNotFound.
func (s *Store) LeaveGroup(id message.GroupID, at time.Time) (Group, error) {
	if at.IsZero() {
		at = s.cfg.Clock()
	}
	return s.UpdateGroup(id, func(g *Group) bool {
		g.LeftAt = at
		return true
	})
}

// UpdateGroup changes a joined group's record with f in one transaction,
// so that no concurrent LeaveGroup is undone by a record read before it;
// f reports whether it changed anything. It returns the record as it is
// then. A group that is not joined (never, or left) is ErrNotFound and f
// does not run.
func (s *Store) UpdateGroup(id message.GroupID, f func(*Group) bool) (Group, error) {
	s.expMu.RLock() // as setGroupRecord
	defer s.expMu.RUnlock()
	ttl, refused := s.expiresAtLocked(id)
	if refused {
		return Group{}, fmt.Errorf("update group %s: %w: its content is deleted", id.Short(), ErrExpired)
	}
	var g Group
	err := s.update(true, func(txn kvTxn) error {
		item, err := txn.Get(groupKey(id))
		if errors.Is(err, errKeyNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if g, err = decodeGroup(item); err != nil {
			return err
		}
		if !g.LeftAt.IsZero() {
			return ErrNotFound
		}
		if !f(&g) {
			return nil
		}
		v, err := encodeGroup(g)
		if err != nil {
			return err
		}
		return txn.SetEntry(groupKey(id), v, ttl)
	})
	if err != nil {
		return Group{}, fmt.Errorf("update group %s: %w", id.Short(), err)
	}
	return g, nil
}

// RemoveGroup forgets a group, joined or left, and its state (the
// secrets go with it). Its messages, tombstones and expiry stay; DeleteGroup removes
// those too. Removing a group that is not there is not an error.
func (s *Store) RemoveGroup(id message.GroupID) error {
	s.expMu.RLock() // as setGroupRecord
	defer s.expMu.RUnlock()
	err := s.update(true, func(txn kvTxn) error {
		if err := txn.Delete(groupKey(id)); err != nil {
			return err
		}
		return txn.Delete(stateKey(id))
	})
	if err != nil {
		return fmt.Errorf("remove group %s: %w", id.Short(), err)
	}
	return nil
}

// PutGroupState replaces a group's state: opaque bytes the node keeps for
// the group (its secret, epoch keys, descriptor), at most
// MaxGroupStateSize, synced to disk before it returns. The store does not
// encrypt them: they are as safe as the store directory, which Open keeps
// private to the user (mode 0700). The state expires with the group; once
// the group has expired, PutGroupState fails with ErrExpired.
func (s *Store) PutGroupState(group message.GroupID, state []byte) error {
	if len(state) > MaxGroupStateSize {
		return fmt.Errorf("save state of group %s: %d bytes, more than the %d a group's state may have",
			group.Short(), len(state), MaxGroupStateSize)
	}
	if err := s.setGroupRecord(group, stateKey(group), state); err != nil {
		return fmt.Errorf("save state of group %s: %w", group.Short(), err)
	}
	return nil
}

// GroupState returns a group's state (a copy), or ErrNotFound.
func (s *Store) GroupState(group message.GroupID) ([]byte, error) {
	var state []byte
	err := s.view(func(txn kvTxn) error {
		item, err := txn.Get(stateKey(group))
		if errors.Is(err, errKeyNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		state, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get state of group %s: %w", group.Short(), err)
	}
	return state, nil
}

// setGroupRecord writes a record of group g (its group record or state)
// with the group's TTL, synced. It holds expMu for reading, so that
// ExpireGroup's rewrite of the records cannot miss it.
func (s *Store) setGroupRecord(g message.GroupID, key, v []byte) error {
	s.expMu.RLock()
	defer s.expMu.RUnlock()
	ttl, refused := s.expiresAtLocked(g)
	if refused {
		return fmt.Errorf("%w: its content is deleted; join it again only if it is extended", ErrExpired)
	}
	return s.update(true, func(txn kvTxn) error {
		return txn.SetEntry(key, v, ttl)
	})
}

// encodeGroup is the inverse of decodeGroup, but for the ID in the key.
func encodeGroup(g Group) ([]byte, error) {
	return json.Marshal(groupRecord{Name: g.Name, Kind: g.Kind, JoinedAt: timeNS(g.JoinedAt), Ticket: g.Ticket, Relays: g.Relays, LeftAt: timeNS(g.LeftAt)})
}

func decodeGroup(item kvItem) (Group, error) {
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
	g.Ticket, g.Relays = rec.Ticket, rec.Relays
	g.LeftAt = timeFromNS(rec.LeftAt)
	return g, nil
}
