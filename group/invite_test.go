package group_test

import (
	"bytes"
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
				!bytes.Equal(got.Secret, inv.Secret) || got.Epoch != inv.Epoch || got.Key != nil || !cmp.Equal(got.Relays, relays) {
				t.Errorf("parsed %+v\nfrom %+v", got, inv)
			}
			if (got.Secret != nil) != (kind == group.KindPrivate) || (kind == group.KindPrivate && got.Epoch != 1) {
				t.Errorf("secret %x, epoch %d for a %s group", got.Secret, got.Epoch, kind)
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
// reads the new epoch at once.
func TestInviteLaterEpoch(t *testing.T) {
	alice, bob, _ := afterRemoval(t)
	inv, err := bob.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Epoch != 2 || len(inv.Key) != group.KeySize || inv.DescriptorKey != nil {
		t.Fatalf("invite epoch %d, key %d bytes, descriptor key %x", inv.Epoch, len(inv.Key), inv.DescriptorKey)
	}
	if !strings.Contains(inv.Link(), "&k=") {
		t.Error("the link has no k")
	}
	dave := join(t, bob, "dave", at(11))
	if dave.s.Epoch() != 2 {
		t.Fatalf("dave seals with epoch %d", dave.s.Epoch())
	}
	dave.accept(t, at(12), alice.compose(t, text("hi dave"), at(12)))
	alice.accept(t, at(13), dave.compose(t, text("hi all"), at(13)))
}

// When concurrent updates leave the current descriptor sealed under a key
// other than the sending key, the link carries that key as dk.
func TestInviteDescriptorKey(t *testing.T) {
	alice, _, carol, _ := privateTrio(t)
	for try := 0; ; try++ {
		if try == 40 {
			t.Fatal("no split between the sending key and the descriptor's key in 40 tries")
		}
		a, err := alice.s.RemoveMember(alice.u, carol.u.PublicKey(), at(10))
		if err != nil {
			t.Fatal(err)
		}
		b, err := alice.s.RemoveMember(alice.u, carol.u.PublicKey(), at(10))
		if err != nil {
			t.Fatal(err)
		}
		rekeyA := bytes.Compare(a[0].ID[:], b[0].ID[:]) < 0
		descA := bytes.Compare(a[1].ID[:], b[1].ID[:]) < 0
		if rekeyA == descA {
			continue
		}
		alice.accept(t, at(10), a[0], b[0], a[1], b[1])
		break
	}
	inv, err := alice.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	if inv.DescriptorKey == nil || !strings.Contains(inv.Link(), "&dk=") {
		t.Fatalf("no descriptor key in %s", inv.Link())
	}
	dave := join(t, alice, "dave", at(11))
	if d, _ := mustDescriptor(t, dave); d.Version != 2 || len(d.Removed) != 1 {
		t.Errorf("dave holds descriptor version %d", d.Version)
	}
	dave.accept(t, at(12), alice.compose(t, text("hi dave"), at(12)))
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

	d, _ := mustDescriptor(t, alice)
	forgedDesc := forge(t, mallory, alice.s.ID(), d, message.ID{}, 1, epochOne(t, alice), at(1))
	withForged := inv
	withForged.Descriptor = forgedDesc

	// mallory's own group, but a link that claims alice's group ID.
	mal, _ := create(t, "mallory", group.KindOpen, time.Time{})
	malInv, _ := mal.s.Invite(nil)
	otherGroup := malInv
	otherGroup.Group = alice.s.ID()
	// mallory's own descriptor, re-signed for alice's group ID.
	md, _ := mustDescriptor(t, mal)
	moved := malInv
	moved.Group = alice.s.ID()
	moved.Descriptor = forge(t, mallory, alice.s.ID(), md, message.ID{}, 0, nil, at(1))

	noSecret := inv
	noSecret.Secret, noSecret.Epoch = nil, 0
	openWithSecret := openInv
	openWithSecret.Secret, openWithSecret.Epoch = inv.Secret, 1
	notDescriptor := inv
	notDescriptor.Descriptor = history[1] // the owner's profile

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
		"truncated group":       {good[:len("starling://join?g=")+10], "g:"},
		"upper-case group":      {strings.Replace(good, alice.s.ID().String(), strings.ToUpper(alice.s.ID().String()), 1), "g:"},
		"garbage":               {"starling://join?g=%zz", "query"},
		"semicolon":             {strings.Replace(good, "&o=", ";o=", 1), "query"},
		"repeated g":            {good + "&g=" + alice.s.ID().String(), "appears 2 times"},
		"unknown parameter":     {good + "&x=1", "unknown parameter"},
		"too long":              {huge, "limit"},
		"leading-zero epoch":    {strings.Replace(good, "&e=1", "&e=01", 1), "e:"},
		"epoch 0":               {strings.Replace(good, "&e=1", "&e=0", 1), "e:"},
		"k for epoch 1":         {good + "&k=" + strings.Repeat("A", 43), "k: epoch 1"},
		"short secret":          {strings.Replace(good, "&s=", "&s=AAAA", 1), "s:"},
		"padded base64":         {strings.Replace(good, "&e=1", "=&e=1", 1), "s:"},
		"relay with a space":    {good + "&r=/ip4/1.2.3.4/tcp/1%20x", "r:"},
		"relay not a multiaddr": {good + "&r=example.org", "r:"},
		"too many relays":       {good + strings.Repeat("&r=/ip4/127.0.0.1/tcp/1", group.MaxInviteRelays+1), "relays"},
		"fingerprint spaced":    {strings.Replace(good, string(alice.u.Fingerprint()), alice.u.Fingerprint().Pretty(), 1), "o:"},
		"wrong owner":           {withOwner.Link(), "is not the owner"},
		"signed by a stranger":  {withForged.Link(), "signed by neither"},
		"another group's":       {otherGroup.Link(), "the descriptor is for group"},
		"moved descriptor":      {moved.Link(), "do not give the group ID"},
		"private without s":     {noSecret.Link(), "sealed but the link carries no secret"},
		"open with s":           {openWithSecret.Link(), "carries a secret"},
		"not a descriptor":      {notDescriptor.Link(), "not a descriptor"},
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
	if _, err := group.FromInvite(withOwner, user(t, "bob"), group.Config{}); !errors.Is(err, group.ErrBadInvite) {
		t.Errorf("FromInvite of an unverified invite: %v", err)
	}
	if _, err := alice.s.Invite([]string{"not a multiaddr"}); err == nil {
		t.Error("Invite accepted a bad relay")
	}
}
