package gossip

import (
	"sync"

	"starling/message"
)

// Verified remembers the signatures that checked out, for the nodes of
// one process that all receive the same messages: the simulator's, where
// each of thousands of nodes would otherwise check every message's
// signature again. Whether a signature is good is a function of the
// signed bytes alone (the body, whose hash is the ID and which names the
// author, and the signature), so sharing the answer changes no decision;
// a bad signature is never remembered and is checked every time. It
// holds at most max entries, forgetting all of them when full. Safe for
// concurrent use. A node on its own has no use for one (Config.Verified
// nil).
type Verified struct {
	mu   sync.Mutex
	good map[verifiedKey]struct{}
	max  int
}

type verifiedKey struct {
	id  message.ID
	sig [64]byte
}

// NewVerified returns an empty Verified of at most max entries.
func NewVerified(max int) *Verified {
	return &Verified{good: map[verifiedKey]struct{}{}, max: max}
}

// verify checks m's signature unless v already saw it check out.
func (v *Verified) verify(m *message.Message) error {
	if v == nil || len(m.Signature) != 64 {
		return m.VerifySignature()
	}
	k := verifiedKey{id: m.ID, sig: [64]byte(m.Signature)}
	v.mu.Lock()
	_, ok := v.good[k]
	v.mu.Unlock()
	if ok {
		return nil
	}
	if err := m.VerifySignature(); err != nil {
		return err
	}
	v.mu.Lock()
	if len(v.good) >= v.max {
		clear(v.good)
	}
	v.good[k] = struct{}{}
	v.mu.Unlock()
	return nil
}
