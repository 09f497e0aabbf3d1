package group

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"time"

	"starling/identity"
	"starling/message"
)

// Membership and the right to post.
//
// In a private group the invite link is a key, so holding the group's
// secret cannot be what makes a member: a link made before a removal would
// let the removed member (or anyone they hand it to) back in. So a member
// is someone who is not removed, has a profile, and has been seen by every
// valid removal since: listed in the removal's key entries, admitted by an
// Add that has the removal in its history, or holding a key that came after
// it (a profile sealed under such a key proves it). A link made before a
// removal gives none of these, and its holder is told to ask for a fresh
// one (Standing). In open groups and announcement channels every author is
// a member; the right to post is what the authority grants and takes.

// memberIn reports whether k is a member in view v (nil: a channel).
func (s *State) memberIn(v *view, k key32) bool {
	if v == nil || s.kind != KindPrivate {
		return true
	}
	if v.genesis != nil && k == s.auth.owner || v.admins[k] {
		return true
	}
	if v.removed[k] != nil {
		return false
	}
	if _, ok := s.profileIn(v, k); !ok {
		return false
	}
	for _, r := range v.removals {
		if key32(target(r.op.Action)) == k || s.seenBy(v, k, r) {
			continue
		}
		return false
	}
	return true
}

// seenBy reports whether removal r saw k as a member: r's key entries name
// k, a valid Add of k has r in its history, or k holds a key whose Op has r
// in its history.
func (s *State) seenBy(v *view, k key32, r *anode) bool {
	if r.entryFor(k[:]) != nil {
		return true
	}
	for _, a := range v.adds[k] {
		if r.before(a) {
			return true
		}
	}
	for _, e := range s.profiles[k] {
		if o := v.origins[e.key]; o != nil && r.before(o) && s.profileCountsIn(v, k, e) {
			return true
		}
	}
	return false
}

// entryFor returns n's key entry for member, nil if its known parts have
// none.
func (n *anode) entryFor(member []byte) *KeyEntry {
	if len(member) != 32 {
		return nil
	}
	return n.entries[key32(member)]
}

// rightIn reports whether k may post messages of the given kind in view v,
// and why not.
func (s *State) rightIn(v *view, k key32, kind message.Kind) (bool, error) {
	switch {
	case v == nil:
		return true, nil
	case v.banned[k] != nil:
		return false, ErrBanned
	}
	switch s.kind {
	case KindAnnounce:
		if !s.isAdminIn(v, k[:]) && !v.posters[k] {
			return false, fmt.Errorf("%w: only the owner, admins and posters post here", ErrNotAllowed)
		}
	case KindPrivate:
		if v.removed[k] != nil {
			return false, ErrRemoved
		}
		// A profile may be what makes its author a member.
		// A carrier cannot read profiles, so it cannot tell members.
		if kind != message.KindProfile && s.carrier == nil && !s.memberIn(v, k) {
			return false, ErrNotMember
		}
	}
	return true, nil
}

// allowedIn applies the authority to a message (not an Op) by author k:
// whoever may post now posts, except that someone who lost the right and
// got it back posts only from when they got it back; and whatever a
// revocation's cut keeps stays valid. It answers Accept or Ignore (what it
// refuses depends on the Ops this node holds).
func (s *State) allowedIn(v *view, k key32, id message.ID, sentAtMS uint64, kind message.Kind) (message.Verdict, error) {
	if v == nil {
		return message.Accept, nil
	}
	if v.genesis == nil {
		return message.Ignore, fmt.Errorf("%w: the group's genesis is not known yet", ErrStale)
	}
	if _, kept := v.keep[k][id]; kept {
		return message.Accept, nil
	}
	ok, why := s.rightIn(v, k, kind)
	if !ok {
		return message.Ignore, why
	}
	if v.revoked[k] && (v.since[k] == 0 || sentAtMS < v.since[k]) {
		return message.Ignore, fmt.Errorf("%w: sent while the author could not post here, and no revocation kept it", ErrRevoked)
	}
	return message.Accept, nil
}

// Standing is where a person stands in a group, as this node knows it.
type Standing struct {
	// Member: they may read what is sent from now on and post (in an
	// announcement channel posting also needs Poster or an admin).
	Member bool
	Owner  bool
	Admin  bool
	Poster bool
	// Removed or Banned, with who did it, when and why (bans only).
	Removed, Banned bool
	By              ed25519.PublicKey
	At              time.Time
	Reason          string
	// Stale: their invite was made before a removal this node knows of, so
	// it gives no access to what is sent after it; they need a fresh link
	// (or an admin's Add).
	Stale bool
}

// Standing returns where pub stands in the group.
func (s *State) Standing(pub ed25519.PublicKey) Standing {
	var st Standing
	if len(pub) != 32 {
		return st
	}
	k := key32(pub)
	s.readView(func(v *view) {
		if v == nil {
			st.Member = true
			return
		}
		st.Owner = v.genesis != nil && k == s.auth.owner
		st.Admin = s.isAdminIn(v, pub)
		st.Poster = v.posters[k]
		if b := v.banned[k]; b != nil {
			st.Banned, st.By, st.At = true, slices.Clone(b.m.Body.Author), b.m.Body.SentAt()
			st.Reason = b.op.Action.(Ban).Reason
		}
		if r := v.removed[k]; r != nil {
			st.Removed, st.By, st.At = true, slices.Clone(r.m.Body.Author), r.m.Body.SentAt()
		}
		st.Member = !st.Banned && s.memberIn(v, k)
		if s.kind == KindPrivate && !st.Member && !st.Removed && !st.Banned {
			_, hasProfile := s.profileIn(v, k)
			st.Stale = hasProfile && len(v.removals) > 0
		}
	})
	return st
}

// Why says in one line why pub may not post here, "" if they may.
func (st Standing) Why(groupName string) string {
	by := ""
	if st.By != nil {
		by = " by " + string(identity.FingerprintOf(st.By))
	}
	when := ""
	if !st.At.IsZero() {
		when = " at " + st.At.UTC().Format(time.RFC3339)
	}
	switch {
	case st.Removed:
		return fmt.Sprintf("you were removed from %s%s%s; you can still read what was sent before", groupName, by, when)
	case st.Banned:
		reason := ""
		if st.Reason != "" {
			reason = " (" + st.Reason + ")"
		}
		return fmt.Sprintf("you are banned from %s%s%s%s", groupName, by, when, reason)
	case st.Stale:
		return fmt.Sprintf("your invite to %s was made before someone was removed, so it no longer admits you; ask a member for a fresh link", groupName)
	}
	return ""
}
