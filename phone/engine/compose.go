package engine

import (
	"crypto/ed25519"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

// Posted is what the user's own message (or Ops) changed: its records are
// in Stored, its envelopes in Publish.
type Posted = changes

// compose runs f on the group, under the lock, and accepts and publishes
// what it signs.
func (e *Engine) compose(groupID string, f func(j *joined, u *identity.User, now time.Time) ([]*message.Message, error)) (Posted, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	j, err := e.groupLocked(groupID)
	if err != nil {
		return Posted{}, err
	}
	ms, err := f(j, e.me, e.clock())
	if err != nil {
		return Posted{}, wrap(err)
	}
	c := newChanges()
	for _, m := range ms {
		if err := e.ownLocked(j, m, &c); err != nil {
			return Posted{}, err
		}
	}
	return c, nil
}

func one(m *message.Message, err error) ([]*message.Message, error) {
	if err != nil {
		return nil, err
	}
	return []*message.Message{m}, nil
}

func optionalID(s string) (message.ID, error) {
	if s == "" {
		return message.ID{}, nil
	}
	id, err := message.ParseID(s)
	if err != nil {
		return message.ID{}, errorf(CodeBadArgument, "message ID: %v", err)
	}
	return id, nil
}

func requiredID(s string) (message.ID, error) {
	if s == "" {
		return message.ID{}, errorf(CodeBadArgument, "no message ID")
	}
	return optionalID(s)
}

// Post signs (and in a private group seals) a text, replying to replyTo
// ("" for none).
func (e *Engine) Post(groupID, text, replyTo string) (Posted, error) {
	ref, err := optionalID(replyTo)
	if err != nil {
		return Posted{}, err
	}
	return e.compose(groupID, func(j *joined, u *identity.User, now time.Time) ([]*message.Message, error) {
		return one(j.st.Compose(u, group.Text{Text: text, Nick: u.Name, Ref: ref}, now))
	})
}

// React adds the user's emoji to a message, or takes it back (remove):
// taking back deletes the user's reactions with that emoji.
func (e *Engine) React(groupID, messageID, emoji string, remove bool) (Posted, error) {
	target, err := requiredID(messageID)
	if err != nil {
		return Posted{}, err
	}
	if err := group.CheckEmoji(emoji); err != nil {
		return Posted{}, errorf(CodeBadArgument, "%v", err)
	}
	return e.compose(groupID, func(j *joined, u *identity.User, now time.Time) ([]*message.Message, error) {
		mine := j.st.ReactionsBy(u.PublicKey(), target, emoji)
		if !remove {
			if len(mine) > 0 {
				return nil, nil // one reaction per person per emoji
			}
			return one(j.st.Compose(u, group.Reaction{Emoji: emoji, Target: target}, now))
		}
		var out []*message.Message
		for _, id := range mine {
			m, err := j.st.Compose(u, group.Delete{Target: id}, now)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	})
}

// DeleteMessage deletes a message: the user's own, or any as owner or
// admin.
func (e *Engine) DeleteMessage(groupID, messageID, reason string) (Posted, error) {
	target, err := requiredID(messageID)
	if err != nil {
		return Posted{}, err
	}
	return e.compose(groupID, func(j *joined, u *identity.User, now time.Time) ([]*message.Message, error) {
		return one(j.st.Compose(u, group.Delete{Target: target, Reason: reason}, now))
	})
}

// person finds someone the group's state names by their fingerprint.
func person(j *joined, fingerprint string) (ed25519.PublicKey, error) {
	fp, err := identity.ParseFingerprint(fingerprint)
	if err != nil {
		return nil, errorf(CodeBadArgument, "%v", err)
	}
	pub, ok := j.st.Person(fp)
	if !ok {
		return nil, errorf(CodeBadArgument, "%v: %s", group.ErrUnknownPerson, fp.Short())
	}
	return pub, nil
}

// Ban bans an author from the group (owner and admins).
func (e *Engine) Ban(groupID, fingerprint, reason string) (Posted, error) {
	return e.compose(groupID, func(j *joined, u *identity.User, now time.Time) ([]*message.Message, error) {
		pub, err := person(j, fingerprint)
		if err != nil {
			return nil, err
		}
		return j.st.BanMember(u, pub, reason, now)
	})
}

// Unban lifts an author's bans (owner and admins).
func (e *Engine) Unban(groupID, fingerprint string) (Posted, error) {
	return e.compose(groupID, func(j *joined, u *identity.User, now time.Time) ([]*message.Message, error) {
		pub, err := person(j, fingerprint)
		if err != nil {
			return nil, err
		}
		return j.st.UnbanMember(u, pub, now)
	})
}

// Reaction is one emoji's count on a message.
type Reaction struct {
	Emoji string `json:"emoji"`
	Count int    `json:"count"`
	Mine  bool   `json:"mine"`
}

// Reactions returns the reactions that stand on a message.
func (e *Engine) Reactions(groupID, messageID string) ([]Reaction, error) {
	target, err := requiredID(messageID)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	j, err := e.groupLocked(groupID)
	if err != nil {
		return nil, err
	}
	out := []Reaction{}
	for _, rc := range j.st.Reactions(target, e.Has) {
		r := Reaction{Emoji: rc.Emoji, Count: len(rc.Authors)}
		for _, a := range rc.Authors {
			r.Mine = r.Mine || a.Equal(e.me.PublicKey())
		}
		out = append(out, r)
	}
	return out, nil
}
