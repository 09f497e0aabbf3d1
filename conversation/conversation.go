package conversation

import (
	"context"
	"fmt"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// Node is what the conversation service needs of the node it runs in.
type Node interface {
	// Group returns a joined group's State, nil when it is not joined.
	Group(g message.GroupID) *group.State
	// Resolve returns the State of the joined group ref names.
	Resolve(ref string) (*group.State, error)
	// Send composes, signs and publishes content in the group ref names;
	// it returns how many peers took it by gossip.
	Send(ctx context.Context, ref string, c group.Content) (*message.Message, int, error)
	// Open decodes a stored message of a joined or left group (unsealing
	// it in a private group).
	Open(m *message.Message) (group.Content, error)
}

// Store is what the service reads of the node's store (*store.Store is
// one).
type Store interface {
	Get(id message.ID) (store.Stored, error)
	Has(id message.ID) (bool, error)
	Deleted(id message.ID) bool
	History(q store.Query) (store.Page, error)
	Groups() ([]store.Group, error)
	Blocks() ([]store.Block, error)
}

// Service is a user's side of conversations in their groups.
type Service struct {
	node  Node
	store Store
	user  *identity.User
}

// New builds a Service that acts as user.
func New(n Node, s Store, user *identity.User) *Service {
	return &Service{node: n, store: s, user: user}
}

// Reply sends text as a reply to target, a text this node holds in the
// group ref names.
func (c *Service) Reply(ctx context.Context, ref, text string, target message.ID) (*message.Message, int, error) {
	if _, _, err := c.textIn(ref, target); err != nil {
		return nil, 0, err
	}
	return c.node.Send(ctx, ref, group.Text{Text: text, Nick: c.user.Name, Ref: target})
}

// React adds this user's emoji to target, a text this node holds in the
// group ref names. When this user's reaction with that emoji stands
// already, it sends nothing and returns that reaction with added false:
// one reaction per person per emoji.
func (c *Service) React(ctx context.Context, ref string, target message.ID, emoji string) (m *message.Message, peers int, added bool, err error) {
	_, st, err := c.textIn(ref, target)
	if err != nil {
		return nil, 0, false, err
	}
	if err := group.CheckEmoji(emoji); err != nil {
		return nil, 0, false, err
	}
	for _, id := range st.ReactionsBy(c.user.PublicKey(), target, emoji) {
		if s, err := c.store.Get(id); err == nil {
			return s.Msg, 0, false, nil
		}
	}
	m, peers, err = c.node.Send(ctx, ref, group.Reaction{Emoji: emoji, Target: target})
	return m, peers, err == nil, err
}

// Unreact takes back this user's reactions with emoji to target by
// deleting them, and returns how many it deleted (0: there was none, and
// nothing is sent).
func (c *Service) Unreact(ctx context.Context, ref string, target message.ID, emoji string) (int, error) {
	st, err := c.node.Resolve(ref)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, id := range st.ReactionsBy(c.user.PublicKey(), target, emoji) {
		if _, _, err := c.node.Send(ctx, ref, group.Delete{Target: id}); err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// Reactions returns the reactions to target in group gid that stand and
// that this node still stores (admission may have made room by dropping
// old ones), one per author per emoji.
func (c *Service) Reactions(gid message.GroupID, target message.ID) []group.ReactionCount {
	st := c.node.Group(gid)
	if st == nil {
		return nil
	}
	return st.Reactions(target, func(id message.ID) bool {
		ok, err := c.store.Has(id) // true of a tombstone too
		return err == nil && ok && !c.store.Deleted(id)
	})
}

// peopleScan bounds how many recent messages People reads for the
// nicknames of authors without a profile (everyone in a channel).
const peopleScan = 2000

// People returns the nicknames of the people seen in the group ref names,
// by fingerprint: the members' profiles, and the nick of each author's
// latest text among the recent ones (channels carry no profiles). It is
// what an @name picker offers.
func (c *Service) People(ref string) (map[identity.Fingerprint]string, error) {
	st, err := c.node.Resolve(ref)
	if err != nil {
		return nil, err
	}
	out := map[identity.Fingerprint]string{}
	page, err := c.store.History(store.Query{Group: st.ID(), Newest: true, Limit: peopleScan})
	if err != nil {
		return nil, err
	}
	// Oldest first, so that an author's latest nick wins.
	for i := len(page.Messages) - 1; i >= 0; i-- {
		s := page.Messages[i]
		if s.Msg.Body.Kind != message.KindText {
			continue
		}
		if content, err := st.Open(s.Msg); err == nil {
			if t, ok := content.(group.Text); ok && t.Nick != "" {
				out[identity.FingerprintOf(s.Msg.Body.Author)] = t.Nick
			}
		}
	}
	for _, k := range st.Members() {
		if p, ok := st.Profile(k); ok {
			out[identity.FingerprintOf(k)] = p.Nick
		}
	}
	return out, nil
}

// textIn finds target among the texts this node stores in the group ref
// names.
func (c *Service) textIn(ref string, target message.ID) (store.Stored, *group.State, error) {
	st, err := c.node.Resolve(ref)
	if err != nil {
		return store.Stored{}, nil, err
	}
	s, err := c.store.Get(target)
	switch {
	case err != nil:
		return store.Stored{}, nil, fmt.Errorf("message %s in %s: %w", target.Short(), st.Name(), err)
	case s.Msg.Body.Group != st.ID():
		return store.Stored{}, nil, fmt.Errorf("message %s is not in %s: %w", target.Short(), st.Name(), store.ErrNotFound)
	case s.Msg.Body.Kind != message.KindText:
		return store.Stored{}, nil, fmt.Errorf("%w: message %s is a %s; only texts take replies and reactions", group.ErrBadPayload, target.Short(), s.Msg.Body.Kind)
	}
	return s, st, nil
}
