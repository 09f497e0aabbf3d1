package group

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"time"

	"starling/identity"
	"starling/message"
)

// Check applies the group's rules to m, which must already have passed the
// stateless rules (message.Verify: format, time, signature). It returns the
// decoded content (opened, in a private group) when the verdict is Accept,
// and an error that says why otherwise; a carrier (IsCarrier) accepts
// messages it cannot open without content. Check does not change the
// State (but for noting a genesis that contradicts the node's invite link,
// see LinkError): the node calls Apply once it has stored an accepted
// message. Rate
// limits and slow mode are the Limiter's.
//
// Reject means the message is bad whatever else the node may learn: it does
// not decode, is not signed by whom it must be, or (an Op) is not
// authorised by its own history. Ignore means it may be valid in another
// view: an unknown parent or key, or an author whose standing this node's
// Ops take away (forwarders of such messages are not to blame).
func (s *State) Check(m *message.Message, now time.Time) (Content, message.Verdict, error) {
	if m.Body.Group != s.id {
		return nil, message.Reject, fmt.Errorf("%w: %s, not %s", ErrWrongGroup, m.Body.Group.Short(), s.id.Short())
	}
	if s.Expired(now) {
		return nil, message.Reject, fmt.Errorf("%w: it ended at %s", ErrGroupExpired, s.EndsAt().UTC().Format(time.RFC3339))
	}
	b := &m.Body
	if s.channel != "" && !postKind(b.Kind) {
		return nil, message.Reject, fmt.Errorf("%w: a %s in an open channel, which has no owner", ErrBadPayload, b.Kind)
	}
	switch b.Kind {
	case message.KindDescriptor:
		return s.checkGenesis(m)
	case message.KindOp:
		return s.checkOp(m)
	case message.KindOpPart:
		return s.checkPart(m)
	case message.KindText, message.KindProfile, message.KindDelete, message.KindImage, message.KindImageChunk, message.KindReaction, message.KindAlert:
		return s.checkPost(m)
	case message.KindAlertAck:
		return nil, message.Reject, fmt.Errorf("%w: an acknowledgement is never stored or gossiped", ErrBadPayload)
	}
	return nil, message.Ignore, fmt.Errorf("%w: %s", message.ErrUnknownKind, b.Kind)
}

// openControl decodes (and in a private group opens, under the control key)
// the payload of a genesis, Op or part.
func (s *State) openControl(m *message.Message) (Content, error) {
	b := &m.Body
	if b.Epoch != 0 {
		return nil, fmt.Errorf("%w: the %s has an epoch; only texts, profiles and deletions have one", ErrBadPayload, b.Kind)
	}
	payload := b.Payload
	if s.kind == KindPrivate {
		if s.ctlKey == nil {
			return nil, fmt.Errorf("%w (group %s)", ErrUnreadable, s.id.Short())
		}
		pt, err := Open(s.ctlKey, b, payload)
		if err != nil {
			return nil, err
		}
		payload = pt
	}
	c, err := DecodePayload(b.Kind, payload)
	if err != nil {
		return nil, err
	}
	if p, ok := c.(OpPart); ok {
		p.Op = b.Ref
		return p, nil
	}
	if !b.Ref.IsZero() {
		return nil, fmt.Errorf("%w: the %s has a ref; it has none", ErrBadPayload, b.Kind)
	}
	return c, nil
}

// checkGenesis: the owner's version-1 descriptor, committing to this group.
func (s *State) checkGenesis(m *message.Message) (Content, message.Verdict, error) {
	c, err := s.openControl(m)
	if err != nil {
		return nil, message.Reject, err
	}
	d := c.(Descriptor)
	switch {
	case IDFor(d.Owner, d.Salt) != s.id:
		return nil, message.Reject, fmt.Errorf("%w: the descriptor's owner and salt do not give this group's ID", ErrWrongGroup)
	case !bytes.Equal(m.Body.Author, d.Owner):
		return nil, message.Reject, fmt.Errorf("%w: only the owner signs the genesis", ErrNotAllowed)
	case s.carrier != nil && identity.FingerprintOf(d.Owner) != s.carrier.owner:
		return nil, message.Reject, fmt.Errorf("%w: the genesis names another owner than the carrier link", ErrWrongGroup)
	}
	switch {
	case s.linkOwner != "" && identity.FingerprintOf(d.Owner) != s.linkOwner:
		// The genesis commits to the group ID, so it names the group's
		// true owner: the link this node joined with was altered, not the
		// genesis (whoever passed it on is not to blame).
		err := fmt.Errorf("the group's owner is %s, not %s as the invite link said; the link was altered",
			identity.FingerprintOf(d.Owner).Short(), s.linkOwner.Short())
		s.linkMu.Lock()
		s.linkErr = err
		s.linkMu.Unlock()
		return nil, message.Ignore, fmt.Errorf("%w: %w", ErrWrongGroup, err)
	case d.Kind != s.kind:
		return nil, message.Reject, fmt.Errorf("%w: a %s group cannot be %s", ErrBadPayload, s.kind, d.Kind)
	}
	return d, message.Accept, nil
}

// checkOp judges an Op as if it were added: it is resolved with the Ops
// known, then taken out again.
func (s *State) checkOp(m *message.Message) (Content, message.Verdict, error) {
	c, err := s.openControl(m)
	if err != nil {
		return nil, message.Reject, err
	}
	op := c.(Op)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.auth
	if n := a.nodes[m.ID]; n != nil {
		return op, message.Accept, nil
	}
	if a.view().genesis == nil {
		return nil, message.Ignore, fmt.Errorf("%w: the group's genesis is not known yet", ErrStale)
	}
	for _, p := range op.Parents {
		if pn := a.nodes[p]; pn == nil || pn.idx < 0 {
			return nil, message.Ignore, fmt.Errorf("%w: parent %s is unknown", ErrStale, p.Short())
		}
	}
	a.add(m, op)
	defer func() {
		// Taken out again whatever happened, so the State is as it was.
		delete(a.nodes, m.ID)
		a.dirty = true
		a.view()
	}()
	v := a.view()
	n := a.nodes[m.ID]
	bad, void, author := n.bad, n.void, n.author
	switch {
	case bad != nil:
		return nil, message.Reject, bad
	case void && v.whiteouts[author] > maxWhiteouts:
		return nil, message.Ignore, fmt.Errorf("%w: too many operations of a revoked admin", ErrRevoked)
	}
	return op, message.Accept, nil
}

// checkPart: the part of a known, not void Op, by the same author, matching
// the Op's digest; no key entry for a member removed in the Op's history;
// a cut only for a revocation; this node's own entry opens.
func (s *State) checkPart(m *message.Message) (Content, message.Verdict, error) {
	c, err := s.openControl(m)
	if err != nil {
		return nil, message.Reject, err
	}
	p := c.(OpPart)
	plain, err := EncodePayload(p)
	if err != nil {
		return nil, message.Reject, err
	}
	digest := partDigest(plain)
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := s.viewLocked()
	n := s.auth.nodes[p.Op]
	switch {
	case n == nil || n.idx < 0:
		return nil, message.Ignore, fmt.Errorf("%w: operation %s is unknown", ErrStale, p.Op.Short())
	case n.genesis != nil:
		return nil, message.Reject, fmt.Errorf("%w: the genesis has no parts", ErrBadPayload)
	case n.author != key32(m.Body.Author):
		return nil, message.Reject, fmt.Errorf("%w: a part signed by another than its operation's author", ErrNotAllowed)
	case p.Index >= len(n.op.Parts) || n.op.Parts[p.Index] != digest:
		return nil, message.Reject, fmt.Errorf("%w: part %d is not one its operation commits to", ErrBadPayload, p.Index)
	case n.void:
		return nil, message.Ignore, fmt.Errorf("%w: the part of a revoked admin's operation", ErrRevoked)
	case len(p.Cut) > 0 && !revokesPosting(s.kind, n.op.Action):
		return nil, message.Reject, fmt.Errorf("%w: a cut in a %s, which revokes nothing", ErrBadPayload, n.op.Action.ActionName())
	case len(p.Keys) > 0 && n.op.Key == nil:
		return nil, message.Reject, fmt.Errorf("%w: key entries in a %s, which delivers no key", ErrBadPayload, n.op.Action.ActionName())
	}
	if len(p.Keys) > 0 {
		if err := s.checkEntriesLocked(v, n, p.Keys); err != nil {
			return nil, message.Reject, err
		}
	}
	return p, message.Accept, nil
}

// checkEntriesLocked: a key reaches no member removed in its Op's history
// (nor the member a Remove removes), and this node's own entry opens.
func (s *State) checkEntriesLocked(v *view, n *anode, entries []KeyEntry) error {
	removed := s.removedBefore(v, n)
	switch act := n.op.Action.(type) {
	case Remove:
		removed[key32(act.Member)] = true
	case Add:
		delete(removed, key32(act.Member))
	}
	for _, e := range entries {
		if removed[key32(e.Member)] {
			return fmt.Errorf("%w: the key reaches removed member %s", ErrNotAllowed, identity.FingerprintOf(e.Member).Short())
		}
		if s.me != nil && bytes.Equal(e.Member, s.self) {
			if _, err := openEntry(&e, s.id, n.op.Key.Epoch, s.me); err != nil {
				return err
			}
		}
	}
	return nil
}

// removedBefore returns the members removed in n's history, as n's author
// saw it: a Remove there that its own history authorises, and that no
// re-adding Add there has in its history. (Whether that Remove is in force
// does not matter: sealing a key to someone you know was removed is the
// author's fault whatever else happened.)
func (s *State) removedBefore(v *view, n *anode) map[key32]bool {
	out := map[key32]bool{}
	for _, r := range s.auth.order {
		if r.idx >= n.idx {
			break
		}
		if !n.anc.has(r.idx) || r.bad != nil || r.genesis != nil {
			continue
		}
		rm, ok := r.op.Action.(Remove)
		if !ok {
			continue
		}
		k := key32(rm.Member)
		readded := false
		for _, a := range s.auth.order {
			if a.idx >= n.idx {
				break
			}
			if ad, ok := a.op.Action.(Add); ok && a.genesis == nil && a.bad == nil && n.anc.has(a.idx) &&
				key32(ad.Member) == k && a.op.Key.Fresh && r.before(a) {
				readded = true
				break
			}
		}
		if !readded {
			out[k] = true
		}
	}
	return out
}

// checkPost judges a text, profile, deletion, reaction or alert.
func (s *State) checkPost(m *message.Message) (Content, message.Verdict, error) {
	b := &m.Body
	// The author of a deletion's target, asked before locking.
	var (
		targetAuthor ed25519.PublicKey
		knowsTarget  bool
	)
	if b.Kind == message.KindDelete && s.cfg.AuthorOf != nil && !b.Ref.IsZero() {
		targetAuthor, knowsTarget = s.cfg.AuthorOf(b.Ref)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := s.viewLocked()
	s.noteTargetLocked(m.ID, b.Author)
	if knowsTarget {
		s.noteTargetLocked(b.Ref, targetAuthor)
	}
	if s.deletedIn(v, m.ID) {
		return nil, message.Ignore, ErrDeleted
	}
	if b.Kind == message.KindReaction && s.deletedIn(v, b.Ref) {
		return nil, message.Ignore, fmt.Errorf("%w: the message it reacts to", ErrDeleted)
	}
	c, verdict, err := s.contentLocked(m)
	if verdict != message.Accept {
		return nil, verdict, err
	}
	if b.Kind == message.KindDelete {
		if !knowsTarget {
			var k key32
			if k, knowsTarget = s.targetAuthor(b.Ref); knowsTarget {
				targetAuthor = k[:]
			}
		}
		if verdict, err := s.deleteAllowedIn(v, m, targetAuthor, knowsTarget); verdict != message.Accept {
			return nil, verdict, err
		}
		if _, ok := c.(carried); ok {
			return nil, message.Accept, nil
		}
		return c, message.Accept, nil
	}
	if b.Kind == message.KindAlert {
		if verdict, err := s.alertAllowedIn(v, m); verdict != message.Accept {
			return nil, verdict, err
		}
	} else if verdict, err := s.allowedIn(v, key32(b.Author), m.ID, b.SentAtMS, b.Kind); verdict != message.Accept {
		return nil, verdict, err
	}
	if _, ok := c.(carried); ok {
		return nil, message.Accept, nil
	}
	return c, message.Accept, nil
}

// deleteAllowedIn: authors delete their own messages while they may post;
// the owner and admins delete anything, and a revoked admin's deletions
// stand where their revocation's cut keeps them.
func (s *State) deleteAllowedIn(v *view, m *message.Message, targetAuthor ed25519.PublicKey, knowsTarget bool) (message.Verdict, error) {
	b := &m.Body
	k := key32(b.Author)
	// Admins first: whether the target is known must not change the
	// verdict on an admin's deletion.
	if s.isAdminIn(v, b.Author) {
		return message.Accept, nil
	}
	if knowsTarget && bytes.Equal(targetAuthor, b.Author) {
		return s.allowedIn(v, k, m.ID, b.SentAtMS, b.Kind)
	}
	if v != nil {
		if _, kept := v.keep[k][m.ID]; kept {
			return message.Accept, nil
		}
	}
	if !knowsTarget {
		return message.Ignore, fmt.Errorf("%w: %s", ErrUnknownTarget, b.Ref.Short())
	}
	return message.Ignore, fmt.Errorf("%w: only the owner, admins and the author delete a message", ErrNotAllowed)
}

// contentLocked decodes (and opens) the payload of a text, profile or
// deletion and applies the rules on epochs and refs that need no roles. A
// carrier gets no content for a sealed payload it cannot open.
func (s *State) contentLocked(m *message.Message) (Content, message.Verdict, error) {
	b := &m.Body
	private := s.kind == KindPrivate
	switch {
	case !private && b.Epoch != 0:
		return nil, message.Reject, fmt.Errorf("%w: epoch %d in a group that is not private", ErrBadPayload, b.Epoch)
	case private && b.Epoch == 0:
		return nil, message.Reject, fmt.Errorf("%w: unsealed %s in a private group", ErrBadPayload, b.Kind)
	case b.Kind == message.KindDelete && b.Ref.IsZero():
		return nil, message.Reject, fmt.Errorf("%w: a deletion names no message", ErrBadPayload)
	case (b.Kind == message.KindProfile || b.Kind == message.KindImageChunk || b.Kind == message.KindAlert) && !b.Ref.IsZero():
		return nil, message.Reject, fmt.Errorf("%w: a %s has no ref", ErrBadPayload, b.Kind)
	case b.Kind == message.KindReaction && b.Ref.IsZero():
		return nil, message.Reject, fmt.Errorf("%w: a reaction names no message", ErrBadPayload)
	}
	payload := b.Payload
	if private {
		kid, ok := SealedKeyID(payload)
		if !ok {
			return nil, message.Reject, fmt.Errorf("%w: sealed payload of %d bytes", ErrBadPayload, len(payload))
		}
		if s.carrier != nil {
			return carried{}, message.Accept, nil
		}
		key, ok := s.keyLocked(b.Epoch, kid)
		if !ok {
			return nil, message.Ignore, fmt.Errorf("%w: epoch %d, key %x", ErrUnknownKey, b.Epoch, kid[:])
		}
		pt, err := Open(key, b, payload)
		if err != nil {
			return nil, message.Reject, err
		}
		payload = pt
	}
	c, err := DecodePayload(b.Kind, payload)
	if err != nil {
		return nil, message.Reject, err
	}
	switch c := c.(type) {
	case Text:
		c.Ref = b.Ref
		return c, message.Accept, nil
	case Delete:
		c.Target = b.Ref
		return c, message.Accept, nil
	case Image:
		c.Ref = b.Ref
	case Reaction:
		c.Target = b.Ref
		return c, message.Accept, nil
	case Alert:
		return c, message.Accept, nil
	}
	return c, message.Accept, nil
}

// carried is the content a carrier accepts without reading it.
type carried struct{}

// MessageKind implements Content; a carrier never hands it out.
func (carried) MessageKind() message.Kind { return 0 }

// postKind: the kinds anyone who may post sends (an open channel, which has
// no owner, takes only these).
func postKind(k message.Kind) bool {
	switch k {
	case message.KindText, message.KindProfile, message.KindDelete, message.KindImage, message.KindImageChunk, message.KindReaction:
		return true
	}
	return false
}
