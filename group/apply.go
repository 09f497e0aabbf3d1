package group

import (
	"bytes"
	"crypto/ed25519"
	"slices"

	"starling/message"
)

// Effects tells the node what an applied message changes beyond the State.
type Effects struct {
	// Deleted are messages to hide and stop serving (a tombstone's target).
	// The node removes a target only if it belongs to this group.
	Deleted []message.ID
	// BannedAuthor's messages sent after BannedAfterMS are to be dropped
	// from the store and the views; nil: no ban.
	BannedAuthor  ed25519.PublicKey
	BannedAfterMS uint64
	// DescriptorChanged: the current descriptor is another one now (name,
	// roles, end time, slow mode, removed members).
	DescriptorChanged bool
	// NewKey: this node learnt an epoch key. Messages it ignored for an
	// unknown key may open now; catch-up will bring them again.
	NewKey bool
}

// Apply records a message the node has stored after Check accepted it (or
// replays one from the store); c is its content from Check or Open. Apply is
// idempotent and order-independent, and it does not re-check roles: what
// was accepted stays applied. A message of another group, or content that
// does not match its kind, changes nothing; so does anything applied to a
// carrier, which cannot tell admins from members.
func (s *State) Apply(m *message.Message, c Content) Effects {
	if m.Body.Group != s.id || s.carrier != nil || c == nil || c.MessageKind() != m.Body.Kind {
		return Effects{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch c := c.(type) {
	case Descriptor:
		return s.applyDescriptorLocked(m, c)
	case Delete:
		s.deleted[m.Body.Ref] = struct{}{}
		return Effects{Deleted: []message.ID{m.Body.Ref}}
	case Ban:
		if len(c.Author) != ed25519.PublicKeySize {
			return Effects{}
		}
		k := key32(c.Author)
		if at, ok := s.bans[k]; !ok || m.Body.SentAtMS < at {
			s.bans[k] = m.Body.SentAtMS
		}
		return Effects{BannedAuthor: slices.Clone(c.Author), BannedAfterMS: s.bans[k]}
	case Profile:
		s.applyProfileLocked(m, c)
	case Rekey:
		return s.applyRekeyLocked(m, c)
	}
	return Effects{}
}

func (s *State) applyDescriptorLocked(m *message.Message, d Descriptor) Effects {
	if _, ok := s.descs[m.ID]; ok {
		return Effects{}
	}
	e := &descEntry{d: d.clone(), m: m}
	s.descs[m.ID] = e
	for _, a := range d.Admins {
		s.everAdmins[key32(a)] = struct{}{}
	}
	for _, r := range d.Removed {
		k := key32(r)
		if at, ok := s.removedAt[k]; !ok || m.Body.SentAtMS < at {
			s.removedAt[k] = m.Body.SentAtMS
		}
	}
	if s.cur != nil && !better(e, s.cur) {
		return Effects{}
	}
	s.cur = e
	return Effects{DescriptorChanged: true}
}

// better: the higher version wins; between equal versions the lower ID.
func better(a, b *descEntry) bool {
	if a.d.Version != b.d.Version {
		return a.d.Version > b.d.Version
	}
	return bytes.Compare(a.m.ID[:], b.m.ID[:]) < 0
}

func (s *State) applyProfileLocked(m *message.Message, p Profile) {
	k := key32(m.Body.Author)
	old, ok := s.profiles[k]
	if ok && (old.sentAt > m.Body.SentAtMS ||
		old.sentAt == m.Body.SentAtMS && bytes.Compare(old.id[:], m.ID[:]) <= 0) {
		return
	}
	s.profiles[k] = profileEntry{p: Profile{Nick: p.Nick, X25519: slices.Clone(p.X25519)}, sentAt: m.Body.SentAtMS, id: m.ID}
}

func (s *State) applyRekeyLocked(m *message.Message, r Rekey) Effects {
	if s.me == nil || s.kind != KindPrivate {
		return Effects{}
	}
	key, found, err := openRekey(&r, s.id, m.Body.Epoch, s.me)
	if err != nil || !found {
		return Effects{}
	}
	added := s.addKeyLocked(m.Body.Epoch, key)
	s.epochs[m.Body.Epoch].byRekey[m.ID] = KeyIDOf(key)
	return Effects{NewKey: added}
}
