package group_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"starling/group"
	"starling/message"
)

func TestInviteRoundTrip(t *testing.T) {
	relays := []string{"/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo", "/ip4/127.0.0.1/udp/4001/quic-v1"}
	for _, kind := range []group.Kind{group.KindOpen, group.KindPrivate, group.KindAnnounce} {
		t.Run(kind.String(), func(t *testing.T) {
			alice, _ := create(t, "alice", kind, at(0).AddDate(0, 0, 1))
			inv, err := alice.s.Invite(relays)
			if err != nil {
				t.Fatal(err)
			}
			link := inv.Link()
			if !strings.HasPrefix(link, "starling://join?g="+alice.s.ID().String()+"&o="+string(alice.u.Fingerprint())+"&d=") {
				t.Fatalf("link %s", link)
			}
			got, err := group.ParseInvite(link)
			if err != nil {
				t.Fatal(err)
			}
			if got.Link() != link {
				t.Errorf("the link does not round-trip:\n%s\n%s", got.Link(), link)
			}
			if got.Group != inv.Group || got.Owner != inv.Owner || got.Descriptor.ID != inv.Descriptor.ID ||
				!bytes.Equal(got.Secret, inv.Secret) || got.Epoch != inv.Epoch || got.Key != nil || !cmp.Equal(got.Relays, relays) ||
				got.Topic != "" || got.Control != nil {
				t.Errorf("parsed %+v\nfrom %+v", got, inv)
			}
			if (got.Secret != nil) != (kind == group.KindPrivate) || (kind == group.KindPrivate && got.Epoch != 1) {
				t.Errorf("secret %x, epoch %d for a %s group", got.Secret, got.Epoch, kind)
			}
			d, err := got.Verify()
			if err != nil || d.Version != 1 || d.Kind != kind || !d.Owner.Equal(alice.u.PublicKey()) {
				t.Errorf("Verify = %+v, %v", d, err)
			}
			bob := newPeer(user(t, "bob"))
			if bob.s, err = group.FromInvite(got, bob.u, bob.cfg()); err != nil {
				t.Fatal(err)
			}
			if bob.s.Topic() != alice.s.Topic() || bob.s.Name() != alice.s.Name() || bob.s.Kind() != kind || !bob.s.EndsAt().Equal(alice.s.EndsAt()) {
				t.Errorf("joined %s %q %s, want %s %q", bob.s.Topic(), bob.s.Name(), bob.s.Kind(), alice.s.Topic(), alice.s.Name())
			}
			bob.accept(t, at(1), alice.compose(t, text("welcome"), at(1)))
		})
	}
}

// After a removal the link carries the new epoch and its key: a new member
// who catches up on the group's Ops reads and sends in the new epoch at
// once. Changed with issue 13: the link no longer carries a descriptor key
// (dk); the joiner learns the Ops by catch-up.
func TestInviteLaterEpoch(t *testing.T) {
	alice, bob, carol, removal := afterRemoval(t)
	inv, err := bob.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Epoch != 2 || len(inv.Key) != group.KeySize {
		t.Fatalf("invite epoch %d, key %d bytes", inv.Epoch, len(inv.Key))
	}
	if !strings.Contains(inv.Link(), "&k=") || strings.Contains(inv.Link(), "&dk=") {
		t.Errorf("the link %s", inv.Link())
	}
	dave := join(t, bob, "dave", at(11), removal...)
	if dave.s.Epoch() != 2 {
		t.Fatalf("dave seals with epoch %d", dave.s.Epoch())
	}
	dp := dave.profile(t, at(11))
	everyone(t, map[string]*peer{"alice": alice, "bob": bob, "dave": dave}, at(11), dp)
	dave.accept(t, at(12), alice.compose(t, text("hi dave"), at(12)))
	alice.accept(t, at(13), dave.compose(t, text("hi all"), at(13)))
	if st := alice.s.Standing(dave.u.PublicKey()); !st.Member || st.Stale {
		t.Errorf("dave, joined with a link made after the removal: %+v", st)
	}
	// carol, removed, reads none of it.
	if _, err := carol.s.Open(dave.compose(t, text("x"), at(14))); err == nil {
		t.Error("removed carol reads the new epoch")
	}
}

// When no clean key exists (removals crossed), a member's node makes no
// link until an admin rekeys: a link then would carry a key some removed
// member holds. This replaces the test of the descriptor key (dk), which
// the DAG of Ops made needless.
func TestInviteNoCleanKey(t *testing.T) {
	alice, peers, _ := privateGroup(t, "bob", "carol", "dave")
	bob := peers["bob"]
	grant := alice.own(t)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(2)))
	everyone(t, peers, at(2), grant...)
	r1 := alice.own(t)(alice.s.RemoveMember(alice.u, peers["carol"].u.PublicKey(), at(3)))
	r2 := bob.own(t)(bob.s.RemoveMember(bob.u, peers["dave"].u.PublicKey(), at(3)))
	alice.deliver(t, at(4), r2...)
	if _, err := alice.s.Invite(nil); !errors.Is(err, group.ErrNoCurrentKey) {
		t.Fatalf("Invite with crossed removals: %v, want %v", err, group.ErrNoCurrentKey)
	}
	heal := alice.own(t)(alice.s.Rekey(alice.u, at(5)))
	inv, err := alice.s.Invite(nil)
	if err != nil || inv.Epoch != 3 {
		t.Fatalf("Invite after the rekey: epoch %d, %v", inv.Epoch, err)
	}
	erin := join(t, alice, "erin", at(6), append(append(r1, r2...), append(grant, heal...)...)...)
	if erin.s.Epoch() != 3 {
		t.Errorf("erin seals with epoch %d", erin.s.Epoch())
	}
	// A removed member's node makes no link either.
	carol := peers["carol"]
	carol.deliver(t, at(6), r1...)
	if _, err := carol.s.Invite(nil); !errors.Is(err, group.ErrRemoved) {
		t.Errorf("Invite by a removed member: %v, want %v", err, group.ErrRemoved)
	}
}

func TestInviteRefuses(t *testing.T) {
	alice, history := create(t, "alice", group.KindPrivate, time.Time{})
	inv, err := alice.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	good := inv.Link()
	mallory := user(t, "mallory")
	open, _ := create(t, "olga", group.KindOpen, time.Time{})
	openInv, _ := open.s.Invite(nil)

	withOwner := inv
	withOwner.Owner = mallory.Fingerprint()

	gen := mustContent(t, alice.s, inv.Descriptor)
	withForged := inv
	withForged.Descriptor = forge(t, mallory, alice.s.ID(), gen, message.ID{}, 0, controlKey(t, alice), at(1))
	underEpochKey := inv
	underEpochKey.Descriptor = forge(t, alice.u, alice.s.ID(), gen, message.ID{}, 0, epochOne(t, alice), at(1))

	// mallory's own group, but a link that claims alice's group ID.
	mal, _ := create(t, "mallory", group.KindOpen, time.Time{})
	malInv, _ := mal.s.Invite(nil)
	otherGroup := malInv
	otherGroup.Group = alice.s.ID()
	// mallory's own genesis, re-signed for alice's group ID.
	moved := malInv
	moved.Group = alice.s.ID()
	moved.Descriptor = forge(t, mallory, alice.s.ID(), mustContent(t, mal.s, malInv.Descriptor), message.ID{}, 0, nil, at(1))

	noSecret := inv
	noSecret.Secret, noSecret.Epoch = nil, 0
	openWithSecret := openInv
	openWithSecret.Secret, openWithSecret.Epoch = inv.Secret, 1
	openWithOwnSecret := openInv
	openWithOwnSecret.Secret, openWithOwnSecret.Epoch = bytes.Repeat([]byte{1}, group.KeySize), 1
	notDescriptor := inv
	notDescriptor.Descriptor = history[1] // the owner's profile
	op := alice.own(t)(alice.s.Update(alice.u, group.Update{Name: "renamed"}, at(2)))
	anOp := inv
	anOp.Descriptor = op[0]

	huge := good + strings.Repeat("&r=/ip4/127.0.0.1", group.MaxInviteLen/16)
	for name, c := range map[string]struct {
		link string
		says string
	}{
		"empty":                 {"", "starts with"},
		"other scheme":          {"https://join?" + good[len("starling://join?"):], "starts with"},
		"no query":              {"starling://join", "starts with"},
		"nothing":               {"starling://join?", "g:"},
		"truncated descriptor":  {good[:strings.Index(good, "&d=")+40], "d:"},
		"no descriptor":         {strings.Replace(good, good[strings.Index(good, "&d="):strings.Index(good, "&s=")], "", 1), "no descriptor"},
		"truncated group":       {good[:len("starling://join?g=")+10], "g:"},
		"upper-case group":      {strings.Replace(good, alice.s.ID().String(), strings.ToUpper(alice.s.ID().String()), 1), "g:"},
		"garbage":               {"starling://join?g=%zz", "query"},
		"semicolon":             {strings.Replace(good, "&o=", ";o=", 1), "query"},
		"repeated g":            {good + "&g=" + alice.s.ID().String(), "appears 2 times"},
		"unknown parameter":     {good + "&x=1", "unknown parameter"},
		"descriptor key":        {good + "&dk=" + strings.Repeat("A", 43), "unknown parameter"},
		"too long":              {huge, "limit"},
		"leading-zero epoch":    {strings.Replace(good, "&e=1", "&e=01", 1), "e:"},
		"epoch 0":               {strings.Replace(good, "&e=1", "&e=0", 1), "e:"},
		"k for epoch 1":         {good + "&k=" + strings.Repeat("A", 43), "k: epoch 1"},
		"epoch 2 without k":     {strings.Replace(good, "&e=1", "&e=2", 1), "k: epoch 2 needs its key"},
		"k without s":           {noSecret.Link() + "&k=" + strings.Repeat("A", 43), "k needs s"},
		"e without s":           {noSecret.Link() + "&e=1", "s and e come together"},
		"short secret":          {strings.Replace(good, "&s=", "&s=AAAA", 1), "s:"},
		"padded base64":         {strings.Replace(good, "&e=1", "=&e=1", 1), "s:"},
		"control key":           {good + "&c=" + strings.Repeat("A", 43), "only a carrier link"},
		"relay with a space":    {good + "&r=/ip4/1.2.3.4/tcp/1%20x", "r:"},
		"relay not a multiaddr": {good + "&r=example.org", "r:"},
		"too many relays":       {good + strings.Repeat("&r=/ip4/127.0.0.1/tcp/1", group.MaxInviteRelays+1), "relays"},
		"fingerprint spaced":    {strings.Replace(good, string(alice.u.Fingerprint()), alice.u.Fingerprint().Pretty(), 1), "o:"},
		"wrong owner":           {withOwner.Link(), "is not the owner"},
		"signed by a stranger":  {withForged.Link(), "not signed by its owner"},
		"under an epoch key":    {underEpochKey.Link(), "does not open it"},
		"another group's":       {otherGroup.Link(), "the descriptor is for group"},
		"moved descriptor":      {moved.Link(), "do not give the group ID"},
		"private without s":     {noSecret.Link(), "descriptor:"},
		"open with s":           {openWithSecret.Link(), "does not open it"},
		"not a descriptor":      {notDescriptor.Link(), "not a descriptor"},
		"an Op":                 {anOp.Link(), "not a descriptor"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := group.ParseInvite(c.link)
			if !errors.Is(err, group.ErrBadInvite) {
				t.Fatalf("ParseInvite = %+v, %v; want %v", got, err, group.ErrBadInvite)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q does not say %q", err, c.says)
			}
		})
	}
	// An open group's genesis sealed under a key its own link names still
	// says it is not private.
	sealedOpen := openWithOwnSecret
	ctl, err := group.ControlKey(sealedOpen.Secret, open.s.ID())
	if err != nil {
		t.Fatal(err)
	}
	sealedOpen.Descriptor = forge(t, open.u, open.s.ID(), mustContent(t, open.s, openInv.Descriptor), message.ID{}, 0, ctl, at(1))
	if _, err := group.ParseInvite(sealedOpen.Link()); !errors.Is(err, group.ErrBadInvite) || !strings.Contains(err.Error(), "carries a secret") {
		t.Errorf("an open group's link with a secret that opens its genesis: %v", err)
	}
	if _, err := group.FromInvite(withOwner, user(t, "bob"), group.Config{}); !errors.Is(err, group.ErrBadInvite) {
		t.Errorf("FromInvite of an unverified invite: %v", err)
	}
	if _, err := alice.s.Invite([]string{"not a multiaddr"}); err == nil {
		t.Error("Invite accepted a bad relay")
	}
	lobby, _ := group.NewChannel("lobby", group.Config{})
	if _, err := lobby.Invite(nil); err == nil {
		t.Error("a channel made an invite")
	}
}

// A private group's link that lost its secret (cut short when pasted, or
// edited) should say so, as it did before issue 13 ("sealed but the link
// carries no secret"), not that the descriptor is malformed protobuf.
func TestInviteWithoutSecretSaysSo(t *testing.T) {
	alice, _ := create(t, "alice", group.KindPrivate, time.Time{})
	inv, err := alice.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	inv.Secret, inv.Epoch = nil, 0
	_, err = group.ParseInvite(inv.Link())
	if !errors.Is(err, group.ErrBadInvite) || !strings.Contains(err.Error(), "no secret") {
		t.Errorf("a private group's link without its secret: %v; want an error that says the secret is missing", err)
	}
}
