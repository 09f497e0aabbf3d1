package group_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
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
			// Changed with issue 18: no descriptor (d); g in base64url; the
			// owner's fingerprint last.
			id := alice.s.ID()
			if !strings.HasPrefix(link, "starling://join?g="+base64.RawURLEncoding.EncodeToString(id[:])) ||
				!strings.HasSuffix(link, "&o="+string(alice.u.Fingerprint())) || strings.Contains(link, "&d=") {
				t.Fatalf("link %s", link)
			}
			got, err := group.ParseInvite(link)
			if err != nil {
				t.Fatal(err)
			}
			if got.Link() != link {
				t.Errorf("the link does not round-trip:\n%s\n%s", got.Link(), link)
			}
			if got.Group != inv.Group || got.Owner != inv.Owner || got.Descriptor != nil || got.Kind() != kind ||
				!bytes.Equal(got.Secret, inv.Secret) || got.Epoch != inv.Epoch || got.Key != nil || !cmp.Equal(got.Relays, relays) ||
				got.Topic != "" || got.Control != nil {
				t.Errorf("parsed %+v\nfrom %+v", got, inv)
			}
			if (got.Secret != nil) != (kind == group.KindPrivate) || (kind == group.KindPrivate && got.Epoch != 1) {
				t.Errorf("secret %x, epoch %d for a %s group", got.Secret, got.Epoch, kind)
			}
			bob := newPeer(user(t, "bob"))
			if bob.s, err = group.FromInvite(got, bob.u, bob.cfg()); err != nil {
				t.Fatal(err)
			}
			if bob.s.Topic() != alice.s.Topic() || bob.s.Kind() != kind || bob.s.Name() != "" {
				t.Errorf("joined %s %q %s, want %s, no name yet", bob.s.Topic(), bob.s.Name(), bob.s.Kind(), alice.s.Topic())
			}
			_, genesis := mustDescriptor(t, alice)
			bob.accept(t, at(1), genesis)
			if bob.s.Name() != alice.s.Name() || !bob.s.EndsAt().Equal(alice.s.EndsAt()) {
				t.Errorf("after the genesis: %q ending %s, want %q ending %s", bob.s.Name(), bob.s.EndsAt(), alice.s.Name(), alice.s.EndsAt())
			}
			bob.accept(t, at(1), alice.compose(t, text("welcome"), at(1)))
		})
	}
}

// A link made before issue 18 carries the genesis (d) and the group ID in
// hex: it still parses, verifies and joins.
func TestInviteWithDescriptor(t *testing.T) {
	for _, kind := range []group.Kind{group.KindOpen, group.KindPrivate, group.KindAnnounce} {
		t.Run(kind.String(), func(t *testing.T) {
			alice, _ := create(t, "alice", kind, at(0).AddDate(0, 0, 1))
			inv, err := alice.s.Invite(nil)
			if err != nil {
				t.Fatal(err)
			}
			d, genesis := mustDescriptor(t, alice)
			old := "starling://join?g=" + alice.s.ID().String() + "&o=" + string(alice.u.Fingerprint()) +
				"&d=" + base64.RawURLEncoding.EncodeToString(genesis.Raw)
			if kind == group.KindPrivate {
				old += "&s=" + base64.RawURLEncoding.EncodeToString(inv.Secret) + "&e=1"
			}
			got, err := group.ParseInvite(old)
			if err != nil {
				t.Fatal(err)
			}
			if got.Descriptor == nil || got.Descriptor.ID != genesis.ID || got.Kind() != kind {
				t.Fatalf("parsed %+v", got)
			}
			v, err := got.Verify()
			if err != nil || v.Version != 1 || v.Kind != kind || !v.Owner.Equal(d.Owner) {
				t.Errorf("Verify = %+v, %v", v, err)
			}
			bob := newPeer(user(t, "bob"))
			if bob.s, err = group.FromInvite(got, bob.u, bob.cfg()); err != nil {
				t.Fatal(err)
			}
			if bob.s.Name() != alice.s.Name() || bob.s.Kind() != kind {
				t.Errorf("joined %q %s", bob.s.Name(), bob.s.Kind())
			}
			bob.accept(t, at(1), alice.compose(t, text("welcome"), at(1)))
		})
	}
}

// Joined with a link, a node knows no genesis: it takes none of the
// group's messages until catch-up brings the genesis, and then only the one
// that commits to the group ID and whose owner the link names. Its secrets
// blob keeps the link's owner across a restart.
func TestJoinWithoutGenesis(t *testing.T) {
	alice, history := create(t, "alice", group.KindPrivate, time.Time{})
	inv, err := alice.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := group.ParseInvite(inv.Link())
	if err != nil {
		t.Fatal(err)
	}
	bob := newPeer(user(t, "bob"))
	if bob.s, err = group.FromInvite(parsed, bob.u, bob.cfg()); err != nil {
		t.Fatal(err)
	}
	// A relay that joined with such a link admits the tickets of the
	// owner the link names before it learns the genesis.
	tk, err := alice.s.Ticket(alice.u, at(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.s.CheckTicket(tk, at(1)); err != nil {
		t.Errorf("the link's owner's ticket before the genesis: %v", err)
	}
	mallory := user(t, "mallory")
	if err := bob.s.CheckTicket(group.SignTicket(mallory, alice.s.ID(), at(3600)), at(1)); !errors.Is(err, group.ErrBadTicket) {
		t.Errorf("a stranger's ticket: %v, want %v", err, group.ErrBadTicket)
	}
	hello := alice.compose(t, text("hello"), at(1))
	bob.want(t, hello, at(1), message.Ignore, group.ErrStale)
	if _, err := bob.s.Compose(bob.u, text("too early"), at(1)); !errors.Is(err, group.ErrStale) {
		t.Errorf("Compose before the genesis: %v, want %v", err, group.ErrStale)
	}
	if _, err := bob.s.Invite(nil); err == nil {
		t.Error("a node that knows no genesis made an invite")
	}
	other, _ := create(t, "olga", group.KindPrivate, time.Time{})
	_, otherGenesis := mustDescriptor(t, other)
	bob.want(t, otherGenesis, at(1), message.Reject, group.ErrWrongGroup)

	// Across a restart before the genesis came.
	blob, err := bob.s.MarshalSecrets()
	if err != nil {
		t.Fatal(err)
	}
	restored, err := group.RestoreSecrets(blob, bob.u, bob.cfg())
	if err != nil {
		t.Fatal(err)
	}
	bob.s = restored
	bob.accept(t, at(2), history...)
	bob.accept(t, at(2), hello)
	if bob.s.Name() != alice.s.Name() {
		t.Errorf("name %q after the genesis, want %q", bob.s.Name(), alice.s.Name())
	}
	bp := bob.profile(t, at(3))
	bob.accept(t, at(3), bp)
	alice.accept(t, at(3), bp, bob.compose(t, text("hi"), at(3)))

	// A link whose owner was changed: the genuine genesis commits to the
	// group ID, so the link is what is wrong, and whoever passes the
	// genesis on is not to blame (Ignore, not Reject).
	altered := parsed
	altered.Owner = mallory.Fingerprint()
	carol := newPeer(user(t, "carol"))
	if carol.s, err = group.FromInvite(altered, carol.u, carol.cfg()); err != nil {
		t.Fatal(err)
	}
	if carol.s.LinkError() != nil {
		t.Error("a link error before the genesis came")
	}
	carol.want(t, history[0], at(4), message.Ignore, group.ErrWrongGroup)
	if err := carol.s.LinkError(); err == nil || !strings.Contains(err.Error(), "the link was altered") {
		t.Errorf("LinkError after the genesis: %v", err)
	}
	if err := carol.s.CheckTicket(group.SignTicket(mallory, alice.s.ID(), at(3600)), at(4)); err == nil {
		t.Error("the altered link's owner signs tickets after the genesis contradicted it")
	}
	blob, err = carol.s.MarshalSecrets()
	if err != nil {
		t.Fatal(err)
	}
	if carol.s, err = group.RestoreSecrets(blob, carol.u, carol.cfg()); err != nil {
		t.Fatal(err)
	}
	carol.want(t, history[0], at(4), message.Ignore, group.ErrWrongGroup)
}

// Every proper prefix of a link (cut off when copied, or a QR code read in
// part) fails with an error that says the link looks cut off, and the
// whole link parses; white space from a link copied across lines is
// dropped.
func TestInviteCutOff(t *testing.T) {
	alice, bob, _, _ := afterRemoval(t)
	relay := "/ip4/192.168.1.20/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo"
	links := map[string]string{}
	withTicket, err := alice.s.Invite([]string{relay})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := alice.s.Ticket(alice.u, at(20))
	if err != nil {
		t.Fatal(err)
	}
	withTicket.Ticket = tk.Bytes()
	if withTicket.Epoch != 2 {
		t.Fatalf("the link is of epoch %d, want 2", withTicket.Epoch)
	}
	links["private epoch 2, relay and ticket"] = withTicket.Link()
	carrier, err := bob.s.CarrierInvite([]string{relay})
	if err != nil {
		t.Fatal(err)
	}
	links["carrier"] = carrier.Link()
	for _, kind := range []group.Kind{group.KindOpen, group.KindPrivate, group.KindAnnounce} {
		p, _ := create(t, "alice", kind, time.Time{})
		inv, err := p.s.Invite(nil)
		if err != nil {
			t.Fatal(err)
		}
		links[kind.String()] = inv.Link()
	}
	lobby, _ := group.NewChannel("lobby", group.Config{})
	inv, err := lobby.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	links["channel"] = inv.Link()
	for name, link := range links {
		t.Run(name, func(t *testing.T) {
			got, err := group.ParseInvite(link)
			if err != nil {
				t.Fatalf("the whole link: %v", err)
			}
			if got.Link() != link {
				t.Errorf("round trip:\n%s\n%s", got.Link(), link)
			}
			var wrapped strings.Builder
			for i := 0; i < len(link); i += 40 {
				wrapped.WriteString(link[i:min(i+40, len(link))] + "\n  ")
			}
			if again, err := group.ParseInvite(wrapped.String()); err != nil || again.Link() != link {
				t.Errorf("the link wrapped across lines: %v", err)
			}
			for n := range len(link) {
				_, err := group.ParseInvite(link[:n])
				if !errors.Is(err, group.ErrBadInvite) || (n > len(group.InvitePrefix) && !strings.Contains(err.Error(), "looks cut off")) {
					t.Fatalf("the link cut to %d of %d bytes: %v; want an error that says it looks cut off\n%s", n, len(link), err, link[:n])
				}
			}
		})
	}
}

// A ticket in a link leaves out the group ID that g gives; a whole ticket,
// as links before issue 18 carried, is read too.
func TestInviteTicket(t *testing.T) {
	alice, _ := create(t, "alice", group.KindOpen, time.Time{})
	inv, err := alice.s.Invite([]string{"/ip4/127.0.0.1/tcp/4001"})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := alice.s.Ticket(alice.u, at(0))
	if err != nil {
		t.Fatal(err)
	}
	inv.Ticket = tk.Bytes()
	link := inv.Link()
	param := strings.TrimPrefix(linkParam(link, "tk"), "&tk=")
	if raw, err := base64.RawURLEncoding.DecodeString(param); err != nil || len(raw) != group.TicketSize-32 {
		t.Errorf("the link's ticket is %d bytes (%v), want %d", len(raw), err, group.TicketSize-32)
	}
	got, err := group.ParseInvite(link)
	if err != nil || !bytes.Equal(got.Ticket, tk.Bytes()) {
		t.Fatalf("parsed ticket %x, %v; want %x", got.Ticket, err, tk.Bytes())
	}
	whole := strings.Replace(link, param, base64.RawURLEncoding.EncodeToString(tk.Bytes()), 1)
	if got, err := group.ParseInvite(whole); err != nil || !bytes.Equal(got.Ticket, tk.Bytes()) {
		t.Errorf("a whole ticket: %x, %v", got.Ticket, err)
	}
	other, _ := create(t, "olga", group.KindOpen, time.Time{})
	otk, err := other.s.Ticket(other.u, at(0))
	if err != nil {
		t.Fatal(err)
	}
	foreign := strings.Replace(link, param, base64.RawURLEncoding.EncodeToString(otk.Bytes()), 1)
	if _, err := group.ParseInvite(foreign); err == nil || !strings.Contains(err.Error(), "tk:") {
		t.Errorf("another group's ticket: %v", err)
	}
}

// An open channel's link carries its name and, as a check that the name
// arrived whole, its ID.
func TestChannelLink(t *testing.T) {
	lobby, _ := group.NewChannel("Lobby", group.Config{})
	inv, err := lobby.Invite([]string{"/ip4/127.0.0.1/tcp/4001"})
	if err != nil {
		t.Fatal(err)
	}
	id := lobby.ID()
	want := "starling://join?n=lobby&r=/ip4/127.0.0.1/tcp/4001&g=" + base64.RawURLEncoding.EncodeToString(id[:])
	if link := inv.Link(); link != want {
		t.Fatalf("link %s, want %s", link, want)
	}
	got, err := group.ParseInvite(want)
	if err != nil || got.Channel != "lobby" || got.Group != id {
		t.Fatalf("parsed %+v, %v", got, err)
	}
	if _, err := group.FromInvite(got, user(t, "bob"), group.Config{}); !errors.Is(err, group.ErrBadInvite) {
		t.Errorf("FromInvite of a channel's link: %v", err)
	}
	other, _ := group.NewChannel("lobby2", group.Config{})
	oid := other.ID()
	for name, c := range map[string]struct{ link, says string }{
		"another name":  {strings.Replace(want, "n=lobby", "n=lobby2", 1), "not the ID of channel"},
		"another ID":    {strings.Replace(want, base64.RawURLEncoding.EncodeToString(id[:]), base64.RawURLEncoding.EncodeToString(oid[:]), 1), "not the ID of channel"},
		"with a secret": {strings.Replace(want, "&g=", "&s="+strings.Repeat("A", 43)+"&g=", 1), "only n, g and r"},
		"bad name":      {strings.Replace(want, "n=lobby", "n=lob%20by", 1), "n:"},
	} {
		if _, err := group.ParseInvite(c.link); !errors.Is(err, group.ErrBadInvite) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v; want an error that says %q", name, err, c.says)
		}
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
	// Links made before issue 18 carry the genesis, which is checked.
	inv.Descriptor = history[0]
	withD := inv.Link()
	mallory := user(t, "mallory")
	open, _ := create(t, "olga", group.KindOpen, time.Time{})
	openInv, _ := open.s.Invite(nil)
	openInv.Descriptor = mustDescriptorMsg(t, open)
	id := alice.s.ID()
	gB64 := base64.RawURLEncoding.EncodeToString(id[:])

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
	malInv.Descriptor = mustDescriptorMsg(t, mal)
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
	announcePrivate := strings.Replace(good, "&e=", "&a=1&e=", 1)
	openAsAnnounce := openInv
	openAsAnnounce.Announce = true

	huge := good + strings.Repeat("&r=/ip4/127.0.0.1", group.MaxInviteLen/16)
	s := linkParam(good, "s")
	for name, c := range map[string]struct {
		link string
		says string
	}{
		"empty":                 {"", "starts with"},
		"other scheme":          {"https://join?" + good[len("starling://join?"):], "starts with"},
		"no query":              {"starling://join", "starts with"},
		"nothing":               {"starling://join?", "g:"},
		"truncated descriptor":  {withD[:strings.Index(withD, "&d=")+40], "looks cut off"},
		"truncated group":       {good[:len("starling://join?g=")+10], "g:"},
		"upper-case hex group":  {strings.Replace(good, gB64, strings.ToUpper(alice.s.ID().String()), 1), "g:"},
		"short group":           {strings.Replace(good, gB64, gB64[:42], 1), "g:"},
		"garbage":               {"starling://join?g=%zz", "query"},
		"semicolon":             {strings.Replace(good, "&o=", ";o=", 1), "query"},
		"repeated g":            {good + "&g=" + gB64, "appears 2 times"},
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
		"padded base64":         {strings.Replace(good, s, s+"=", 1), "s:"},
		"announcement with s":   {announcePrivate, "a:"},
		"a=2":                   {strings.Replace(good, "&e=", "&a=2&e=", 1), "a:"},
		"control key":           {good + "&c=" + strings.Repeat("A", 43), "only a carrier link"},
		"relay with a space":    {good + "&r=/ip4/1.2.3.4/tcp/1%20x", "r:"},
		"relay not a multiaddr": {good + "&r=example.org", "r:"},
		"too many relays":       {good + strings.Repeat("&r=/ip4/127.0.0.1/tcp/1", group.MaxInviteRelays+1), "relays"},
		"no owner":              {strings.Replace(good, "&o="+string(alice.u.Fingerprint()), "", 1), "o:"},
		"wrong owner":           {withOwner.Link(), "is not the owner"},
		"signed by a stranger":  {withForged.Link(), "not signed by its owner"},
		"under an epoch key":    {underEpochKey.Link(), "does not open it"},
		"another group's":       {otherGroup.Link(), "the descriptor is for group"},
		"moved descriptor":      {moved.Link(), "do not give the group ID"},
		"private without s":     {noSecret.Link(), "no secret"},
		"open with s":           {openWithSecret.Link(), "does not open it"},
		"open as announcement":  {openAsAnnounce.Link(), "says an announcement channel"},
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
	inv.Descriptor = mustDescriptorMsg(t, alice) // a link made before issue 18
	_, err = group.ParseInvite(inv.Link())
	if !errors.Is(err, group.ErrBadInvite) || !strings.Contains(err.Error(), "no secret") {
		t.Errorf("a private group's link without its secret: %v; want an error that says the secret is missing", err)
	}
}

// mustDescriptorMsg returns the genesis p's State holds.
func mustDescriptorMsg(t testing.TB, p *peer) *message.Message {
	t.Helper()
	_, m := mustDescriptor(t, p)
	return m
}
