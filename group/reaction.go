package group

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"

	"starling/group/grouppb"
	"starling/message"
)

// Reactions. A reaction is a signed message of its own (message.KindReaction)
// whose ref names the message reacted to and whose payload is one emoji. It
// takes the path of a text: the same rules (who may post, bans, removals,
// revocations' cuts), sealed under the epoch key in a private group, and the
// node's admission budgets. Its author takes it back by deleting it, and a
// deleted message's reactions go with it (Effects.Deleted names them).
//
// Counts are of distinct authors per emoji, so a person counts once however
// many reactions they sign; what one key adds to a count is one. Reactions
// by many keys cost what that many texts cost: each is a signed message
// judged by the author's rate, the forwarding peer's and address's budgets
// and the group's storage.

// Limits of a reaction's emoji.
const (
	// MaxEmojiBytes caps an emoji in bytes: the longest sequences (a kiss
	// with two skin tones) take 35.
	MaxEmojiBytes = 48
	// MaxEmojiRunes caps an emoji in code points.
	MaxEmojiRunes = 16
)

// Reaction is one emoji on Target (the envelope's ref).
type Reaction struct {
	Emoji  string
	Target message.ID
}

// MessageKind implements Content.
func (Reaction) MessageKind() message.Kind { return message.KindReaction }

// CheckEmoji reports whether s is one emoji as a reaction carries it: a
// pictograph (Unicode symbols) with its skin-tone modifiers, zero-width
// joiners, variation selectors and tags, or a keycap (0-9, # or * and
// U+20E3). Letters, digits, spaces, punctuation and control characters are
// refused, so a reaction cannot carry text. Errors wrap ErrBadPayload.
func CheckEmoji(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: no emoji", ErrBadPayload)
	case len(s) > MaxEmojiBytes:
		return fmt.Errorf("%w: emoji is %d bytes, limit %d", ErrBadPayload, len(s), MaxEmojiBytes)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: emoji is not UTF-8", ErrBadPayload)
	case utf8.RuneCountInString(s) > MaxEmojiRunes:
		return fmt.Errorf("%w: emoji is %d code points, limit %d", ErrBadPayload, utf8.RuneCountInString(s), MaxEmojiRunes)
	}
	rs := []rune(s)
	pictograph := false
	for i, r := range rs {
		switch {
		case emojiJoiner(r):
			if i == 0 {
				return fmt.Errorf("%w: %q starts with a joiner or modifier", ErrBadPayload, s)
			}
		case r < 0x80:
			if !keycapBase(r) || !keycapFollows(rs[i+1:]) {
				return fmt.Errorf("%w: %q is not an emoji", ErrBadPayload, s)
			}
			pictograph = true
		case unicode.In(r, unicode.So, unicode.Sk),
			r >= 0x2000 && unicode.In(r, unicode.Sm, unicode.Po, unicode.Pd):
			pictograph = true
		default:
			return fmt.Errorf("%w: %q is not an emoji", ErrBadPayload, s)
		}
	}
	if !pictograph {
		return fmt.Errorf("%w: %q is not an emoji", ErrBadPayload, s)
	}
	return nil
}

// emojiJoiner: what joins or modifies a pictograph but is none itself.
func emojiJoiner(r rune) bool {
	return r == 0x200D || r == 0xFE0F || r == 0xFE0E || r == 0x20E3 || (r >= 0xE0020 && r <= 0xE007F)
}

func keycapBase(r rune) bool { return r >= '0' && r <= '9' || r == '#' || r == '*' }

// keycapFollows: the keycap mark comes next, after an optional variation
// selector.
func keycapFollows(rest []rune) bool {
	if len(rest) > 0 && rest[0] == 0xFE0F {
		rest = rest[1:]
	}
	return len(rest) > 0 && rest[0] == 0x20E3
}

func encodeReaction(r Reaction) ([]byte, error) {
	if err := CheckEmoji(r.Emoji); err != nil {
		return nil, err
	}
	b, err := marshalOpts.Marshal(&grouppb.Reaction{Emoji: r.Emoji})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return b, nil
}

func decodeReaction(payload []byte) (Content, error) {
	var pb grouppb.Reaction
	if err := decode(payload, &pb); err != nil {
		return nil, err
	}
	if err := CheckEmoji(pb.Emoji); err != nil {
		return nil, err
	}
	return Reaction{Emoji: pb.Emoji}, nil
}

// reactionEntry is a stored reaction as the State indexes it. A carrier,
// which cannot open it, indexes it with no emoji: enough to delete it with
// its target.
type reactionEntry struct {
	id     message.ID
	author key32
	emoji  string
	sentAt uint64
}

// reactionIndex holds the stored reactions by target, and each one's
// target. Its maps are made on first use.
type reactionIndex struct {
	byTarget map[message.ID][]reactionEntry
	target   map[message.ID]message.ID
}

// applyReactionLocked indexes a stored reaction under its target. A
// reaction whose target is deleted goes at once.
func (s *State) applyReactionLocked(m *message.Message, emoji string) Effects {
	target := m.Body.Ref
	if _, ok := s.reactions.target[m.ID]; ok {
		return Effects{}
	}
	if s.reactions.byTarget == nil {
		s.reactions.byTarget = map[message.ID][]reactionEntry{}
		s.reactions.target = map[message.ID]message.ID{}
	}
	s.reactions.target[m.ID] = target
	s.reactions.byTarget[target] = append(s.reactions.byTarget[target], reactionEntry{id: m.ID, author: key32(m.Body.Author), emoji: emoji, sentAt: m.Body.SentAtMS})
	if s.deletedIn(s.viewLocked(), target) {
		return Effects{Deleted: []message.ID{m.ID}}
	}
	return Effects{}
}

// withReactionsLocked adds to deleted targets the reactions to them, which
// go with them.
func (s *State) withReactionsLocked(deleted []message.ID) []message.ID {
	out := deleted
	for _, id := range deleted {
		for _, e := range s.reactions.byTarget[id] {
			out = append(out, e.id)
		}
	}
	return out
}

// ReactionCount is one emoji's reactions to a message: the distinct
// authors whose reactions stand, sorted bytewise.
type ReactionCount struct {
	Emoji   string
	Authors []ed25519.PublicKey
}

// Reactions returns the reactions to target that stand (none when target
// is deleted): not deleted, by
// authors who may post (their reaction is valid under the group's current
// authority), and held, which the node answers from its store (nil: all
// indexed ones; it is called without the State's lock). One per author
// per emoji; the emoji most reacted with come first, then the earliest.
func (s *State) Reactions(target message.ID, held func(message.ID) bool) []ReactionCount {
	var live []reactionEntry
	s.readView(func(v *view) {
		if s.deletedIn(v, target) {
			return
		}
		for _, e := range s.reactions.byTarget[target] {
			if e.emoji == "" || s.deletedIn(v, e.id) {
				continue
			}
			if verdict, _ := s.allowedIn(v, e.author, e.id, e.sentAt, message.KindReaction); verdict != message.Accept {
				continue
			}
			live = append(live, e)
		}
	})
	type tally struct {
		first   uint64
		authors map[key32]bool
	}
	by := map[string]*tally{}
	for _, e := range live {
		if held != nil && !held(e.id) {
			continue
		}
		t := by[e.emoji]
		if t == nil {
			t = &tally{first: e.sentAt, authors: map[key32]bool{}}
			by[e.emoji] = t
		}
		t.first = min(t.first, e.sentAt)
		t.authors[e.author] = true
	}
	out := make([]ReactionCount, 0, len(by))
	for emoji, t := range by {
		out = append(out, ReactionCount{Emoji: emoji, Authors: sortedKeys(t.authors)})
	}
	slices.SortFunc(out, func(a, b ReactionCount) int {
		if c := cmp.Compare(len(b.Authors), len(a.Authors)); c != 0 {
			return c
		}
		if c := cmp.Compare(by[a.Emoji].first, by[b.Emoji].first); c != 0 {
			return c
		}
		return cmp.Compare(a.Emoji, b.Emoji)
	})
	return out
}

// ReactionsBy returns author's reactions to target with emoji that are not
// deleted: what sending the same reaction again would duplicate, and what
// taking it back deletes.
func (s *State) ReactionsBy(author ed25519.PublicKey, target message.ID, emoji string) []message.ID {
	var out []message.ID
	s.readView(func(v *view) {
		for _, e := range s.reactions.byTarget[target] {
			if e.emoji == emoji && bytes.Equal(e.author[:], author) && !s.deletedIn(v, e.id) {
				out = append(out, e.id)
			}
		}
	})
	return out
}

// carriedApplies reports whether a carrier applies a message of kind k that
// it cannot open: a tombstone's target and a reaction's are in the clear.
func carriedApplies(k message.Kind) bool {
	return k == message.KindDelete || k == message.KindReaction
}

// ReactionTarget returns the message a stored reaction reacts to, if id is
// one this State indexed.
func (s *State) ReactionTarget(id message.ID) (message.ID, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.reactions.target[id]
	return t, ok
}

// WithReactions returns ids and the stored reactions to them: what goes
// when they are deleted.
func (s *State) WithReactions(ids []message.ID) []message.ID {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.withReactionsLocked(slices.Clone(ids))
}
