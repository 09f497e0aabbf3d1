package group_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"starling/group"
	"starling/message"
)

// summary is everything a State shows through its API about the group, for
// comparing two States.
func summary(t *testing.T, s *group.State, ids []message.ID, authors []ed25519.PublicKey) string {
	t.Helper()
	var b strings.Builder
	d, m, ok := s.Descriptor()
	fmt.Fprintf(&b, "descriptor %v v%d %s %q admins %x removed %x\n", ok, d.Version, idOf(m), d.Name, d.Admins, d.Removed)
	for _, k := range s.Members() {
		p, _ := s.Profile(k)
		fmt.Fprintf(&b, "member %x %q %x\n", k[:4], p.Nick, p.X25519[:4])
	}
	for _, id := range ids {
		fmt.Fprintf(&b, "deleted %s %v\n", id.Short(), s.Deleted(id))
	}
	for _, a := range authors {
		for _, sec := range []int{0, 50, 100, 200, 1000} {
			fmt.Fprintf(&b, "banned %x@%d %v\n", a[:4], sec, s.Banned(a, message.TimeMS(at(sec))))
		}
		fmt.Fprintf(&b, "admin %x %v\n", a[:4], s.IsAdmin(a))
	}
	secrets, err := s.MarshalSecrets()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "epoch %d\nsecrets %s\n", s.Epoch(), secrets)
	if inv, err := s.Invite(nil); err == nil {
		fmt.Fprintf(&b, "invite %s\n", inv.Link())
	}
	return b.String()
}

func idOf(m *message.Message) string {
	if m == nil {
		return "-"
	}
	return m.ID.Short()
}

// controlHistory builds a private group's messages with every kind of
// control message and the conflicts Apply must resolve: concurrent
// descriptor versions and rekeys, repeated profiles, bans and tombstones.
// It returns the history, bob's secrets right after joining (before any
// rekey), and the IDs and authors worth comparing.
func controlHistory(t *testing.T) (history []*message.Message, bobSecrets []byte, ids []message.ID, authors []ed25519.PublicKey) {
	t.Helper()
	alice, bob, carol, h := privateTrio(t)
	history = h
	bobSecrets, err := bob.s.MarshalSecrets()
	if err != nil {
		t.Fatal(err)
	}
	dave := join(t, alice, "dave", at(4), history...)
	add := func(p *peer, ms ...*message.Message) {
		for _, q := range []*peer{alice, bob, carol, dave} {
			for _, m := range ms {
				q.receive(t, m, at(300))
			}
		}
		history = append(history, ms...)
	}
	add(dave, dave.profile(t, at(5)))
	promote, err := alice.s.UpdateDescriptor(alice.u, func(d *group.Descriptor) { d.Admins = append(d.Admins, bob.u.PublicKey()) }, at(6))
	if err != nil {
		t.Fatal(err)
	}
	add(alice, promote)
	txt := carol.compose(t, text("to be deleted"), at(7))
	add(carol, txt)

	// Concurrent: both admins rename (version 3) and remove dave (epoch 2).
	r1, err := alice.s.UpdateDescriptor(alice.u, func(d *group.Descriptor) { d.Name = "alice's name" }, at(10))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := bob.s.UpdateDescriptor(bob.u, func(d *group.Descriptor) { d.Name = "bob's name" }, at(10))
	if err != nil {
		t.Fatal(err)
	}
	add(alice, r1, r2)
	k1, err := alice.s.RemoveMember(alice.u, dave.u.PublicKey(), at(20))
	if err != nil {
		t.Fatal(err)
	}
	k2, err := bob.s.RemoveMember(bob.u, dave.u.PublicKey(), at(20))
	if err != nil {
		t.Fatal(err)
	}
	add(alice, k1...)
	add(bob, k2...)

	// Profiles: carol renames twice, two at the same millisecond.
	for i, sec := range []int{30, 40, 40} {
		pr, _ := group.NewProfile(carol.u)
		pr.Nick = fmt.Sprintf("carol %d", i)
		add(carol, carol.compose(t, pr, at(sec)))
	}
	// Moderation: two bans of one author, a tombstone for a known and one
	// for an unknown message.
	zed := user(t, "zed")
	add(alice, alice.compose(t, group.Ban{Author: zed.PublicKey()}, at(100)))
	add(bob, bob.compose(t, group.Ban{Author: zed.PublicKey()}, at(50)))
	add(alice, alice.compose(t, group.Delete{Target: txt.ID}, at(60)))
	add(bob, bob.compose(t, group.Delete{Target: message.ID{42}}, at(61)))

	ids = []message.ID{txt.ID, {42}, {43}}
	authors = []ed25519.PublicKey{alice.u.PublicKey(), bob.u.PublicKey(), carol.u.PublicKey(), dave.u.PublicKey(), zed.PublicKey()}
	return history, bobSecrets, ids, authors
}

// Apply is order-independent: bob's node, rebuilt from the secrets it had
// when it joined, ends in the same state for every order of the history,
// whether each message is applied with its content or replayed from the
// store.
func TestApplyOrderIndependent(t *testing.T) {
	history, secrets, ids, authors := controlHistory(t)
	bob := user(t, "bob")
	ref, err := group.RestoreSecrets(secrets, bob, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if n := ref.Replay(history); n != len(history) {
		t.Fatalf("replayed %d of %d messages", n, len(history))
	}
	want := summary(t, ref, ids, authors)
	if !strings.Contains(want, "epoch 2") || !strings.Contains(want, "v4") {
		t.Fatalf("the history did not reach epoch 2 and version 4:\n%s", want)
	}
	contents := map[message.ID]group.Content{}
	for _, m := range history {
		c, err := ref.Open(m)
		if err != nil {
			t.Fatal(err)
		}
		contents[m.ID] = c
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		perm := make([]*message.Message, len(history))
		for j, k := range rng.Perm(len(history)) {
			perm[j] = history[k]
		}
		s, err := group.RestoreSecrets(secrets, bob, group.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			for _, m := range perm {
				s.Apply(m, contents[m.ID])
			}
		} else {
			s.Replay(perm)
		}
		// Applying everything twice changes nothing.
		for _, m := range perm[:len(perm)/2] {
			s.Apply(m, contents[m.ID])
		}
		if got := summary(t, s, ids, authors); got != want {
			t.Fatalf("order %d: state differs\ngot:\n%s\nwant:\n%s", i, got, want)
		}
	}
}

func TestSecretsRoundTrip(t *testing.T) {
	alice, bob, _ := afterRemoval(t)
	// dave's epoch-2 key came from a link, not a rekey: only the secrets
	// blob keeps it.
	dave := join(t, bob, "dave", at(11))
	blob, err := dave.s.MarshalSecrets()
	if err != nil {
		t.Fatal(err)
	}
	restored, err := group.RestoreSecrets(blob, dave.u, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, dm, _ := dave.s.Descriptor()
	restored.Replay([]*message.Message{dm})
	if restored.ID() != dave.s.ID() || restored.Topic() != dave.s.Topic() || restored.Kind() != group.KindPrivate || restored.Epoch() != 2 {
		t.Fatalf("restored %s %s %s epoch %d", restored.ID().Short(), restored.Topic(), restored.Kind(), restored.Epoch())
	}
	if _, err := restored.Open(alice.compose(t, text("still readable"), at(12))); err != nil {
		t.Errorf("the restored state cannot read epoch 2: %v", err)
	}
	again, _ := restored.MarshalSecrets()
	if string(again) != string(blob) {
		t.Errorf("secrets changed across a round trip:\n%s\n%s", again, blob)
	}

	lobby, _ := group.NewChannel("lobby", group.Config{})
	lb, _ := lobby.MarshalSecrets()
	if s, err := group.RestoreSecrets(lb, nil, group.Config{}); err != nil || s.ID() != lobby.ID() || !s.IsChannel() {
		t.Errorf("channel round trip: %v", err)
	}
	open, _ := create(t, "olga", group.KindAnnounce, at(100))
	ob, _ := open.s.MarshalSecrets()
	if s, err := group.RestoreSecrets(ob, open.u, group.Config{}); err != nil || s.Kind() != group.KindAnnounce || s.Topic() != open.s.Topic() {
		t.Errorf("announce round trip: %v", err)
	}

	for name, blob := range map[string]string{
		"empty":           ``,
		"not JSON":        `{`,
		"trailing":        string(lb) + `{}`,
		"unknown field":   strings.Replace(string(lb), `{`, `{"x":1,`, 1),
		"version 2":       strings.Replace(string(lb), `"version":1`, `"version":2`, 1),
		"wrong channel":   strings.Replace(string(lb), `"lobby"`, `"other"`, 1),
		"bad group":       strings.Replace(string(ob), `"group":"`, `"group":"zz`, 1),
		"bad kind":        strings.Replace(string(ob), `"announce"`, `"secret"`, 1),
		"open with keys":  strings.Replace(string(ob), `}`, `,"keys":[{"epoch":1,"key":"AAAA"}]}`, 1),
		"short secret":    strings.Replace(string(blob), `"secret":"`, `"secret":"AAAA`, 1),
		"epoch 0 key":     strings.Replace(string(blob), `"epoch":1,`, `"epoch":0,`, 1),
		"private no keys": `{"version":1,"group":"` + dave.s.ID().String() + `","kind":"private"}`,
	} {
		if _, err := group.RestoreSecrets([]byte(blob), dave.u, group.Config{}); !errors.Is(err, group.ErrBadSecrets) {
			t.Errorf("%s: %v, want %v", name, err, group.ErrBadSecrets)
		}
	}
}
