package group

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"slices"

	"starling/message"
)

// Effects tells the node what an applied message changes beyond the State.
type Effects struct {
	// Deleted are messages to hide and stop serving (a valid tombstone's
	// target). The node removes a target only if it belongs to this group.
	Deleted []message.ID
	// Recheck are authors whose standing changed otherwise than by a gain
	// (a role or membership): some of their stored messages in the group
	// may no longer be valid (a revocation, or an admin's Op voided by the
	// owner's), so the node checks them again and drops what Check no
	// longer accepts. What became valid again comes back by catch-up.
	Recheck []ed25519.PublicKey
	// DescriptorChanged: the group's settings or roles changed.
	DescriptorChanged bool
	// NewKey: this node learnt an epoch key. Messages it ignored for an
	// unknown key may open now; catch-up will bring them again.
	NewKey bool
	// SelfChanged: the local user's standing changed (see Standing).
	SelfChanged bool
}

// Apply records a message the node has stored after Check accepted it (or
// replays one from the store); c is its content from Check or Open (nil for
// what a carrier cannot open). Apply is idempotent and order-independent:
// what it changes is the set of Ops, parts, profiles and tombstones the
// State resolves. A message of another group, or content that does not
// match its kind, changes nothing.
func (s *State) Apply(m *message.Message, c Content) Effects {
	if m.Body.Group != s.id {
		return Effects{}
	}
	if c == nil && !(s.carrier != nil && carriedApplies(m.Body.Kind)) {
		return Effects{}
	}
	if c != nil && c.MessageKind() != m.Body.Kind {
		return Effects{}
	}
	var targetAuthor ed25519.PublicKey
	knowsTarget := false
	if m.Body.Kind == message.KindDelete && s.cfg.AuthorOf != nil {
		targetAuthor, knowsTarget = s.cfg.AuthorOf(m.Body.Ref)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noteTargetLocked(m.ID, m.Body.Author)
	switch c.(type) {
	case Image, ImageChunk, Alert:
		return Effects{} // posts: they change nothing of the group
	}
	switch c := c.(type) {
	case Text:
		return Effects{}
	case Reaction:
		return s.applyReactionLocked(m, c.Emoji)
	}
	if m.Body.Kind == message.KindReaction { // a carrier's, unopened
		return s.applyReactionLocked(m, "")
	}
	s.gen++
	if p, ok := c.(Profile); ok {
		return s.applyProfileLocked(m, p)
	}
	if m.Body.Kind == message.KindDelete {
		return s.applyDeleteLocked(m, targetAuthor, knowsTarget)
	}
	if s.auth == nil {
		return Effects{}
	}
	// An Op takes effect once all its parts are known, so only the message
	// that completes one can change anything beyond the DAG: the others
	// skip comparing everyone's standing before and after (at 5,000
	// members, the cost of applying a removal).
	var eff Effects
	changes := true
	switch c := c.(type) {
	case Op:
		changes = len(c.Parts) == 0
	case OpPart:
		changes = s.auth.completes(c)
	}
	var before snapshot
	if changes {
		before = s.snapshotLocked()
	}
	switch c := c.(type) {
	case Descriptor:
		if s.auth.owner == (key32{}) {
			s.auth.owner = key32(c.Owner)
		}
		s.auth.add(m, c)
	case Op:
		s.auth.add(m, c)
	case OpPart:
		plain, err := EncodePayload(c)
		if err != nil {
			return Effects{}
		}
		if !s.auth.addPart(c, partDigest(plain)) {
			return Effects{}
		}
		eff.NewKey = s.openPartLocked(c)
	}
	s.viewLocked()
	if changes {
		s.diffLocked(before, &eff)
	}
	return eff
}

// openPartLocked opens this node's key entry in a part, if it has one, and
// reports whether it learnt a key.
func (s *State) openPartLocked(p OpPart) bool {
	if s.me == nil {
		return false
	}
	n := s.auth.nodes[p.Op]
	i, ok := slices.BinarySearchFunc(p.Keys, s.self, func(e KeyEntry, m ed25519.PublicKey) int { return bytes.Compare(e.Member, m) })
	if !ok || n == nil || n.op.Key == nil {
		return false
	}
	key, err := openEntry(&p.Keys[i], s.id, n.op.Key.Epoch, s.me)
	if err != nil || KeyIDOf(key) != n.op.Key.KeyID {
		return false
	}
	return s.addKeyLocked(n.op.Key.Epoch, key)
}

func (s *State) applyProfileLocked(m *message.Message, p Profile) Effects {
	k := key32(m.Body.Author)
	var eff Effects
	v := s.viewLocked()
	wasMember := s.memberIn(v, k)
	e := profileEntry{p: Profile{Nick: p.Nick, X25519: slices.Clone(p.X25519)}, sentAt: m.Body.SentAtMS, id: m.ID}
	if s.kind == KindPrivate {
		if kid, ok := SealedKeyID(m.Body.Payload); ok {
			e.key = keyRef{m.Body.Epoch, kid}
		}
	}
	ps := s.profiles[k]
	if slices.ContainsFunc(ps, func(o profileEntry) bool { return o.id == m.ID }) {
		return Effects{}
	}
	ps = append(ps, e)
	slices.SortFunc(ps, func(a, b profileEntry) int {
		if a.sentAt != b.sentAt {
			return cmp.Compare(b.sentAt, a.sentAt)
		}
		return bytes.Compare(a.id[:], b.id[:])
	})
	s.profiles[k] = ps[:min(len(ps), maxProfiles)]
	if s.memberIn(v, k) != wasMember {
		if wasMember { // a member no more: what they posted may go
			eff.Recheck = append(eff.Recheck, ed25519.PublicKey(slices.Clone(k[:])))
		}
		eff.SelfChanged = bytes.Equal(s.self, k[:])
	}
	return eff
}

func (s *State) applyDeleteLocked(m *message.Message, targetAuthor ed25519.PublicKey, knowsTarget bool) Effects {
	if _, ok := s.tombs[m.ID]; ok {
		return Effects{}
	}
	v := s.viewLocked()
	target := m.Body.Ref
	wasDeleted := s.deletedIn(v, target)
	s.tombs[m.ID] = tombstone{author: key32(m.Body.Author), target: target, sentAt: m.Body.SentAtMS}
	s.byTarget[target] = append(s.byTarget[target], m.ID)
	if knowsTarget {
		s.noteTargetLocked(target, targetAuthor)
	}
	if wasDeleted || !s.deletedIn(v, target) {
		return Effects{}
	}
	return Effects{Deleted: s.withReactionsLocked([]message.ID{target})}
}

// tombValidIn reports whether a stored tombstone holds under view v: it is
// not itself deleted, and it is its author's own deletion (while they may
// post), or an admin's, or one a revocation of its author kept.
func (s *State) tombValidIn(v *view, id message.ID, t tombstone) bool {
	if s.deletedIn(v, id) {
		return false
	}
	if s.isAdminIn(v, t.author[:]) {
		return true
	}
	if ta, ok := s.targetAuthor(t.target); ok && ta == t.author {
		verdict, _ := s.allowedIn(v, t.author, id, t.sentAt, message.KindDelete)
		return verdict == message.Accept
	}
	if v == nil {
		return false
	}
	_, kept := v.keep[t.author][id]
	return kept
}

// snapshot is what Apply compares to say what changed.
type snapshot struct {
	standing map[key32]string
	deleted  map[message.ID]bool
	settings Settings
	admins   int
}

func (s *State) snapshotLocked() snapshot {
	v := s.viewLocked()
	sn := snapshot{standing: map[key32]string{}, deleted: map[message.ID]bool{}}
	if v == nil {
		return sn
	}
	sn.settings, sn.admins = v.settings, len(v.admins)+len(v.posters)
	for _, k := range s.peopleLocked(v) {
		sn.standing[k] = s.standingKeyLocked(v, k)
	}
	for target := range s.byTarget {
		if s.deletedIn(v, target) {
			sn.deleted[target] = true
		}
	}
	return sn
}

// peopleLocked lists everyone the group's state names: profiles and the
// targets of Ops.
func (s *State) peopleLocked(v *view) []key32 {
	set := map[key32]bool{}
	for k := range s.profiles {
		set[k] = true
	}
	for _, n := range s.auth.order {
		if n.genesis == nil {
			if t := target(n.op.Action); t != nil {
				set[key32(t)] = true
			}
		}
		set[n.author] = true
	}
	for k := range v.keep {
		set[k] = true
	}
	out := make([]key32, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out
}

// standingKeyLocked summarises what decides which of k's messages are
// valid, so that a change shows as a different string: six flags ('0' or
// '1': admin, poster, banned, removed, revoked, member), then the length
// of the revocation's cut and the restoring Op's time (see gainOnly).
func (s *State) standingKeyLocked(v *view, k key32) string {
	var b []byte
	flag := func(on bool) {
		if on {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
	}
	flag(v.admins[k])
	flag(v.posters[k])
	flag(v.banned[k] != nil)
	flag(v.removed[k] != nil)
	flag(v.revoked[k])
	flag(s.memberIn(v, k))
	b = append(b, byte(len(v.keep[k])), byte(len(v.keep[k])>>8))
	for i := range 8 {
		b = append(b, byte(v.since[k]>>(8*i)))
	}
	return string(b)
}

// noStanding is the standing key of someone the state did not name: no
// flag, no cut, no restoring Op.
var noStanding = "000000" + string(make([]byte, 10))

// gainOnly reports whether a standing key changed from before to after
// only by gaining the admin or poster role or membership: nothing of what
// its author posted can become invalid by that, so the node need not
// check it again (a group's joins would otherwise each read its whole
// history). Any other change, a revocation above all, needs the check.
func gainOnly(before, after string) bool {
	if len(before) != len(after) || len(after) < 6 || before[6:] != after[6:] {
		return false
	}
	for i, gain := range [6]bool{true, true, false, false, false, true} {
		if before[i] != after[i] && !(gain && before[i] == '0' && after[i] == '1') {
			return false
		}
	}
	return true
}

func (s *State) diffLocked(before snapshot, eff *Effects) {
	after := s.snapshotLocked()
	for k, a := range after.standing {
		b, named := before.standing[k]
		if b == a {
			continue
		}
		if bytes.Equal(s.self, k[:]) {
			eff.SelfChanged = true
		}
		if !named {
			b = noStanding
		}
		if !gainOnly(b, a) {
			eff.Recheck = append(eff.Recheck, ed25519.PublicKey(slices.Clone(k[:])))
		}
	}
	slices.SortFunc(eff.Recheck, func(a, b ed25519.PublicKey) int { return bytes.Compare(a, b) })
	for id := range after.deleted {
		if !before.deleted[id] {
			eff.Deleted = append(eff.Deleted, id)
		}
	}
	eff.Deleted = s.withReactionsLocked(eff.Deleted)
	slices.SortFunc(eff.Deleted, func(a, b message.ID) int { return bytes.Compare(a[:], b[:]) })
	eff.DescriptorChanged = before.settings != after.settings || before.admins != after.admins || len(eff.Recheck) > 0
}
