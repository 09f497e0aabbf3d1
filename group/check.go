package group

import (
	"bytes"
	"fmt"
	"time"

	"starling/message"
)

// Check applies the group's rules to m, which must already have passed the
// stateless rules (message.Verify: format, time, signature). It returns the
// decoded content (opened, in a private group) when the verdict is Accept,
// and an error that says why otherwise; a carrier (IsCarrier) accepts
// without content. Check does not change the State:
// the node calls Apply once it has stored an accepted message. Rate limits
// and slow mode are the Limiter's, for live gossip only.
func (s *State) Check(m *message.Message, now time.Time) (Content, Verdict, error) {
	if m.Body.Group != s.id {
		return nil, Reject, fmt.Errorf("%w: %s, not %s", ErrWrongGroup, m.Body.Group.Short(), s.id.Short())
	}
	if s.carrier != nil {
		return s.checkCarrier(m, now)
	}
	s.mu.RLock()
	c, v, err := s.checkLocked(m, now)
	s.mu.RUnlock()
	if v == 0 {
		// A deletion by someone other than the owner or an admin: only the
		// target's author may do that, which the node's store knows.
		return s.checkOwnDelete(m, c.(Delete))
	}
	return c, v, err
}

// checkLocked returns verdict 0 when a deletion needs the target's author.
func (s *State) checkLocked(m *message.Message, now time.Time) (Content, Verdict, error) {
	b := &m.Body
	if s.expiredLocked(now) {
		return nil, Reject, fmt.Errorf("%w: it ended at %s", ErrGroupExpired, s.endsAtLocked().UTC().Format(time.RFC3339))
	}
	if _, ok := s.deleted[m.ID]; ok {
		return nil, Ignore, ErrDeleted
	}
	if s.bannedLocked(b.Author, b.SentAtMS) {
		return nil, Ignore, ErrBanned
	}
	if s.kind == KindPrivate && s.removedLocked(b.Author, b.SentAtMS) {
		return nil, Reject, ErrRemoved
	}
	if s.channel == "" && s.cur == nil && b.Kind != message.KindDescriptor {
		return nil, Ignore, fmt.Errorf("%w: the group's descriptor is not known yet", ErrStale)
	}
	c, v, err := s.contentLocked(m)
	if v != Accept {
		return nil, v, err
	}
	switch c := c.(type) {
	case Text, Profile:
		if s.kind == KindAnnounce && !s.isAdminLocked(b.Author) && !containsKey(s.cur.d.Posters, b.Author) {
			return nil, Reject, fmt.Errorf("%w: only the owner, admins and posters post here", ErrNotAllowed)
		}
	case Descriptor:
		if v, err := s.checkDescriptorLocked(m, c); v != Accept {
			return nil, v, err
		}
	case Delete:
		if !s.isAdminLocked(b.Author) {
			return c, 0, nil
		}
	case Ban:
		if v, err := s.checkModeratorLocked(b.Author); v != Accept {
			return nil, v, err
		}
		if s.cur != nil && bytes.Equal(c.Author, s.cur.d.Owner) {
			return nil, Reject, fmt.Errorf("%w: nobody can ban the owner", ErrNotAllowed)
		}
	case Rekey:
		if v, err := s.checkRekeyLocked(m, &c); v != Accept {
			return nil, v, err
		}
	}
	return c, Accept, nil
}

// contentLocked decodes (and opens) m's payload and applies the rules on
// epochs and refs that need no roles.
func (s *State) contentLocked(m *message.Message) (Content, Verdict, error) {
	b := &m.Body
	sealed := s.kind == KindPrivate && b.Kind != message.KindRekey
	switch {
	case s.kind != KindPrivate && b.Epoch != 0:
		return nil, Reject, fmt.Errorf("%w: epoch %d in a group that is not private", ErrBadPayload, b.Epoch)
	case sealed && b.Epoch == 0:
		return nil, Reject, fmt.Errorf("%w: unsealed %s in a private group", ErrBadPayload, b.Kind)
	case b.Kind == message.KindRekey && (s.kind != KindPrivate || b.Epoch < 2):
		return nil, Reject, fmt.Errorf("%w: a rekey needs a private group and an epoch from 2", ErrBadPayload)
	}
	payload := b.Payload
	if sealed {
		kid, ok := SealedKeyID(payload)
		if !ok {
			return nil, Reject, fmt.Errorf("%w: sealed payload of %d bytes", ErrBadPayload, len(payload))
		}
		key, ok := s.keyLocked(b.Epoch, kid)
		if !ok {
			return nil, Ignore, fmt.Errorf("%w: epoch %d, key %x", ErrUnknownKey, b.Epoch, kid[:])
		}
		pt, err := Open(key, b, payload)
		if err != nil {
			return nil, Reject, err
		}
		payload = pt
	}
	c, err := DecodePayload(b.Kind, payload)
	if err != nil {
		return nil, Reject, err
	}
	switch c := c.(type) {
	case Text:
		c.Ref = b.Ref
		return c, Accept, nil
	case Delete:
		if b.Ref.IsZero() {
			return nil, Reject, fmt.Errorf("%w: a deletion names no message", ErrBadPayload)
		}
		c.Target = b.Ref
		return c, Accept, nil
	case Descriptor:
		// ref is the parent descriptor.
	default:
		if !b.Ref.IsZero() {
			return nil, Reject, fmt.Errorf("%w: a %s has no ref", ErrBadPayload, b.Kind)
		}
	}
	return c, Accept, nil
}

// checkModeratorLocked: the owner and current admins moderate. An author who
// was an admin in some descriptor may have been one when it sent (a stale
// view, Ignore); anyone else never was (Reject).
func (s *State) checkModeratorLocked(author []byte) (Verdict, error) {
	switch {
	case s.isAdminLocked(author):
		return Accept, nil
	case s.wasAdminLocked(author):
		return Ignore, fmt.Errorf("%w: the author is no longer an admin", ErrStale)
	}
	return Reject, fmt.Errorf("%w: only the owner and admins moderate", ErrNotAllowed)
}

// checkDescriptorLocked: the descriptor commits to this group; version 1 is
// the owner's, without a parent; a later version names its parent (ref),
// has the parent's version plus one and is signed by the owner or by an
// admin of the parent.
func (s *State) checkDescriptorLocked(m *message.Message, d Descriptor) (Verdict, error) {
	author := m.Body.Author
	switch {
	case IDFor(d.Owner, d.Salt) != s.id:
		return Reject, fmt.Errorf("%w: the descriptor's owner and salt do not give this group's ID", ErrWrongGroup)
	case s.kind != 0 && d.Kind != s.kind:
		return Reject, fmt.Errorf("%w: a %s group cannot become %s", ErrBadPayload, s.kind, d.Kind)
	case d.Version == 1 && !m.Body.Ref.IsZero():
		return Reject, fmt.Errorf("%w: version 1 has no parent", ErrBadPayload)
	case d.Version > 1 && m.Body.Ref.IsZero():
		return Reject, fmt.Errorf("%w: version %d names no parent", ErrBadPayload, d.Version)
	}
	owner := bytes.Equal(author, d.Owner)
	if d.Version == 1 {
		if !owner {
			return Reject, fmt.Errorf("%w: only the owner signs version 1", ErrNotAllowed)
		}
		return Accept, nil
	}
	parent, ok := s.descs[m.Body.Ref]
	switch {
	case !ok && owner:
		return Accept, nil
	case !ok:
		return Ignore, fmt.Errorf("%w: parent descriptor %s unknown", ErrStale, m.Body.Ref.Short())
	case parent.d.Version+1 != d.Version:
		return Reject, fmt.Errorf("%w: version %d follows version %d", ErrBadPayload, d.Version, parent.d.Version)
	case owner || containsKey(parent.d.Admins, author):
		return Accept, nil
	}
	return Reject, fmt.Errorf("%w: the signer is not an admin of version %d", ErrNotAllowed, parent.d.Version)
}

// checkRekeyLocked: owner or admin; an epoch this node holds or the next
// one; no entry for a removed member; this node's own entry opens.
func (s *State) checkRekeyLocked(m *message.Message, r *Rekey) (Verdict, error) {
	b := &m.Body
	if v, err := s.checkModeratorLocked(b.Author); v != Accept {
		return v, err
	}
	if max := s.maxEpochLocked(); b.Epoch > max+1 {
		return Ignore, fmt.Errorf("%w: rekey for epoch %d, this node holds %d", ErrStale, b.Epoch, max)
	}
	for _, k := range s.cur.d.Removed {
		if p, ok := s.profiles[key32(k)]; ok {
			if _, found := r.entryFor(p.p.X25519); found {
				return Reject, fmt.Errorf("%w: the rekey delivers the key to a removed member", ErrNotAllowed)
			}
		}
	}
	if s.me != nil {
		if _, _, err := openRekey(r, s.id, b.Epoch, s.me); err != nil {
			return Reject, err
		}
	}
	return Accept, nil
}

func (s *State) checkOwnDelete(m *message.Message, d Delete) (Content, Verdict, error) {
	var (
		author []byte
		found  bool
	)
	if s.cfg.AuthorOf != nil {
		author, found = s.cfg.AuthorOf(d.Target)
	}
	switch {
	case found && bytes.Equal(author, m.Body.Author):
		return d, Accept, nil
	case s.wasAdmin(m.Body.Author):
		return nil, Ignore, fmt.Errorf("%w: the author is no longer an admin", ErrStale)
	case found:
		return nil, Reject, fmt.Errorf("%w: only the owner, admins and the author delete a message", ErrNotAllowed)
	}
	return nil, Ignore, fmt.Errorf("%w: %s", ErrUnknownTarget, d.Target.Short())
}

func (s *State) wasAdmin(author []byte) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.wasAdminLocked(author)
}
