package store

import (
	"bytes"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
)

// Reads that list records (History, Kinds, Items, Count, Outbox, Groups,
// Blocks, Peers, and Open's own reads) skip a damaged record instead of
// failing: they count it (Skipped) and warn once per record, naming
// `starling store check --repair`, which quarantines it. Get still answers
// ErrCorrupt for the one message asked for, and counts it too.

// maxWarned bounds the records whose first skip is remembered, so that a
// badly damaged store does not log every read of every record.
const maxWarned = 1024

// skips counts and reports the damaged records reads skip.
type skips struct {
	n      atomic.Uint64
	mu     sync.Mutex
	warned map[string]bool
}

// Skipped counts the damaged records reads skipped (or Get refused) since
// Open.
func (s *Store) Skipped() uint64 { return s.skips.n.Load() }

// skipCorrupt is how a listing read treats a record that failed with err: a
// damaged record (ErrCorrupt) is counted, reported and skipped (nil);
// anything else, such as an I/O error, is returned.
func (s *Store) skipCorrupt(key []byte, err error) error {
	if err == nil || !errors.Is(err, ErrCorrupt) {
		return err
	}
	s.skips.n.Add(1)
	s.skips.mu.Lock()
	first := !s.skips.warned[string(key)] && len(s.skips.warned) < maxWarned
	if first {
		if s.skips.warned == nil {
			s.skips.warned = make(map[string]bool)
		}
		s.skips.warned[string(key)] = true
	}
	s.skips.mu.Unlock()
	if first {
		s.log.Warn("skipped a damaged record; `starling store check --repair` quarantines it",
			"key", keyName(key), "err", err)
	}
	return nil
}

// keyName shows a key for people: its printable prefix and the rest in hex.
func keyName(k []byte) string {
	if i := bytes.IndexByte(k, '/'); i >= 0 && i < 4 {
		return string(k[:i+1]) + hex.EncodeToString(k[i+1:])
	}
	return hex.EncodeToString(k)
}
