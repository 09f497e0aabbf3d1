package store

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"
)

// Block modes: what the user asked to do with an author's messages. The node
// gives them their meaning; the store only keeps the list.
const (
	ModeBlock = "block"
	ModeMute  = "mute"
)

// Block is an author the user blocked or muted on this node.
type Block struct {
	Author ed25519.PublicKey
	Mode   string // ModeBlock or ModeMute
	Since  time.Time
}

// blockRecord is a Block on disk; the author is in the key.
type blockRecord struct {
	Mode  string `json:"mode"`
	Since int64  `json:"since_ns,omitempty"`
}

// PutBlock blocks or mutes an author (mode ModeBlock or ModeMute), replacing
// any earlier mode, synced to disk before it returns. Since is set to the
// store's clock.
func (s *Store) PutBlock(author ed25519.PublicKey, mode string) error {
	if err := checkAuthor(author); err != nil {
		return fmt.Errorf("block author: %w", err)
	}
	if mode != ModeBlock && mode != ModeMute {
		return fmt.Errorf("block author: mode %q: want %q or %q", mode, ModeBlock, ModeMute)
	}
	v, err := json.Marshal(blockRecord{Mode: mode, Since: timeNS(s.cfg.Clock())})
	if err == nil {
		err = s.update(true, func(txn kvTxn) error { return txn.Set(blockKey(author), v) })
	}
	if err != nil {
		return fmt.Errorf("block author: %w", err)
	}
	return nil
}

// RemoveBlock unblocks or unmutes an author. Removing an author that is not
// there is not an error.
func (s *Store) RemoveBlock(author ed25519.PublicKey) error {
	if err := checkAuthor(author); err != nil {
		return fmt.Errorf("unblock author: %w", err)
	}
	err := s.update(true, func(txn kvTxn) error { return txn.Delete(blockKey(author)) })
	if err != nil {
		return fmt.Errorf("unblock author: %w", err)
	}
	return nil
}

// Blocks returns every blocked or muted author, sorted by key.
func (s *Store) Blocks() ([]Block, error) {
	var bs []Block
	err := s.view(func(txn kvTxn) error {
		return eachKey(txn, prefixBlock, func(item kvItem) error {
			b, err := decodeBlock(item)
			if err != nil {
				return s.skipCorrupt(item.KeyCopy(nil), err)
			}
			bs = append(bs, b)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list blocked authors: %w", err)
	}
	return bs, nil
}

func checkAuthor(author ed25519.PublicKey) error {
	if len(author) != ed25519.PublicKeySize {
		return fmt.Errorf("author key of %d bytes; an Ed25519 public key has %d", len(author), ed25519.PublicKeySize)
	}
	return nil
}

func decodeBlock(item kvItem) (Block, error) {
	k := item.Key()
	if len(k) != blockKeyLen {
		return Block{}, fmt.Errorf("%w: block key of %d bytes", ErrCorrupt, len(k))
	}
	b := Block{Author: ed25519.PublicKey(bytes.Clone(k[prefixLen:]))}
	var rec blockRecord
	if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
		return Block{}, fmt.Errorf("%w: block record: %w", ErrCorrupt, err)
	}
	if rec.Mode != ModeBlock && rec.Mode != ModeMute {
		return Block{}, fmt.Errorf("%w: block record with mode %q", ErrCorrupt, rec.Mode)
	}
	b.Mode, b.Since = rec.Mode, timeFromNS(rec.Since)
	return b, nil
}
