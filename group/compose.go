package group

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"

	"starling/identity"
	"starling/message"
)

// Compose writes and signs a message by u with content c (Text, Delete or
// Profile), sealed under the current key in a private group. It refuses
// what this State's own Check would not accept (a non-poster in an
// announcement channel, a removed or banned author, an ended group...), so
// what a node sends, it also keeps. Ops come from Update, RemoveMember,
// BanMember, UnbanMember, AddMember and Rekey.
func (s *State) Compose(u *identity.User, c Content, now time.Time) (*message.Message, error) {
	var ref message.ID
	switch c := c.(type) {
	case Text:
		ref = c.Ref
	case Delete:
		ref = c.Target
	case Reaction:
		ref = c.Target
	case Profile, Alert:
	default:
		return nil, fmt.Errorf("compose: %T is not a post", c)
	}
	if u == nil {
		return nil, fmt.Errorf("compose: %w", errNoUser)
	}
	var (
		epoch uint64
		key   []byte
	)
	if s.kind == KindPrivate {
		if s.carrier != nil {
			return nil, fmt.Errorf("compose: %w", ErrUnreadable)
		}
		var ok, learning bool
		s.readView(func(v *view) {
			epoch, key, ok = s.sendKeyIn(v)
			learning = s.linkEpoch > s.knownEpochLocked()
		})
		if learning {
			return nil, fmt.Errorf("compose: %w: this node is still learning the group's current state from its members", ErrStale)
		}
		if !ok {
			return nil, fmt.Errorf("compose: %w", s.noKeyReason(u.PublicKey()))
		}
	}
	m, err := composeWith(u, s.id, c, ref, epoch, key, now)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	if err := s.selfCheck(m, now); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	return m, nil
}

// knownEpochLocked is the highest epoch an Op this node holds started.
func (s *State) knownEpochLocked() uint64 {
	var e uint64
	for _, n := range s.auth.order {
		e = max(e, n.maxEpoch)
	}
	return e
}

// ErrNoCurrentKey means this node holds no clean key of the private group
// yet: concurrent removals wait for an admin's rekey, or the key for this
// member has not arrived.
var ErrNoCurrentKey = errors.New("no current key of the group")

// noKeyReason says why u cannot seal: their standing first.
func (s *State) noKeyReason(pub ed25519.PublicKey) error {
	st := s.Standing(pub)
	if why := st.Why(s.Name()); why != "" {
		if st.Removed {
			return fmt.Errorf("%w: %s", ErrRemoved, why)
		}
		if st.Banned {
			return fmt.Errorf("%w: %s", ErrBanned, why)
		}
		return fmt.Errorf("%w: %s", ErrNotMember, why)
	}
	return fmt.Errorf("%w: it waits for an admin to hand out the group's new key (after concurrent changes) or for the key to arrive", ErrNoCurrentKey)
}

func (s *State) selfCheck(m *message.Message, now time.Time) error {
	if _, v, err := s.Check(m, now); v != message.Accept {
		if errors.Is(err, ErrRemoved) || errors.Is(err, ErrBanned) || errors.Is(err, ErrNotMember) || errors.Is(err, ErrRevoked) {
			if why := s.Standing(m.Body.Author).Why(s.Name()); why != "" {
				return fmt.Errorf("%w: %s", err, why)
			}
		}
		return fmt.Errorf("this group would not accept it (%s): %w", v, err)
	}
	return nil
}

// composeWith seals under key at epoch when key is not nil.
func composeWith(u *identity.User, id message.GroupID, c Content, ref message.ID, epoch uint64, key []byte, now time.Time) (*message.Message, error) {
	if u == nil {
		return nil, errNoUser
	}
	payload, err := EncodePayload(c)
	if err != nil {
		return nil, err
	}
	b := message.Body{
		Version: message.Version, Group: id, Author: u.PublicKey(), SentAtMS: message.TimeMS(now),
		Kind: c.MessageKind(), Ref: ref, Epoch: epoch,
	}
	if key != nil {
		if b.Payload, err = Seal(key, &b, payload); err != nil {
			return nil, err
		}
	} else {
		b.Payload = payload
	}
	return message.Sign(u.PrivateKey(), b)
}

// composeControl signs a genesis, Op or part: sealed under the control key
// in a private group, with no epoch.
func (s *State) composeControl(u *identity.User, c Content, ref message.ID, now time.Time) (*message.Message, error) {
	var key []byte
	if s.kind == KindPrivate {
		key = s.ctlKey
	}
	return composeWith(u, s.id, c, ref, 0, key, now)
}

// composeOp signs an Op by u with the current heads as parents, and its
// parts, and checks the Op as this State would judge it. The node stores,
// applies and publishes them in order, the Op first.
func (s *State) composeOp(u *identity.User, act Action, key *KeyDelivery, parts []OpPart, now time.Time) ([]*message.Message, error) {
	if u == nil {
		return nil, errNoUser
	}
	if s.auth == nil {
		return nil, fmt.Errorf("%w: an open channel has no owner or admins", ErrNotAllowed)
	}
	if s.carrier != nil {
		return nil, ErrUnreadable
	}
	op := Op{Action: act, Key: key}
	plains := make([][]byte, len(parts))
	for i, p := range parts {
		b, err := EncodePayload(p)
		if err != nil {
			return nil, err
		}
		plains[i] = b
		op.Parts = append(op.Parts, partDigest(b))
	}
	s.mu.Lock()
	op.Parents = s.auth.heads()
	s.mu.Unlock()
	om, err := s.composeControl(u, op, message.ID{}, now)
	if err != nil {
		return nil, err
	}
	if _, v, err := s.Check(om, now); v != message.Accept {
		return nil, fmt.Errorf("this group would not accept it (%s): %w", v, err)
	}
	out := []*message.Message{om}
	for _, p := range parts {
		pm, err := s.composeControl(u, p, om.ID, now)
		if err != nil {
			return nil, err
		}
		out = append(out, pm)
	}
	return out, nil
}

// Update is a change to a group's settings and roles that an owner or
// admin asks for; zero fields change nothing. Only the owner adds or
// removes admins.
type Update struct {
	Name                      string
	AddAdmins, RemoveAdmins   []ed25519.PublicKey
	AddPosters, RemovePosters []ed25519.PublicKey
	// SlowMode, if set, replaces the slow mode (0 turns it off).
	SlowMode *time.Duration
	// EndsAt, if set, replaces the end time (a zero time: never).
	EndsAt *time.Time
}

// Update signs the Ops an update needs (settings, then one role change per
// member), each with the current heads as parents. A role change that
// takes the right to post (a poster or admin demoted in an announcement
// channel) cuts at the member's messages this node holds.
func (s *State) Update(admin *identity.User, u Update, now time.Time) ([]*message.Message, error) {
	d, _, ok := s.Descriptor()
	if !ok {
		return nil, errors.New("update: the group's genesis is not known yet")
	}
	var out []*message.Message
	set := Settings{Name: d.Name, EndsAtMS: d.EndsAtMS, SlowModeSeconds: d.SlowModeSeconds}
	if u.Name != "" {
		set.Name = u.Name
	}
	if u.SlowMode != nil {
		set.SlowModeSeconds = uint32(max(*u.SlowMode, 0).Round(time.Second) / time.Second)
	}
	if u.EndsAt != nil {
		set.EndsAtMS = 0
		if !u.EndsAt.IsZero() {
			set.EndsAtMS = message.TimeMS(*u.EndsAt)
		}
	}
	if set != (Settings{Name: d.Name, EndsAtMS: d.EndsAtMS, SlowModeSeconds: d.SlowModeSeconds}) {
		ms, err := s.composeOp(admin, set, nil, nil, now)
		if err != nil {
			return nil, fmt.Errorf("update: %w", err)
		}
		out = append(out, ms...)
	}
	type change struct {
		member ed25519.PublicKey
		role   Role
	}
	var changes []change
	for _, k := range u.AddAdmins {
		changes = append(changes, change{k, RoleAdmin})
	}
	for _, k := range u.RemoveAdmins {
		r := RoleMember
		if containsKey(d.Posters, k) || containsKey(u.AddPosters, k) {
			r = RolePoster
		}
		changes = append(changes, change{k, r})
	}
	for _, k := range u.AddPosters {
		if !containsKey(u.AddAdmins, k) {
			changes = append(changes, change{k, RolePoster})
		}
	}
	for _, k := range u.RemovePosters {
		if !containsKey(u.AddAdmins, k) && !containsKey(d.Admins, k) {
			changes = append(changes, change{k, RoleMember})
		}
	}
	for _, c := range changes {
		ms, err := s.SetRole(admin, c.member, c.role, now)
		if err != nil {
			return nil, fmt.Errorf("update: %w", err)
		}
		out = append(out, ms...)
	}
	return out, nil
}

// SetRole signs an Op giving member a role (see Role). Only the owner
// grants or takes the admin role.
func (s *State) SetRole(admin *identity.User, member ed25519.PublicKey, role Role, now time.Time) ([]*message.Message, error) {
	act := SetRole{Member: slices.Clone(member), Role: role}
	var parts []OpPart
	if revokesPosting(s.kind, act) {
		var err error
		if parts, err = splitParts(nil, s.cutFor(member)); err != nil {
			return nil, err
		}
	}
	return s.composeOp(admin, act, nil, parts, now)
}

// cutFor lists the member's messages this node holds, the newest MaxCut,
// sorted: what a revocation keeps valid.
func (s *State) cutFor(member ed25519.PublicKey) []message.ID {
	if s.cfg.MessagesBy == nil {
		return nil
	}
	ids := s.cfg.MessagesBy(s.id, member, MaxCut)
	ids = slices.Clone(ids[:min(len(ids), MaxCut)])
	slices.SortFunc(ids, func(a, b message.ID) int { return bytes.Compare(a[:], b[:]) })
	return slices.CompactFunc(ids, func(a, b message.ID) bool { return a == b })
}

// BanMember signs a ban of member: every node drops their messages in the
// group except those this node holds now (the cut), however they are dated.
func (s *State) BanMember(admin *identity.User, member ed25519.PublicKey, reason string, now time.Time) ([]*message.Message, error) {
	parts, err := splitParts(nil, s.cutFor(member))
	if err != nil {
		return nil, fmt.Errorf("ban: %w", err)
	}
	ms, err := s.composeOp(admin, Ban{Member: slices.Clone(member), Reason: reason}, nil, parts, now)
	if err != nil {
		return nil, fmt.Errorf("ban: %w", err)
	}
	return ms, nil
}

// UnbanMember signs the lifting of member's bans: they post again from now.
func (s *State) UnbanMember(admin *identity.User, member ed25519.PublicKey, now time.Time) ([]*message.Message, error) {
	ms, err := s.composeOp(admin, Unban{Member: slices.Clone(member)}, nil, nil, now)
	if err != nil {
		return nil, fmt.Errorf("unban: %w", err)
	}
	return ms, nil
}

// RemoveMember removes member from a private group: a fresh epoch key,
// sealed to every other member with a known profile (admin included), and
// the cut of the member's messages this node holds. The removed member
// reads nothing sent under the new key, and every node drops whatever else
// the member signs.
func (s *State) RemoveMember(admin *identity.User, member ed25519.PublicKey, now time.Time) ([]*message.Message, error) {
	if s.kind != KindPrivate {
		return nil, errors.New("remove member: only private groups have members to remove; ban them, or edit an announcement channel's posters")
	}
	if len(member) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("remove member: %w: key has %d bytes", ErrBadPayload, len(member))
	}
	ms, err := s.freshEpoch(admin, Remove{Member: slices.Clone(member)}, member, nil, s.cutFor(member), now)
	if err != nil {
		return nil, fmt.Errorf("remove member: %w", err)
	}
	return ms, nil
}

// AddMember admits member to a private group. A removed member comes back
// with a fresh epoch key (they read nothing of the time they were out); a
// member whose invite went stale gets the current key.
func (s *State) AddMember(admin *identity.User, member ed25519.PublicKey, now time.Time) ([]*message.Message, error) {
	if s.kind != KindPrivate {
		return nil, errors.New("add member: only private groups admit members; in other groups anyone with the link reads")
	}
	p, ok := s.Profile(member)
	if !ok {
		return nil, errors.New("add member: they have no profile in the group yet; they join with a link first")
	}
	act := Add{Member: slices.Clone(member)}
	if s.Standing(member).Removed {
		ms, err := s.freshEpoch(admin, act, nil, []recipient{{member, p.X25519}}, nil, now)
		if err != nil {
			return nil, fmt.Errorf("add member: %w", err)
		}
		return ms, nil
	}
	var (
		epoch uint64
		key   []byte
	)
	s.readView(func(v *view) { epoch, key, ok = s.sendKeyIn(v) })
	if !ok {
		return nil, fmt.Errorf("add member: %w", ErrNoCurrentKey)
	}
	entries, err := sealEntries(s.id, epoch, key, []recipient{{member, p.X25519}})
	if err != nil {
		return nil, fmt.Errorf("add member: %w", err)
	}
	parts, err := splitParts(entries, nil)
	if err != nil {
		return nil, fmt.Errorf("add member: %w", err)
	}
	ms, err := s.composeOp(admin, act, &KeyDelivery{Epoch: epoch, KeyID: KeyIDOf(key)}, parts, now)
	if err != nil {
		return nil, fmt.Errorf("add member: %w", err)
	}
	return ms, nil
}

// Rekey starts a fresh epoch for the current members: what an admin does
// when no clean key exists (NeedsRekey).
func (s *State) Rekey(admin *identity.User, now time.Time) ([]*message.Message, error) {
	if s.kind != KindPrivate {
		return nil, errors.New("rekey: only private groups have keys")
	}
	ms, err := s.freshEpoch(admin, Rekey{}, nil, nil, nil, now)
	if err != nil {
		return nil, fmt.Errorf("rekey: %w", err)
	}
	return ms, nil
}

// freshEpoch signs an Op that starts the next epoch with a random key,
// sealed to the current members but without, plus extra.
func (s *State) freshEpoch(admin *identity.User, act Action, without ed25519.PublicKey, extra []recipient, cut []message.ID, now time.Time) ([]*message.Message, error) {
	if admin == nil {
		return nil, errNoUser
	}
	mine, err := userX25519(admin)
	if err != nil {
		return nil, err
	}
	rs := append([]recipient{{admin.PublicKey(), mine.PublicKey().Bytes()}}, extra...)
	var epoch uint64
	s.mu.Lock()
	v := s.viewLocked()
	for _, h := range s.auth.heads() {
		epoch = max(epoch, s.auth.nodes[h].maxEpoch)
	}
	epoch++
	for k := range s.profiles {
		if bytes.Equal(k[:], without) || !s.memberIn(v, k) {
			continue
		}
		if p, ok := s.profileIn(v, k); ok {
			rs = append(rs, recipient{ed25519.PublicKey(slices.Clone(k[:])), p.p.X25519})
		}
	}
	s.mu.Unlock()
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	entries, err := sealEntries(s.id, epoch, key, rs)
	if err != nil {
		return nil, err
	}
	parts, err := splitParts(entries, cut)
	if err != nil {
		return nil, err
	}
	return s.composeOp(admin, act, &KeyDelivery{Epoch: epoch, KeyID: KeyIDOf(key), Fresh: true}, parts, now)
}

// NeedsRekey reports whether the private group has no clean key (two
// removals crossed, for instance): an admin's node then calls Rekey.
func (s *State) NeedsRekey() bool {
	need := false
	s.readView(func(v *view) {
		need = v != nil && s.kind == KindPrivate && s.carrier == nil && v.genesis != nil && v.current == nil
	})
	return need
}

// Open decodes (and, in a private group, opens) a stored message's content
// for display or replay, without the rules of Check. A carrier opens only
// the group's genesis, Ops and parts: its other errors wrap ErrUnreadable.
func (s *State) Open(m *message.Message) (Content, error) {
	if m.Body.Group != s.id {
		return nil, ErrWrongGroup
	}
	switch m.Body.Kind {
	case message.KindDescriptor, message.KindOp, message.KindOpPart:
		return s.openControl(m)
	}
	if s.carrier != nil {
		return nil, fmt.Errorf("%w (group %s)", ErrUnreadable, s.id.Short())
	}
	s.mu.RLock()
	c, _, err := s.contentLocked(m)
	s.mu.RUnlock()
	return c, err
}

// Replay applies stored messages at start-up, after RestoreSecrets: the
// genesis, Ops and parts first (so that every key is known when the rest
// are opened), resolving once. It returns how many it applied; the others
// do not open with any known key (or are not this group's) and change
// nothing.
func (s *State) Replay(ms []*message.Message) int {
	n := 0
	if s.auth != nil {
		s.mu.Lock()
		var parts []OpPart
		for _, m := range ms {
			if m.Body.Group != s.id {
				continue
			}
			switch m.Body.Kind {
			case message.KindDescriptor, message.KindOp, message.KindOpPart:
			default:
				continue
			}
			c, err := s.openControl(m)
			if err != nil {
				continue
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
				parts = append(parts, c)
			}
			n++
		}
		for _, p := range parts {
			if plain, err := EncodePayload(p); err == nil && s.auth.addPart(p, partDigest(plain)) {
				s.openPartLocked(p)
			}
		}
		s.gen += uint64(n)
		s.viewLocked()
		s.mu.Unlock()
	}
	for _, m := range ms {
		switch m.Body.Kind {
		case message.KindProfile, message.KindDelete, message.KindReaction:
		default:
			continue
		}
		c, err := s.Open(m)
		if err != nil && !(s.carrier != nil && carriedApplies(m.Body.Kind)) {
			continue
		}
		s.Apply(m, c)
		n++
	}
	return n
}

// SealsWith reports whether m, a text, profile or deletion of a private
// group, is sealed under the key this node seals with now (true for other
// groups and kinds).
func (s *State) SealsWith(m *message.Message) bool {
	if s.kind != KindPrivate || m.Body.Epoch == 0 {
		return true
	}
	kid, ok := SealedKeyID(m.Body.Payload)
	if !ok {
		return false
	}
	var (
		epoch uint64
		key   []byte
	)
	s.readView(func(v *view) { epoch, key, ok = s.sendKeyIn(v) })
	return ok && epoch == m.Body.Epoch && KeyIDOf(key) == kid
}
