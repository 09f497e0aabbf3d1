package group_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

func TestCheckEmoji(t *testing.T) {
	for _, tc := range []struct {
		emoji string
		ok    bool
	}{
		{"👍", true},
		{"👍🏽", true},      // skin tone
		{"❤️", true},      // variation selector
		{"👩‍👩‍👧‍👦", true}, // zero-width joiners
		{"🇫🇷", true},      // regional indicators
		{"🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", true}, // tags
		{"1️⃣", true}, // keycap
		{"#⃣", true},
		{"‼️", true},
		{"", false},
		{"a", false},
		{"1", false},
		{"ok", false},
		{"👍 ", false},
		{" 👍", false},
		{"👍\n", false},
		{"\u200d👍", false},
		{"\ufe0f", false},
		{"π", false},
		{"你", false},
		{"👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍", false}, // 17 code points
		{string([]byte{0xff}), false},
	} {
		err := group.CheckEmoji(tc.emoji)
		if (err == nil) != tc.ok {
			t.Errorf("CheckEmoji(%q) = %v, want ok %v", tc.emoji, err, tc.ok)
		}
		if err != nil && !errors.Is(err, group.ErrBadPayload) {
			t.Errorf("CheckEmoji(%q): %v does not wrap ErrBadPayload", tc.emoji, err)
		}
	}
}

// counts renders Reactions as "👍2 ❤️1", in their order.
func counts(s *group.State, target message.ID) string {
	var b bytes.Buffer
	for i, rc := range s.Reactions(target, nil) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s%d", rc.Emoji, len(rc.Authors))
	}
	return b.String()
}

func react(emoji string, target *message.Message) group.Reaction {
	return group.Reaction{Emoji: emoji, Target: target.ID}
}

func TestReactions(t *testing.T) {
	alice, history := create(t, "alice", group.KindOpen, time.Time{})
	bob := join(t, alice, "bob", at(1), history...)
	carol := join(t, alice, "carol", at(1), history...)
	hello := alice.compose(t, text("hello"), at(2))
	for _, p := range []*peer{alice, bob, carol} {
		p.deliver(t, at(2), hello)
	}

	// Bob reacts twice with the same emoji (two devices, or a forger of
	// his own key): he counts once.
	b1 := bob.compose(t, react("👍", hello), at(3))
	b2 := forge(t, bob.u, alice.s.ID(), react("👍", hello), hello.ID, 0, nil, at(4))
	c1 := carol.compose(t, react("👍", hello), at(5))
	c2 := carol.compose(t, react("❤️", hello), at(6))
	if b1.Body.Kind != message.KindReaction || b1.Body.Ref != hello.ID {
		t.Fatalf("a reaction composed as %s with ref %s", b1.Body.Kind, b1.Body.Ref.Short())
	}
	got := alice.want(t, b1, at(7), message.Accept, nil)
	if r, ok := got.(group.Reaction); !ok || r.Emoji != "👍" || r.Target != hello.ID {
		t.Errorf("Check's content: %#v", got)
	}
	alice.accept(t, at(7), b2, c1, c2)
	if got := counts(alice.s, hello.ID); got != "👍2 ❤️1" {
		t.Errorf("counts %q, want 👍2 ❤️1", got)
	}
	if ids := alice.s.ReactionsBy(bob.u.PublicKey(), hello.ID, "👍"); len(ids) != 2 {
		t.Errorf("bob's 👍 reactions: %d, want 2", len(ids))
	}

	// Taking it back: bob deletes his reactions; a reaction is his to
	// delete, not carol's.
	bob.deliver(t, at(7), b1, b2)
	for _, id := range bob.s.ReactionsBy(bob.u.PublicKey(), hello.ID, "👍") {
		alice.accept(t, at(8), bob.compose(t, group.Delete{Target: id}, at(8)))
	}
	alice.want(t, forge(t, carol.u, alice.s.ID(), group.Delete{Target: c2.ID}, c2.ID, 0, nil, at(8)), at(8), message.Accept, nil)
	if got := counts(alice.s, hello.ID); got != "👍1" {
		t.Errorf("after bob took his back and carol her heart: %q, want 👍1", got)
	}
	if ids := alice.s.ReactionsBy(bob.u.PublicKey(), hello.ID, "👍"); len(ids) != 0 {
		t.Errorf("bob's deleted reactions still listed: %d", len(ids))
	}
	alice.want(t, forge(t, bob.u, alice.s.ID(), group.Delete{Target: c1.ID}, c1.ID, 0, nil, at(9)), at(9), message.Ignore, group.ErrNotAllowed)

	// A reaction names its target; its emoji is an emoji.
	alice.want(t, forge(t, bob.u, alice.s.ID(), react("👍", hello), message.ID{}, 0, nil, at(9)), at(9), message.Reject, group.ErrBadPayload)
	bad := forgeRaw(t, bob.u, alice.s.ID(), message.KindReaction, hello.ID, 0, nil, []byte("\x0a\x02ok"), at(9))
	alice.want(t, bad, at(9), message.Reject, group.ErrBadPayload)
	if _, err := bob.s.Compose(bob.u, group.Reaction{Emoji: "yes", Target: hello.ID}, at(9)); !errors.Is(err, group.ErrBadPayload) {
		t.Errorf("composed a reaction with a word: %v", err)
	}
}

// A deleted message's reactions go with it, whichever came first, and
// reactions to it arriving later are ignored.
func TestReactionsDeletedWithTarget(t *testing.T) {
	alice, history := create(t, "alice", group.KindOpen, time.Time{})
	bob := join(t, alice, "bob", at(1), history...)
	post := bob.compose(t, text("regrettable"), at(2))
	other := bob.compose(t, text("fine"), at(2))
	alice.accept(t, at(2), post, other)
	bob.accept(t, at(2), post)
	r1 := alice.compose(t, react("👎", post), at(3))
	r2 := bob.compose(t, react("😅", post), at(3))
	kept := alice.compose(t, react("👍", other), at(3))
	alice.accept(t, at(3), r1, r2, kept)
	late := forge(t, user(t, "dave"), alice.s.ID(), react("🙈", post), post.ID, 0, nil, at(4))

	del := bob.compose(t, group.Delete{Target: post.ID}, at(5))
	_, _, eff, err := alice.receive(t, del, at(5))
	if err != nil {
		t.Fatal(err)
	}
	want := map[message.ID]bool{post.ID: true, r1.ID: true, r2.ID: true}
	if len(eff.Deleted) != len(want) {
		t.Errorf("Deleted %d messages, want the post and its 2 reactions", len(eff.Deleted))
	}
	for _, id := range eff.Deleted {
		if !want[id] {
			t.Errorf("Deleted names %s, which is not the post or its reactions", id.Short())
		}
	}
	alice.effects(t, eff, at(5))
	if alice.has(r1) || alice.has(r2) || !alice.has(kept) {
		t.Error("the deletion did not take exactly the post's reactions")
	}
	if got := counts(alice.s, post.ID); got != "" {
		t.Errorf("a deleted post still counts %q", got)
	}
	alice.want(t, late, at(6), message.Ignore, group.ErrDeleted)

	// Another node stores a reaction (it passed Check) but applies the
	// tombstone first: applying the reaction then deletes it.
	carol := join(t, alice, "carol", at(6), history...)
	carol.deliver(t, at(6), post, del)
	if _, v, err := carol.s.Check(late, at(6)); v != message.Ignore || !errors.Is(err, group.ErrDeleted) {
		t.Errorf("carol judges a reaction to a deleted post: %s %v", v, err)
	}
	c, err := bob.s.Open(r2)
	if err != nil {
		t.Fatal(err)
	}
	if eff := carol.s.Apply(r2, c); len(eff.Deleted) != 1 || eff.Deleted[0] != r2.ID {
		t.Errorf("applying a reaction to a deleted post: Deleted %v", eff.Deleted)
	}
}

// A thousand throwaway keys add a thousand to a count, never more: each
// key counts once per emoji however many reactions it signs, and a key's
// reactions stop counting when it is banned.
func TestReactionsThrowawayKeys(t *testing.T) {
	alice, _ := create(t, "alice", group.KindOpen, time.Time{})
	post := alice.compose(t, text("vote"), at(1))
	alice.accept(t, at(1), post)
	const keys, each = 1000, 3
	var first *identity.User
	for i := range keys {
		seed := sha256.Sum256(fmt.Appendf(nil, "throwaway %d", i))
		u, err := identity.UserFromKey("x", ed25519.NewKeyFromSeed(seed[:]))
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = u
		}
		for j := range each {
			alice.accept(t, at(2+j), forge(t, u, alice.s.ID(), react("🔥", post), post.ID, 0, nil, at(2+j)))
		}
	}
	rs := alice.s.Reactions(post.ID, nil)
	if len(rs) != 1 || rs[0].Emoji != "🔥" || len(rs[0].Authors) != keys {
		t.Fatalf("%d keys signing %d reactions each: %d emoji, %v authors", keys, each, len(rs), len(rs[0].Authors))
	}
	// held: what the node no longer stores does not count.
	if rs := alice.s.Reactions(post.ID, func(message.ID) bool { return false }); len(rs) != 0 {
		t.Errorf("reactions the node no longer holds count: %v", rs)
	}
	alice.own(t)(alice.s.BanMember(alice.u, first.PublicKey(), "sybil", at(10)))
	// The ban's cut keeps what alice held: the banned key's reactions
	// stay valid, like its texts. A key banned before reacting counts for
	// nothing.
	later := forge(t, first, alice.s.ID(), react("🔥", post), post.ID, 0, nil, at(11))
	alice.want(t, later, at(11), message.Ignore, group.ErrBanned)
	if got := len(alice.s.Reactions(post.ID, nil)[0].Authors); got != keys {
		t.Errorf("after the ban: %d authors, want %d (the cut keeps its reactions)", got, keys)
	}
}

// In a private group a reaction is sealed like a text; a carrier holds and
// deletes it with its target without reading it; a removed member's later
// reactions do not count.
func TestReactionsPrivate(t *testing.T) {
	alice, bob, carol, _ := privateTrio(t)
	post := alice.compose(t, text("secret plan"), at(5))
	r := bob.compose(t, react("🤫", post), at(6))
	if r.Body.Epoch == 0 || bytes.Contains(r.Body.Payload, []byte("🤫")) {
		t.Fatalf("a private reaction is not sealed (epoch %d)", r.Body.Epoch)
	}
	alice.accept(t, at(6), post, r)
	carol.accept(t, at(6), post, r)
	if got := counts(carol.s, post.ID); got != "🤫1" {
		t.Errorf("carol counts %q", got)
	}
	inv, err := alice.s.CarrierInvite(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := carrierPeer(t, inv.Link())
	c.deliver(t, at(6), alice.stored()...)
	if !c.has(r) {
		t.Fatal("the carrier did not take the sealed reaction")
	}
	if got := counts(c.s, post.ID); got != "" {
		t.Errorf("a carrier counts what it cannot read: %q", got)
	}
	del := alice.compose(t, group.Delete{Target: post.ID}, at(7))
	c.deliver(t, at(7), del)
	if c.has(r) || c.has(post) {
		t.Error("the carrier keeps a deleted post or its reaction")
	}

	// Removed: carol's reaction signed after the removal does not count.
	removal := alice.own(t)(alice.s.RemoveMember(alice.u, carol.u.PublicKey(), at(10)))
	bob.accept(t, at(10), removal...)
	next := alice.compose(t, text("after carol left"), at(11))
	bob.accept(t, at(11), next)
	stale := forge(t, carol.u, alice.s.ID(), react("👀", next), next.ID, 1, epochOne(t, alice), at(12))
	if _, v, _ := bob.s.Check(stale, at(12)); v == message.Accept {
		t.Error("bob accepts a removed member's reaction")
	}
	if got := counts(bob.s, next.ID); got != "" {
		t.Errorf("bob counts %q after carol's removal", got)
	}
}

// An open channel takes reactions; in an announcement channel they follow
// the rule of texts: only those who may post react.
func TestReactionsWhoMay(t *testing.T) {
	ch, err := group.NewChannel("lobby", group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	u := user(t, "bob")
	m, err := ch.Compose(u, group.Text{Text: "hi", Nick: "bob"}, at(1))
	if err != nil {
		t.Fatal(err)
	}
	rm, err := ch.Compose(u, group.Reaction{Emoji: "👋", Target: m.ID}, at(2))
	if err != nil {
		t.Fatal(err)
	}
	c, v, err := ch.Check(rm, at(2))
	if v != message.Accept {
		t.Fatalf("a channel judges a reaction %s: %v", v, err)
	}
	ch.Apply(rm, c)
	if got := counts(ch, m.ID); got != "👋1" {
		t.Errorf("channel counts %q", got)
	}

	alice, history := create(t, "alice", group.KindAnnounce, time.Time{})
	reader := join(t, alice, "reader", at(1), history...)
	news := alice.compose(t, text("news"), at(2))
	reader.accept(t, at(2), news)
	if _, err := reader.s.Compose(reader.u, react("👍", news), at(3)); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("a reader composed a reaction in an announcement channel: %v", err)
	}
	alice.want(t, forge(t, reader.u, alice.s.ID(), react("👍", news), news.ID, 0, nil, at(3)), at(3), message.Ignore, group.ErrNotAllowed)
}

// Replay rebuilds the index from stored reactions and their deletions.
func TestReactionsReplay(t *testing.T) {
	alice, history := create(t, "alice", group.KindOpen, time.Time{})
	post := alice.compose(t, text("hi"), at(1))
	r1 := alice.compose(t, react("👍", post), at(2))
	r2 := alice.compose(t, react("🎉", post), at(2))
	undo := alice.compose(t, group.Delete{Target: r2.ID}, at(3))
	alice.accept(t, at(3), post, r1, r2, undo)
	again := newPeer(alice.u)
	s, err := group.RestoreSecrets(mustSecrets(t, alice), alice.u, again.cfg())
	if err != nil {
		t.Fatal(err)
	}
	again.s = s
	for _, m := range alice.stored() {
		again.store[m.ID] = m
	}
	again.s.Replay(append(history, post, r1, r2, undo))
	if got := counts(again.s, post.ID); got != "👍1" {
		t.Errorf("after replay %q, want 👍1", got)
	}
}

func mustSecrets(t *testing.T, p *peer) []byte {
	t.Helper()
	b, err := p.s.MarshalSecrets()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
