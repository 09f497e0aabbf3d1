package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Peer is a known peer: a libp2p peer ID and multiaddrs, as strings (this
// package does not import libp2p).
type Peer struct {
	ID       string
	Addrs    []string
	LastSeen time.Time
	// Relay marks an organiser relay (from the config or an invite): the
	// node reserves a slot on it after a restart too.
	Relay bool
}

// peerRecord is a Peer on disk; the ID is in the key.
type peerRecord struct {
	Addrs    []string `json:"addrs"`
	LastSeen int64    `json:"last_seen_ns,omitempty"`
	Relay    bool     `json:"relay,omitempty"`
}

// PutPeer records a peer, replacing any earlier record. It is not synced: a
// lost peer record is found again.
func (s *Store) PutPeer(p Peer) error {
	if p.ID == "" {
		return errors.New("save peer: the peer ID is empty")
	}
	v, err := json.Marshal(peerRecord{Addrs: p.Addrs, LastSeen: timeNS(p.LastSeen), Relay: p.Relay})
	if err != nil {
		return fmt.Errorf("save peer %s: %w", p.ID, err)
	}
	err = s.update(false, func(txn kvTxn) error {
		return txn.Set(peerKey(p.ID), v)
	})
	if err != nil {
		return fmt.Errorf("save peer %s: %w", p.ID, err)
	}
	return nil
}

// Peers returns every known peer, sorted by ID.
func (s *Store) Peers() ([]Peer, error) {
	var ps []Peer
	err := s.view(func(txn kvTxn) error {
		return eachKey(txn, prefixPeer, func(item kvItem) error {
			p, err := decodePeer(item)
			if err != nil {
				return s.skipCorrupt(item.KeyCopy(nil), err)
			}
			ps = append(ps, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list peers: %w", err)
	}
	return ps, nil
}

// RemovePeer forgets a peer. Removing a peer that is not there is not an
// error.
func (s *Store) RemovePeer(id string) error {
	if id == "" {
		return errors.New("remove peer: the peer ID is empty")
	}
	err := s.update(false, func(txn kvTxn) error {
		return txn.Delete(peerKey(id))
	})
	if err != nil {
		return fmt.Errorf("remove peer %s: %w", id, err)
	}
	return nil
}

func decodePeer(item kvItem) (Peer, error) {
	p := Peer{ID: string(item.Key()[prefixLen:])}
	var rec peerRecord
	if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
		return Peer{}, fmt.Errorf("%w: peer %q: %w", ErrCorrupt, p.ID, err)
	}
	p.Addrs, p.LastSeen, p.Relay = rec.Addrs, timeFromNS(rec.LastSeen), rec.Relay
	return p, nil
}
