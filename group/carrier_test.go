package group_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

// secretBytes lists every secret a member of p's group holds: the secret
// and the epoch keys of its invite (epoch 1's derived from the secret).
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
	for _, k := range [][]byte{inv.Key, inv.DescriptorKey} {
		if k != nil {
			out = append(out, k)
		}
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

func carry(t *testing.T, link string) *group.State {
	t.Helper()
	inv, err := group.ParseInvite(link)
	if err != nil {
		t.Fatal(err)
	}
	if !inv.Carrier() {
		t.Fatalf("%s is not a carrier link", link)
	}
	s, err := group.Carry(inv, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCarrierInviteRoundTrip(t *testing.T) {
	alice, bob, _ := afterRemoval(t) // epoch 2: the link could leak a key of either epoch
	relays := []string{"/ip4/127.0.0.1/tcp/4001"}
	inv, err := bob.s.CarrierInvite(relays)
	if err != nil {
		t.Fatal(err)
	}
	link := inv.Link()
	want := "starling://join?g=" + alice.s.ID().String() + "&o=" + string(alice.u.Fingerprint()) +
		"&t=" + strings.TrimPrefix(alice.s.Topic(), "/starling/1/g/") + "&end=" +
		strconv.FormatUint(message.TimeMS(alice.s.EndsAt()), 10) + "&r=%2Fip4%2F127.0.0.1%2Ftcp%2F4001"
	if link != want {
		t.Fatalf("link\n%s\nwant\n%s", link, want)
	}
	requireNoSecret(t, "the carrier link", []byte(link), secretBytes(t, alice))

	got, err := group.ParseInvite(link)
	if err != nil {
		t.Fatal(err)
	}
	if got.Link() != link || !got.Carrier() || got.Descriptor != nil || got.Secret != nil || got.Key != nil || got.Epoch != 0 {
		t.Fatalf("parsed %+v", got)
	}
	c := carry(t, link)
	if !c.IsCarrier() || c.Kind() != group.KindPrivate || c.Topic() != alice.s.Topic() || !c.EndsAt().Equal(alice.s.EndsAt()) ||
		c.Name() != "" || c.Epoch() != 0 || len(c.Members()) != 0 {
		t.Errorf("carrier state: topic %s, ends %s, name %q, epoch %d", c.Topic(), c.EndsAt(), c.Name(), c.Epoch())
	}
	if _, err := c.Invite(nil); !errors.Is(err, group.ErrUnreadable) {
		t.Errorf("a carrier's member invite: %v, want %v", err, group.ErrUnreadable)
	}
	// A carrier passes its link on unchanged.
	if again, err := c.CarrierInvite(relays); err != nil || again.Link() != link {
		t.Errorf("the carrier's own link: %v\n%s\nwant\n%s", err, again.Link(), link)
	}

	blob, err := c.MarshalSecrets()
	if err != nil {
		t.Fatal(err)
	}
	requireNoSecret(t, "the carrier's secrets blob", blob, secretBytes(t, alice))
	r, err := group.RestoreSecrets(blob, nil, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.IsCarrier() || r.Topic() != c.Topic() || !r.EndsAt().Equal(c.EndsAt()) || r.ID() != c.ID() {
		t.Errorf("restored carrier: %s, %s", r.Topic(), r.EndsAt())
	}
	if again, err := r.CarrierInvite(relays); err != nil || again.Link() != link {
		t.Errorf("the restored carrier's link: %v", err)
	}

	// A group that never ends: no end parameter.
	forever, _ := create(t, "dora", group.KindPrivate, time.Time{})
	fi, err := forever.s.CarrierInvite(nil)
	if err != nil || strings.Contains(fi.Link(), "&end=") || !carry(t, fi.Link()).EndsAt().IsZero() {
		t.Errorf("carrier link of a group without end: %v, %s", err, fi.Link())
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
	d := memberLink[strings.Index(memberLink, "&d="):strings.Index(memberLink, "&s=")]
	s := memberLink[strings.Index(memberLink, "&s="):]

	for name, c := range map[string]struct{ link, says string }{
		"with a descriptor":  {good + d, "carries no d"},
		"with the secret":    {good + s, "carries no s"},
		"upper-case topic":   {strings.Replace(good, tHex, strings.ToUpper(tHex), 1), "t:"},
		"short topic":        {strings.Replace(good, tHex, tHex[:62], 1), "t:"},
		"public topic":       {strings.Replace(good, tHex, publicTopic, 1), "not the one its ID names"},
		"repeated t":         {good + "&t=" + tHex, "appears 2 times"},
		"end zero":           {strings.Replace(good, "&end=", "&end=0", 1)[:strings.Index(good, "&end=")+6], "end:"},
		"end leading zero":   {strings.Replace(good, "&end=", "&end=0", 1), "end:"},
		"end not a number":   {strings.Replace(good, "&end=", "&end=x", 1), "end:"},
		"end in member link": {memberLink + "&end=5", "only a carrier link"},
		"no owner":           {strings.Replace(good, "&o="+string(alice.u.Fingerprint()), "", 1), "o:"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := group.ParseInvite(c.link)
			if !errors.Is(err, group.ErrBadInvite) {
				t.Fatalf("ParseInvite(%s) = %+v, %v; want %v", c.link, got, err, group.ErrBadInvite)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q does not say %q", err, c.says)
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
	open, _ := create(t, "olga", group.KindOpen, time.Time{})
	if _, err := open.s.CarrierInvite(nil); err == nil {
		t.Error("an open group made a carrier link")
	}
	if _, err := alice.s.CarrierInvite([]string{"not a multiaddr"}); err == nil {
		t.Error("CarrierInvite accepted a bad relay")
	}
	for _, blob := range []string{
		`{"version":1,"group":"` + alice.s.ID().String() + `","kind":"private","topic":"/starling/1/g/` + tHex + `"}`, // no owner
		`{"version":1,"group":"` + alice.s.ID().String() + `","kind":"open","topic":"/starling/1/g/` + tHex + `","owner":"` + string(alice.u.Fingerprint()) + `"}`,
		`{"version":1,"group":"` + alice.s.ID().String() + `","kind":"private","topic":"/starling/1/g/zz","owner":"` + string(alice.u.Fingerprint()) + `"}`,
		`{"version":1,"group":"` + alice.s.ID().String() + `","kind":"private","owner":"` + string(alice.u.Fingerprint()) + `"}`,
	} {
		if _, err := group.RestoreSecrets([]byte(blob), user(t, "bob"), group.Config{}); !errors.Is(err, group.ErrBadSecrets) {
			t.Errorf("RestoreSecrets(%s) = %v, want %v", blob, err, group.ErrBadSecrets)
		}
	}
}

// A carrier accepts every message members send, unread, and rejects what it
// can prove bad without a key.
func TestCarrierCheck(t *testing.T) {
	alice, bob, carol, history := privateTrio(t)
	inv, err := alice.s.CarrierInvite(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := carry(t, inv.Link())
	removal, err := alice.s.RemoveMember(alice.u, carol.u.PublicKey(), at(10))
	if err != nil {
		t.Fatal(err)
	}
	alice.accept(t, at(10), removal...)
	bob.accept(t, at(10), removal...)
	good := append(append([]*message.Message(nil), history...), removal...)
	good = append(good,
		alice.compose(t, text("hello"), at(11)),
		bob.compose(t, text("hi"), at(12)),
		alice.compose(t, group.Ban{Author: carol.u.PublicKey()}, at(13)),
	)
	good = append(good, alice.compose(t, group.Delete{Target: good[len(good)-2].ID}, at(14)))
	for _, m := range good {
		content, v, err := c.Check(m, at(20))
		if v != group.Accept || err != nil || content != nil {
			t.Errorf("%s by %x: %s, %v, content %v; want accept without content", m.Body.Kind, m.Body.Author[:4], v, err, content)
		}
		if _, err := c.Open(m); !errors.Is(err, group.ErrUnreadable) {
			t.Errorf("Open %s: %v, want %v", m.Body.Kind, err, group.ErrUnreadable)
		}
		if eff := c.Apply(m, group.Text{Text: "x"}); eff.DescriptorChanged || eff.NewKey || eff.Deleted != nil || eff.BannedAuthor != nil {
			t.Errorf("Apply on a carrier had effects %+v", eff)
		}
	}
	if c.Replay(good) != 0 || len(c.Members()) != 0 || c.Epoch() != 0 {
		t.Error("a carrier replayed control messages it cannot read")
	}

	mallory := user(t, "mallory")
	k1 := epochOne(t, alice)
	desc, _ := mustDescriptor(t, alice)
	sealed := bob.compose(t, text("a real one"), at(15))
	other, _ := create(t, "olga", group.KindPrivate, time.Time{})
	raw := func(kind message.Kind, epoch uint64, ref message.ID, payload []byte) *message.Message {
		m, err := message.Sign(mallory.PrivateKey(), message.Body{Version: message.Version, Group: alice.s.ID(), Author: mallory.PublicKey(),
			SentAtMS: message.TimeMS(at(15)), Kind: kind, Epoch: epoch, Ref: ref, Payload: payload})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for name, b := range map[string]struct {
		m   *message.Message
		err error
	}{
		"unsealed text":           {forge(t, mallory, alice.s.ID(), text("in the clear"), message.ID{}, 0, nil, at(15)), group.ErrBadPayload},
		"short sealed payload":    {raw(message.KindText, 1, message.ID{}, []byte("short")), group.ErrBadPayload},
		"another group's":         {other.compose(t, text("elsewhere"), at(15)), group.ErrWrongGroup},
		"version 1 by a stranger": {forge(t, mallory, alice.s.ID(), desc, message.ID{}, 1, k1, at(15)), group.ErrNotAllowed},
		"rekey for epoch 1":       {raw(message.KindRekey, 1, message.ID{}, removal[0].Body.Payload), group.ErrBadPayload},
		"rekey with a ref":        {raw(message.KindRekey, 3, sealed.ID, removal[0].Body.Payload), group.ErrBadPayload},
		"rekey of garbage":        {raw(message.KindRekey, 3, message.ID{}, []byte("garbage")), group.ErrBadPayload},
		"deletion without target": {raw(message.KindDelete, 1, message.ID{}, sealed.Body.Payload), group.ErrBadPayload},
		"profile with a ref":      {raw(message.KindProfile, 1, sealed.ID, sealed.Body.Payload), group.ErrBadPayload},
		"ban with a ref":          {raw(message.KindBan, 1, sealed.ID, sealed.Body.Payload), group.ErrBadPayload},
		"expired group":           {bob.compose(t, text("late"), at(16)), group.ErrGroupExpired},
	} {
		now := at(20)
		if name == "expired group" {
			now = alice.s.EndsAt().Add(group.DefaultGrace + time.Second)
		}
		if _, v, err := c.Check(b.m, now); v != group.Reject || !errors.Is(err, b.err) {
			t.Errorf("%s: %s, %v; want reject, %v", name, v, err, b.err)
		}
	}
	// Sealed junk from a stranger looks like any sealed message to a
	// carrier (members reject it): the carrier can only pass it on.
	junk := raw(message.KindText, sealed.Body.Epoch, message.ID{}, sealed.Body.Payload)
	if _, v, _ := c.Check(junk, at(20)); v != group.Accept {
		t.Errorf("sealed junk: %s", v)
	}
	if _, v, _ := alice.s.Check(junk, at(20)); v != group.Reject {
		t.Errorf("a member's verdict on sealed junk: %s, want reject", v)
	}
}
