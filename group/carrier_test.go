package group_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

// secretBytes lists every secret a member of p's group holds that opens
// what members say: the secret and the epoch keys of its invite (epoch 1's
// derived from the secret). The control key is not among them: a carrier
// holds it on purpose (it opens the genesis, Ops and parts only).
func secretBytes(t *testing.T, p *peer) [][]byte {
	t.Helper()
	inv, err := p.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	k1, err := group.FirstEpochKey(inv.Secret, p.s.ID())
	if err != nil {
		t.Fatal(err)
	}
	out := [][]byte{inv.Secret, k1}
	if inv.Key != nil {
		out = append(out, inv.Key)
	}
	return out
}

// requireNoSecret fails if data holds any of secrets raw, in hex or in
// base64 (any alphabet, with or without padding).
func requireNoSecret(t *testing.T, what string, data []byte, secrets [][]byte) {
	t.Helper()
	for i, s := range secrets {
		for _, enc := range [][]byte{
			s, []byte(hex.EncodeToString(s)),
			[]byte(base64.RawURLEncoding.EncodeToString(s)), []byte(base64.StdEncoding.EncodeToString(s)),
			[]byte(base64.RawStdEncoding.EncodeToString(s)), []byte(base64.URLEncoding.EncodeToString(s)),
		} {
			if bytes.Contains(data, enc) {
				t.Errorf("%s holds secret %d", what, i)
			}
		}
	}
}

// carrierPeer joins link as a carrier: a peer whose store backs the
// carrier's AuthorOf, as a node's does.
func carrierPeer(t *testing.T, link string) *peer {
	t.Helper()
	inv, err := group.ParseInvite(link)
	if err != nil {
		t.Fatal(err)
	}
	if !inv.Carrier() {
		t.Fatalf("%s is not a carrier link", link)
	}
	p := newPeer(user(t, "relay"))
	if p.s, err = group.Carry(inv, p.cfg()); err != nil {
		t.Fatal(err)
	}
	p.store[inv.Descriptor.ID] = inv.Descriptor
	return p
}

func TestCarrierInviteRoundTrip(t *testing.T) {
	alice, bob, carol, removal := afterRemoval(t) // epoch 2: the link could leak a key of either epoch
	relays := []string{"/ip4/127.0.0.1/tcp/4001"}
	inv, err := bob.s.CarrierInvite(relays)
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := group.ControlKey(secretOf(t, alice), alice.s.ID())
	if err != nil {
		t.Fatal(err)
	}
	link := inv.Link()
	_, genesis := mustDescriptor(t, alice)
	// Changed with issue 13: the link carries the genesis (d, sealed under
	// the control key) and the control key (c) instead of the end time: the
	// carrier reads the settings from the genesis and the group's Ops.
	want := "starling://join?g=" + alice.s.ID().String() + "&o=" + string(alice.u.Fingerprint()) +
		"&d=" + base64.RawURLEncoding.EncodeToString(genesis.Raw) +
		"&t=" + strings.TrimPrefix(alice.s.Topic(), "/starling/1/g/") + "&c=" + base64.RawURLEncoding.EncodeToString(ctl) +
		"&r=%2Fip4%2F127.0.0.1%2Ftcp%2F4001"
	if link != want {
		t.Fatalf("link\n%s\nwant\n%s", link, want)
	}
	requireNoSecret(t, "the carrier link", []byte(link), secretBytes(t, alice))
	if bytes.Contains([]byte(link), []byte(alice.s.Name())) {
		t.Error("the carrier link shows the group's name")
	}

	got, err := group.ParseInvite(link)
	if err != nil {
		t.Fatal(err)
	}
	if got.Link() != link || !got.Carrier() || got.Descriptor.ID != genesis.ID || got.Secret != nil || got.Key != nil || got.Epoch != 0 || !bytes.Equal(got.Control, ctl) {
		t.Fatalf("parsed %+v", got)
	}
	// The carrier reads the genesis and Ops: the name and end time, who
	// is removed; no key, no member, nothing anyone says.
	c := carrierPeer(t, link)
	if !c.s.IsCarrier() || c.s.Kind() != group.KindPrivate || c.s.Topic() != alice.s.Topic() || !c.s.EndsAt().Equal(alice.s.EndsAt()) ||
		c.s.Name() != alice.s.Name() || c.s.Epoch() != 0 || len(c.s.Members()) != 0 {
		t.Errorf("carrier state: topic %s, ends %s, name %q, epoch %d", c.s.Topic(), c.s.EndsAt(), c.s.Name(), c.s.Epoch())
	}
	c.deliver(t, at(11), removal...)
	if !c.s.Standing(carol.u.PublicKey()).Removed || c.s.Epoch() != 0 || len(c.s.Members()) != 0 {
		t.Errorf("carrier state after the removal: carol %+v, epoch %d, members %d", c.s.Standing(carol.u.PublicKey()), c.s.Epoch(), len(c.s.Members()))
	}
	if _, err := c.s.Invite(nil); !errors.Is(err, group.ErrUnreadable) {
		t.Errorf("a carrier's member invite: %v, want %v", err, group.ErrUnreadable)
	}
	if _, err := c.s.Compose(c.u, text("x"), at(12)); !errors.Is(err, group.ErrUnreadable) {
		t.Errorf("a carrier composes: %v, want %v", err, group.ErrUnreadable)
	}
	if _, err := c.s.RemoveMember(c.u, bob.u.PublicKey(), at(12)); err == nil {
		t.Error("a carrier signs a removal")
	}
	// A carrier passes its link on unchanged.
	if again, err := c.s.CarrierInvite(relays); err != nil || again.Link() != link {
		t.Errorf("the carrier's own link: %v\n%s\nwant\n%s", err, again.Link(), link)
	}

	blob, err := c.s.MarshalSecrets()
	if err != nil {
		t.Fatal(err)
	}
	requireNoSecret(t, "the carrier's secrets blob", blob, secretBytes(t, alice))
	r, err := group.RestoreSecrets(blob, nil, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.IsCarrier() || r.Topic() != c.s.Topic() || r.ID() != c.s.ID() {
		t.Errorf("restored carrier: %s, %s", r.Topic(), r.ID().Short())
	}
	// The genesis and Ops come back with the replay of the store.
	if n := r.Replay(c.stored()); n != 1+len(removal) || r.Name() != alice.s.Name() || !r.Standing(carol.u.PublicKey()).Removed {
		t.Errorf("the restored carrier replayed %d messages: name %q", n, r.Name())
	}
	if again, err := r.CarrierInvite(relays); err != nil || again.Link() != link {
		t.Errorf("the restored carrier's link: %v", err)
	}
	// A blob from before carriers read the group's Ops has ends_at_ms: it
	// is read and ignored.
	old := strings.Replace(string(blob), `}`, `,"ends_at_ms":5}`, 1)
	if r, err := group.RestoreSecrets([]byte(old), nil, group.Config{}); err != nil || !r.EndsAt().IsZero() {
		t.Errorf("a blob with ends_at_ms: %v", err)
	}

	// The carrier follows the end time as Ops change it.
	end := at(7200)
	set := alice.own(t)(alice.s.Update(alice.u, group.Update{EndsAt: &end}, at(20)))
	c.deliver(t, at(20), set...)
	if !c.s.EndsAt().Equal(end) {
		t.Errorf("the carrier's end time %s after an Op set it to %s", c.s.EndsAt(), end)
	}
}

func TestCarrierInviteRefuses(t *testing.T) {
	alice, _ := create(t, "alice", group.KindPrivate, at(3600))
	inv, err := alice.s.CarrierInvite(nil)
	if err != nil {
		t.Fatal(err)
	}
	good := inv.Link()
	member, err := alice.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	memberLink := member.Link()
	tHex := strings.TrimPrefix(alice.s.Topic(), "/starling/1/g/")
	publicTopic := strings.TrimPrefix(group.Topic(alice.s.ID()), "/starling/1/g/")
	s := memberLink[strings.Index(memberLink, "&s="):]
	c := good[strings.Index(good, "&c="):]
	d := good[strings.Index(good, "&d="):strings.Index(good, "&t=")]
	other, _ := create(t, "olga", group.KindPrivate, time.Time{})
	otherInv, err := other.s.CarrierInvite(nil)
	if err != nil {
		t.Fatal(err)
	}
	otherD := otherInv.Link()[strings.Index(otherInv.Link(), "&d="):strings.Index(otherInv.Link(), "&t=")]

	for name, tc := range map[string]struct{ link, says string }{
		"without the genesis": {strings.Replace(good, d, "", 1), "d: the link carries no descriptor"},
		"another genesis":     {strings.Replace(good, d, otherD, 1), "the descriptor is for group"},
		"another control key": {strings.Replace(good, c, "&c="+strings.Repeat("A", 43), 1), "does not open it"},
		"with the secret":     {good + s, "carries no s"},
		"with an epoch":       {good + "&e=1", "carries no e"},
		"with a key":          {good + "&k=" + strings.Repeat("A", 43), "carries no k"},
		"upper-case topic":    {strings.Replace(good, tHex, strings.ToUpper(tHex), 1), "t:"},
		"short topic":         {strings.Replace(good, tHex, tHex[:62], 1), "t:"},
		"public topic":        {strings.Replace(good, tHex, publicTopic, 1), "not the one its ID names"},
		"repeated t":          {good + "&t=" + tHex, "appears 2 times"},
		"no control key":      {strings.Replace(good, c, "", 1), "c: a carrier link carries"},
		"short control key":   {strings.Replace(good, c, "&c=AAAA", 1), "c:"},
		"repeated c":          {good + c, "appears 2 times"},
		"c in a member link":  {memberLink + c, "only a carrier link"},
		// Changed with issue 13: the end time left carrier links (a carrier
		// reads it from the group's Ops), so an old link with end is
		// refused as a link from another version.
		"end":      {good + "&end=5", "unknown parameter"},
		"no owner": {strings.Replace(good, "&o="+string(alice.u.Fingerprint()), "", 1), "o:"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := group.ParseInvite(tc.link)
			if !errors.Is(err, group.ErrBadInvite) {
				t.Fatalf("ParseInvite(%s) = %+v, %v; want %v", tc.link, got, err, group.ErrBadInvite)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
		})
	}

	if _, err := group.FromInvite(inv, user(t, "bob"), group.Config{}); !errors.Is(err, group.ErrBadInvite) {
		t.Errorf("FromInvite of a carrier link: %v, want %v", err, group.ErrBadInvite)
	}
	if _, err := group.Carry(member, group.Config{}); !errors.Is(err, group.ErrBadInvite) {
		t.Errorf("Carry of a member link: %v, want %v", err, group.ErrBadInvite)
	}
	leaky := inv
	leaky.Secret = member.Secret
	if _, err := group.Carry(leaky, group.Config{}); !errors.Is(err, group.ErrBadInvite) {
		t.Errorf("Carry of a carrier invite with a secret: %v, want %v", err, group.ErrBadInvite)
	}
	noControl := inv
	noControl.Control = nil
	if _, err := group.Carry(noControl, group.Config{}); !errors.Is(err, group.ErrBadInvite) {
		t.Errorf("Carry of a carrier invite without a control key: %v, want %v", err, group.ErrBadInvite)
	}
	open, _ := create(t, "oscar", group.KindOpen, time.Time{})
	if _, err := open.s.CarrierInvite(nil); err == nil {
		t.Error("an open group made a carrier link")
	}
	if _, err := alice.s.CarrierInvite([]string{"not a multiaddr"}); err == nil {
		t.Error("CarrierInvite accepted a bad relay")
	}
	ctl := base64.StdEncoding.EncodeToString(inv.Control)
	head := `{"version":1,"group":"` + alice.s.ID().String() + `",`
	owner := `"owner":"` + string(alice.u.Fingerprint()) + `"`
	for _, blob := range []string{
		head + `"kind":"private","topic":"/starling/1/g/` + tHex + `","control":"` + ctl + `"}`, // no owner
		head + `"kind":"open","topic":"/starling/1/g/` + tHex + `",` + owner + `,"control":"` + ctl + `"}`,
		head + `"kind":"private","topic":"/starling/1/g/zz",` + owner + `,"control":"` + ctl + `"}`,
		head + `"kind":"private",` + owner + `,"control":"` + ctl + `"}`,              // no topic
		head + `"kind":"private","topic":"/starling/1/g/` + tHex + `",` + owner + `}`, // no control key
		head + `"kind":"private","topic":"/starling/1/g/` + tHex + `",` + owner + `,"control":"AAAA"}`,
		head + `"kind":"private","control":"` + ctl + `"}`, // a control key without a topic
	} {
		if _, err := group.RestoreSecrets([]byte(blob), user(t, "bob"), group.Config{}); !errors.Is(err, group.ErrBadSecrets) {
			t.Errorf("RestoreSecrets(%s) = %v, want %v", blob, err, group.ErrBadSecrets)
		}
	}
}

// A carrier accepts every message members send, unread, judges the
// group's authority like a member (it opens the genesis, Ops and parts),
// and refuses what it can prove bad without an epoch key.
func TestCarrierCheck(t *testing.T) {
	alice, bob, carol, history := privateTrio(t)
	inv, err := alice.s.CarrierInvite(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := carrierPeer(t, inv.Link())
	hello := alice.compose(t, text("hello"), at(11))
	hi := bob.compose(t, text("hi"), at(12))
	everyone(t, map[string]*peer{"alice": alice, "bob": bob}, at(12), hello, hi)
	removal := alice.own(t)(alice.s.RemoveMember(alice.u, carol.u.PublicKey(), at(13)))
	bob.accept(t, at(13), removal...)
	del := alice.compose(t, group.Delete{Target: hi.ID}, at(14))
	end := at(3600)
	setEnd := alice.own(t)(alice.s.Update(alice.u, group.Update{EndsAt: &end}, at(14)))
	good := append(append(append([]*message.Message(nil), history...), hello, hi), removal...)
	good = append(append(good, del), setEnd...)
	control := 0
	for _, m := range good {
		content, v, err := c.s.Check(m, at(20))
		isControl := m.Body.Kind == message.KindDescriptor || m.Body.Kind == message.KindOp || m.Body.Kind == message.KindOpPart
		if v != message.Accept || err != nil || (content != nil) != isControl {
			t.Errorf("%s by %x: %s, %v, content %v; want accept, content only for control messages", m.Body.Kind, m.Body.Author[:4], v, err, content)
		}
		_, err = c.s.Open(m)
		if isControl && err != nil || !isControl && !errors.Is(err, group.ErrUnreadable) {
			t.Errorf("Open %s: %v", m.Body.Kind, err)
		}
		if isControl {
			control++
		}
		c.deliver(t, at(20), m)
	}
	// What the carrier learnt from the Ops: carol is removed, the
	// deletion holds; it still holds no key and knows no member.
	if !c.s.Standing(carol.u.PublicKey()).Removed || !c.s.Deleted(hi.ID) || c.s.Epoch() != 0 || len(c.s.Members()) != 0 {
		t.Errorf("carrier: carol %+v, deleted %v, epoch %d, members %d", c.s.Standing(carol.u.PublicKey()), c.s.Deleted(hi.ID), c.s.Epoch(), len(c.s.Members()))
	}
	if c.has(hi) {
		t.Error("the carrier still holds the deleted message")
	}
	restored, err := group.Carry(inv, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// The replay applies the control messages and the deletion.
	if n := restored.Replay(good); n != control+1 || !restored.Deleted(hi.ID) || !restored.Standing(carol.u.PublicKey()).Removed {
		t.Errorf("a carrier's replay applied %d messages, want %d", n, control+1)
	}

	mallory := user(t, "mallory")
	_, genesis := mustDescriptor(t, alice)
	gen := mustContent(t, alice.s, genesis)
	ctl := inv.Control
	sealed := bob.compose(t, text("a real one"), at(15))
	other, _ := create(t, "olga", group.KindPrivate, time.Time{})
	heads := alice.s.Heads()
	raw := func(kind message.Kind, epoch uint64, ref message.ID, payload []byte) *message.Message {
		m, err := message.Sign(mallory.PrivateKey(), message.Body{Version: message.Version, Group: alice.s.ID(), Author: mallory.PublicKey(),
			SentAtMS: message.TimeMS(at(15)), Kind: kind, Epoch: epoch, Ref: ref, Payload: payload})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	settings := group.Op{Parents: heads, Action: group.Settings{Name: "x"}}
	for name, b := range map[string]struct {
		m   *message.Message
		err error
	}{
		"unsealed text":            {forge(t, mallory, alice.s.ID(), text("in the clear"), message.ID{}, 0, nil, at(15)), group.ErrBadPayload},
		"short sealed payload":     {raw(message.KindText, 1, message.ID{}, []byte("short")), group.ErrBadPayload},
		"another group's":          {other.compose(t, text("elsewhere"), at(15)), group.ErrWrongGroup},
		"a genesis by a stranger":  {forge(t, mallory, alice.s.ID(), gen, message.ID{}, 0, ctl, at(15)), group.ErrNotAllowed},
		"an Op by a stranger":      {forge(t, mallory, alice.s.ID(), settings, message.ID{}, 0, ctl, at(15)), group.ErrNotAllowed},
		"an Op by a member":        {forge(t, bob.u, alice.s.ID(), settings, message.ID{}, 0, ctl, at(15)), group.ErrNotAllowed},
		"an Op with an epoch":      {forge(t, alice.u, alice.s.ID(), settings, message.ID{}, 1, ctl, at(15)), group.ErrBadPayload},
		"an Op with a ref":         {forge(t, alice.u, alice.s.ID(), settings, sealed.ID, 0, ctl, at(15)), group.ErrBadPayload},
		"an Op of garbage":         {raw(message.KindOp, 0, message.ID{}, []byte("garbage")), group.ErrBadPayload},
		"an Op under another key":  {forge(t, alice.u, alice.s.ID(), settings, message.ID{}, 0, make([]byte, 32), at(15)), group.ErrBadPayload},
		"a part by another author": {forge(t, mallory, alice.s.ID(), mustContent(t, alice.s, removal[1]), removal[0].ID, 0, ctl, at(15)), group.ErrNotAllowed},
		"deletion without target":  {raw(message.KindDelete, 1, message.ID{}, sealed.Body.Payload), group.ErrBadPayload},
		"profile with a ref":       {raw(message.KindProfile, 1, sealed.ID, sealed.Body.Payload), group.ErrBadPayload},
		"expired group":            {bob.compose(t, text("late"), at(16)), group.ErrGroupExpired},
	} {
		now := at(20)
		if name == "expired group" {
			now = alice.s.EndsAt().Add(group.DefaultGrace + time.Second)
			if !c.s.EndsAt().Equal(alice.s.EndsAt()) {
				t.Fatalf("the carrier's end %s, alice's %s", c.s.EndsAt(), alice.s.EndsAt())
			}
		}
		if _, v, err := c.s.Check(b.m, now); v != message.Reject || !errors.Is(err, b.err) {
			t.Errorf("%s: %s, %v; want reject, %v", name, v, err, b.err)
		}
	}
	// Sealed junk from a stranger looks like any sealed message to a
	// carrier (members reject it): the carrier can only pass it on.
	junk := raw(message.KindText, sealed.Body.Epoch, message.ID{}, sealed.Body.Payload)
	if _, v, _ := c.s.Check(junk, at(20)); v != message.Accept {
		t.Errorf("sealed junk: %s", v)
	}
	if _, v, _ := alice.s.Check(junk, at(20)); v != message.Reject {
		t.Errorf("a member's verdict on sealed junk: %s, want reject", v)
	}
	// But what a removed member signs and the removal did not keep, the
	// carrier drops like a member: it reads the removal and its cut.
	if _, v, err := c.s.Check(carol.compose(t, text("after my removal"), at(16)), at(20)); v != message.Ignore || !errors.Is(err, group.ErrRemoved) {
		t.Errorf("a removed member's message on a carrier: %s, %v", v, err)
	}
}

// Issue 13: carriers apply the bans and tombstones they can check. A
// ban's Op and cut are readable under the control key, so a carrier drops
// the banned author's messages but those the cut keeps, and it drops
// what an admin or the author deletes.
func TestCarrierAppliesBansAndTombstones(t *testing.T) {
	alice, bob, carol, _ := privateTrio(t)
	inv, err := alice.s.CarrierInvite(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := carrierPeer(t, inv.Link())
	c.deliver(t, at(4), alice.stored()...)
	if len(c.stored()) != len(alice.stored()) {
		t.Fatalf("the carrier holds %d messages, alice %d", len(c.stored()), len(alice.stored()))
	}
	before := carol.compose(t, text("before the ban"), at(10))
	mine := bob.compose(t, text("to be deleted by its author"), at(10))
	theirs := bob.compose(t, text("to be deleted by an admin"), at(10))
	alice.accept(t, at(10), before, mine, theirs)
	bob.accept(t, at(10), mine, theirs)
	// A carrier accepts without content: deliver, not accept.
	if n := c.deliver(t, at(10), before, mine, theirs); n != 3 {
		t.Fatalf("the carrier took %d of 3 messages", n)
	}
	unseen := carol.compose(t, text("kept back, then sent late"), at(11))
	ban := alice.own(t)(alice.s.BanMember(alice.u, carol.u.PublicKey(), "spam", at(20)))
	c.accept(t, at(21), ban[0])
	if st := c.s.Standing(carol.u.PublicKey()); st.Banned {
		t.Errorf("the ban's Op alone (no cut yet) bans carol on the carrier: %+v", st)
	}
	c.deliver(t, at(21), ban[1:]...)
	if st := c.s.Standing(carol.u.PublicKey()); !st.Banned || st.Reason != "spam" || !st.By.Equal(alice.u.PublicKey()) {
		t.Errorf("carol's standing on the carrier: %+v", st)
	}
	if !c.has(before) {
		t.Error("the carrier dropped what the ban's cut keeps")
	}
	c.want(t, unseen, at(22), message.Ignore, group.ErrBanned)
	c.want(t, carol.compose(t, text("after"), at(22)), at(22), message.Ignore, group.ErrBanned)

	own := bob.compose(t, group.Delete{Target: mine.ID}, at(30))
	mod := alice.compose(t, group.Delete{Target: theirs.ID}, at(30))
	// A banned author's deletion, even of her own kept message, is hers
	// no more to make; nor is anyone's deletion of another's message.
	c.want(t, forge(t, carol.u, alice.s.ID(), group.Delete{Target: before.ID}, before.ID, 1, epochOne(t, alice), at(30)), at(30), message.Ignore, group.ErrBanned)
	c.want(t, forge(t, carol.u, alice.s.ID(), group.Delete{Target: theirs.ID}, theirs.ID, 1, epochOne(t, alice), at(30)), at(30), message.Ignore, group.ErrNotAllowed)
	if _, v, err := c.s.Check(forge(t, user(t, "stranger"), alice.s.ID(), group.Delete{Target: theirs.ID}, theirs.ID, 1, epochOne(t, alice), at(30)), at(30)); v == message.Accept {
		t.Errorf("a stranger's deletion of bob's message: %s, %v", v, err)
	}
	c.deliver(t, at(30), own, mod)
	for _, m := range []*message.Message{mine, theirs} {
		if !c.s.Deleted(m.ID) || c.has(m) {
			t.Errorf("the carrier keeps deleted %s (deleted %v)", m.ID.Short(), c.s.Deleted(m.ID))
		}
		c.want(t, m, at(31), message.Ignore, group.ErrDeleted)
	}
	// Unban: carol posts again from the unban on; what she signed while
	// banned stays out.
	unban := alice.own(t)(alice.s.UnbanMember(alice.u, carol.u.PublicKey(), at(40)))
	c.deliver(t, at(40), unban...)
	carol.deliver(t, at(40), append(ban, unban...)...)
	back := carol.compose(t, text("back"), at(41))
	if c.deliver(t, at(41), back); !c.has(back) {
		t.Error("the carrier refuses carol's message after the unban")
	}
	c.want(t, unseen, at(41), message.Ignore, group.ErrRevoked)
	if st := c.s.Standing(carol.u.PublicKey()); st.Banned {
		t.Errorf("carol still banned on the carrier after the unban: %+v", st)
	}
}
