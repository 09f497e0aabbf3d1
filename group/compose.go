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

// Compose writes and signs a message by u with content c (Text, Delete, Ban
// or Profile), sealed under the current sending key in a private group. It
// refuses what this State's own Check would not accept (a non-poster in an
// announcement channel, a removed or banned author, an ended group...), so
// what a node sends, it also keeps. Descriptors and rekeys come from
// UpdateDescriptor and RemoveMember.
func (s *State) Compose(u *identity.User, c Content, now time.Time) (*message.Message, error) {
	var ref message.ID
	switch c := c.(type) {
	case Text:
		ref = c.Ref
	case Delete:
		ref = c.Target
	case Ban, Profile:
	default:
		return nil, fmt.Errorf("compose: %T: use UpdateDescriptor or RemoveMember", c)
	}
	m, err := s.compose(u, c, ref, now)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	if err := s.selfCheck(m, now); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	return m, nil
}

func (s *State) selfCheck(m *message.Message, now time.Time) error {
	if _, v, err := s.Check(m, now); v != Accept {
		return fmt.Errorf("this group would not accept it (%s): %w", v, err)
	}
	return nil
}

// compose encodes, seals (under the sending key) and signs.
func (s *State) compose(u *identity.User, c Content, ref message.ID, now time.Time) (*message.Message, error) {
	var (
		epoch uint64
		key   []byte
	)
	if s.kind == KindPrivate && c.MessageKind() != message.KindRekey {
		s.mu.RLock()
		e, k, ok := s.sendKeyLocked()
		s.mu.RUnlock()
		if !ok {
			return nil, fmt.Errorf("%w: this node holds no key of the group", ErrUnknownKey)
		}
		epoch, key = e, k
	}
	return composeWith(u, s.id, c, ref, epoch, key, now)
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

// UpdateDescriptor signs the next version of the current descriptor as
// changed by edit, with the current one as its parent. edit may change the
// name, roles, end time and slow mode; lists are sorted and deduplicated for
// it. The kind, owner and salt never change. admin must be the owner or an
// admin.
func (s *State) UpdateDescriptor(admin *identity.User, edit func(*Descriptor), now time.Time) (*message.Message, error) {
	cur, parent, ok := s.Descriptor()
	if !ok {
		return nil, errors.New("update descriptor: the group has no descriptor")
	}
	d := cur.clone()
	edit(&d)
	if d.Kind != cur.Kind || !bytes.Equal(d.Owner, cur.Owner) || !bytes.Equal(d.Salt, cur.Salt) {
		return nil, fmt.Errorf("update descriptor: %w: the kind, owner and salt never change", ErrBadPayload)
	}
	d.Version = cur.Version + 1
	normalize(&d)
	m, err := s.compose(admin, d, parent.ID, now)
	if err != nil {
		return nil, fmt.Errorf("update descriptor: %w", err)
	}
	if err := s.selfCheck(m, now); err != nil {
		return nil, fmt.Errorf("update descriptor: %w", err)
	}
	return m, nil
}

func normalize(d *Descriptor) {
	d.Admins = normalizeKeys(d.Admins, d.Owner)
	d.Posters = normalizeKeys(d.Posters, d.Owner)
	d.Removed = normalizeKeys(d.Removed, d.Owner)
	d.Admins = slices.DeleteFunc(d.Admins, func(a ed25519.PublicKey) bool { return containsKey(d.Removed, a) })
	if len(d.Admins) == 0 {
		d.Admins = nil
	}
}

// RemoveMember removes member from a private group: a Rekey that starts the
// next epoch with a fresh random key, sealed to every member with a known
// profile except the removed ones (admin included), and the next descriptor
// version listing member as removed, sealed under the new key. The node
// stores, applies and publishes them in this order (the descriptor opens
// only once the Rekey is applied). admin must be the owner or an admin.
func (s *State) RemoveMember(admin *identity.User, member ed25519.PublicKey, now time.Time) ([]*message.Message, error) {
	if s.kind != KindPrivate {
		return nil, errors.New("remove member: only private groups have members to remove; edit an announcement channel's posters instead")
	}
	cur, parent, ok := s.Descriptor()
	if !ok {
		return nil, errors.New("remove member: the group has no descriptor")
	}
	if len(member) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("remove member: %w: key has %d bytes", ErrBadPayload, len(member))
	}
	if bytes.Equal(member, cur.Owner) {
		return nil, fmt.Errorf("remove member: %w: nobody can remove the owner", ErrNotAllowed)
	}
	d := cur.clone()
	d.Removed = append(d.Removed, member)
	d.Version = cur.Version + 1
	normalize(&d)

	mine, err := userX25519(admin)
	if err != nil {
		return nil, fmt.Errorf("remove member: %w", err)
	}
	s.mu.RLock()
	epoch := s.maxEpochLocked() + 1
	recipients := [][]byte{mine.PublicKey().Bytes()}
	for k, p := range s.profiles {
		if !bytes.Equal(k[:], member) && !containsKey(d.Removed, k[:]) {
			recipients = append(recipients, p.p.X25519)
		}
	}
	s.mu.RUnlock()

	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("remove member: %w", err)
	}
	r, err := sealRekey(s.id, epoch, key, recipients)
	if err != nil {
		return nil, fmt.Errorf("remove member: %w", err)
	}
	rm, err := composeWith(admin, s.id, r, message.ID{}, epoch, nil, now)
	if err != nil {
		return nil, fmt.Errorf("remove member: %w", err)
	}
	if err := s.selfCheck(rm, now); err != nil {
		return nil, fmt.Errorf("remove member: %w", err)
	}
	dm, err := composeWith(admin, s.id, d, parent.ID, epoch, key, now)
	if err != nil {
		return nil, fmt.Errorf("remove member: %w", err)
	}
	return []*message.Message{rm, dm}, nil
}

// Open decodes (and, in a private group, opens) a stored message's content
// for display or replay, without the rules of Check. A carrier opens
// nothing: its errors wrap ErrUnreadable.
func (s *State) Open(m *message.Message) (Content, error) {
	if m.Body.Group != s.id {
		return nil, ErrWrongGroup
	}
	if s.carrier != nil {
		return nil, fmt.Errorf("%w (group %s)", ErrUnreadable, s.id.Short())
	}
	s.mu.RLock()
	c, _, err := s.contentLocked(m)
	s.mu.RUnlock()
	return c, err
}

// Replay applies stored messages at start-up, after RestoreSecrets: Rekeys
// first, so that every key is known when the rest are opened. It returns
// how many it applied; the others do not open with any known key (or are
// not this group's) and change nothing.
func (s *State) Replay(ms []*message.Message) int {
	n := 0
	for pass := range 2 {
		for _, m := range ms {
			if (m.Body.Kind == message.KindRekey) != (pass == 0) {
				continue
			}
			c, err := s.Open(m)
			if err != nil {
				continue
			}
			s.Apply(m, c)
			n++
		}
	}
	return n
}
