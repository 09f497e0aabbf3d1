package group

import (
	"crypto/ed25519"
	"fmt"

	"starling/message"
)

// SealKeyTo seals key to one member, for tests that forge key deliveries.
func SealKeyTo(id message.GroupID, epoch uint64, key []byte, member ed25519.PublicKey, x25519 []byte) (KeyEntry, error) {
	es, err := sealEntries(id, epoch, key, []recipient{{member, x25519}})
	if err != nil {
		return KeyEntry{}, err
	}
	return es[0], nil
}

// TombDebug describes the tombstones of target, for debugging tests.
func (s *State) TombDebug(target message.ID) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := s.viewLocked()
	out := ""
	ta, known := s.targetAuthor(target)
	out += fmt.Sprintf("target author known %v %x; ", known, ta[:2])
	for _, tid := range s.byTarget[target] {
		t := s.tombs[tid]
		out += fmt.Sprintf("tomb %s by %x valid %v; ", tid.Short(), t.author[:2], s.tombValidIn(v, tid, t))
	}
	return out
}
