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
	fmt.Fprintf(&b, "descriptor %v v%d %s %q slow %d ends %d admins %x posters %x removed %x banned %x\n",
		ok, d.Version, idOf(m), d.Name, d.SlowModeSeconds, d.EndsAtMS, d.Admins, d.Posters, d.Removed, d.Banned)
	for _, k := range s.Members() {
		p, _ := s.Profile(k)
		fmt.Fprintf(&b, "member %x %q %x\n", k[:4], p.Nick, p.X25519[:4])
	}
	for _, id := range ids {
		fmt.Fprintf(&b, "deleted %s %v\n", id.Short(), s.Deleted(id))
	}
	for _, a := range authors {
		fmt.Fprintf(&b, "standing %x %+v admin %v\n", a[:4], s.Standing(a), s.IsAdmin(a))
	}
	secrets, err := s.MarshalSecrets()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "epoch %d rekey %v\nsecrets %s\n", s.Epoch(), s.NeedsRekey(), secrets)
	if inv, err := s.Invite(nil); err == nil {
		fmt.Fprintf(&b, "invite %s\n", inv.Link())
	} else {
		fmt.Fprintf(&b, "invite: %v\n", err)
	}
	return b.String()
}

func idOf(m *message.Message) string {
	if m == nil {
		return "-"
	}
	return m.ID.Short()
}

// controlHistory builds a private group's messages with every kind of Op
// and the conflicts the authority must resolve: concurrent settings,
// concurrent removals and the rekey that heals them, concurrent bans and
// an unban that lifts one of them, repeated profiles and tombstones. It
// returns the history, bob's secrets right after joining (before any new
// epoch), and the IDs and authors worth comparing.
func controlHistory(t *testing.T) (history []*message.Message, bobSecrets []byte, ids []message.ID, authors []ed25519.PublicKey) {
	t.Helper()
	alice, bob, carol, h := privateTrio(t)
	history = h
	bobSecrets, err := bob.s.MarshalSecrets()
	if err != nil {
		t.Fatal(err)
	}
	dave := join(t, alice, "dave", at(4), history...)
	erin := join(t, alice, "erin", at(4), history...)
	all := []*peer{alice, bob, carol, dave, erin}
	add := func(ms ...*message.Message) {
		for _, q := range all {
			q.deliver(t, at(300), ms...)
		}
		history = append(history, ms...)
	}
	ok := func(ms []*message.Message, err error) []*message.Message {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	add(dave.profile(t, at(5)), erin.profile(t, at(5)))
	add(ok(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(6)))...)
	txt := carol.compose(t, text("to be deleted"), at(7))
	add(txt)

	// Concurrent: both admins rename, then alice removes dave while bob
	// removes erin; alice heals.
	r1 := ok(alice.s.Update(alice.u, group.Update{Name: "alice's name"}, at(10)))
	r2 := ok(bob.s.Update(bob.u, group.Update{Name: "bob's name"}, at(10)))
	add(append(r1, r2...)...)
	k1 := ok(alice.s.RemoveMember(alice.u, dave.u.PublicKey(), at(20)))
	k2 := ok(bob.s.RemoveMember(bob.u, erin.u.PublicKey(), at(20)))
	add(append(k1, k2...)...)
	if !alice.s.NeedsRekey() {
		t.Fatal("no rekey needed after crossing removals")
	}
	add(ok(alice.s.Rekey(alice.u, at(25)))...)

	// Profiles: carol renames three times, two at the same millisecond.
	for i, sec := range []int{30, 40, 40} {
		pr, _ := group.NewProfile(carol.u)
		pr.Nick = fmt.Sprintf("carol %d", i)
		add(carol.compose(t, pr, at(sec)))
	}
	// Moderation: two concurrent bans of one author, an unban that has
	// only one of them in its history, a tombstone for a known and one
	// for an unknown message.
	zed := user(t, "zed")
	b1 := ok(alice.s.BanMember(alice.u, zed.PublicKey(), "", at(100)))
	b2 := ok(bob.s.BanMember(bob.u, zed.PublicKey(), "", at(50)))
	for _, q := range []*peer{alice, carol, dave} {
		q.deliver(t, at(300), b1...)
	}
	u1 := ok(alice.s.UnbanMember(alice.u, zed.PublicKey(), at(101)))
	history = append(history, b1...)
	add(append(b2, u1...)...)
	if !alice.s.Standing(zed.PublicKey()).Banned {
		t.Fatal("an unban lifted a concurrent ban it did not know")
	}
	add(alice.compose(t, group.Delete{Target: txt.ID}, at(60)))
	add(bob.compose(t, group.Delete{Target: message.ID{42}}, at(61)))

	ids = []message.ID{txt.ID, {42}, {43}}
	authors = []ed25519.PublicKey{alice.u.PublicKey(), bob.u.PublicKey(), carol.u.PublicKey(), dave.u.PublicKey(), erin.u.PublicKey(), zed.PublicKey()}
	return history, bobSecrets, ids, authors
}

// partsAfterOps moves each Op part after its Op, as a node stores them
// (Check takes a part only once its Op is known).
func partsAfterOps(ms []*message.Message) []*message.Message {
	var out, waiting []*message.Message
	seen := map[message.ID]bool{}
	for _, m := range ms {
		if m.Body.Kind == message.KindOpPart && !seen[m.Body.Ref] {
			waiting = append(waiting, m)
			continue
		}
		out = append(out, m)
		seen[m.ID] = true
		var left []*message.Message
		for _, w := range waiting {
			if seen[w.Body.Ref] {
				out = append(out, w)
			} else {
				left = append(left, w)
			}
		}
		waiting = left
	}
	return append(out, waiting...)
}

// Apply is order-independent: bob's node, rebuilt from the secrets it had
// when it joined, ends in the same state for every order of the history,
// whether each message is applied with its content, replayed from the
// store, or checked and applied as gossip and catch-up bring it.
func TestApplyOrderIndependent(t *testing.T) {
	history, secrets, ids, authors := controlHistory(t)
	bob := user(t, "bob")
	ref, err := group.RestoreSecrets(secrets, bob, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	texts := 0
	for _, m := range history {
		if m.Body.Kind == message.KindText {
			texts++
		}
	}
	if n := ref.Replay(history); n != len(history)-texts {
		t.Fatalf("replayed %d of %d messages that are not texts", n, len(history)-texts)
	}
	want := summary(t, ref, ids, authors)
	if !strings.Contains(want, "epoch 3 rekey false") || !strings.Contains(want, "Removed:true") || !strings.Contains(want, "Banned:true") {
		t.Fatalf("the history did not reach epoch 3 with dave removed and zed banned:\n%s", want)
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
	for i := range 60 {
		perm := make([]*message.Message, len(history))
		for j, k := range rng.Perm(len(history)) {
			perm[j] = history[k]
		}
		s, err := group.RestoreSecrets(secrets, bob, group.Config{})
		if err != nil {
			t.Fatal(err)
		}
		how := []string{"apply", "replay", "check and apply"}[i%3]
		switch how {
		case "apply":
			for _, m := range partsAfterOps(perm) {
				s.Apply(m, contents[m.ID])
			}
		case "replay":
			s.Replay(perm)
		case "check and apply":
			p := newPeer(bob)
			s, _ = group.RestoreSecrets(secrets, bob, p.cfg())
			p.s = s
			for p.deliver(t, at(400), perm...) > 0 {
			}
		}
		// Applying everything again changes nothing.
		for _, m := range perm[:len(perm)/2] {
			s.Apply(m, contents[m.ID])
		}
		if got := summary(t, s, ids, authors); got != want {
			t.Fatalf("order %d (%s): state differs\ngot:\n%s\nwant:\n%s", i, how, got, want)
		}
	}
}

func TestSecretsRoundTrip(t *testing.T) {
	alice, bob, _, removal := afterRemoval(t)
	// dave's epoch-2 key came from a link, not from the removal's key
	// entries (he joined after it): only the secrets blob keeps it.
	dave := join(t, bob, "dave", at(11), removal...)
	blob, err := dave.s.MarshalSecrets()
	if err != nil {
		t.Fatal(err)
	}
	restored, err := group.RestoreSecrets(blob, dave.u, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, dm, _ := dave.s.Descriptor()
	if n := restored.Replay(append([]*message.Message{dm}, removal...)); n != 1+len(removal) {
		t.Fatalf("replayed %d messages", n)
	}
	if restored.ID() != dave.s.ID() || restored.Topic() != dave.s.Topic() || restored.Kind() != group.KindPrivate || restored.Epoch() != 2 {
		t.Fatalf("restored %s %s %s epoch %d", restored.ID().Short(), restored.Topic(), restored.Kind(), restored.Epoch())
	}
	later := alice.compose(t, text("still readable"), at(12))
	if _, err := restored.Open(later); err != nil {
		t.Errorf("the restored state cannot read epoch 2: %v", err)
	}
	again, _ := restored.MarshalSecrets()
	if string(again) != string(blob) {
		t.Errorf("secrets changed across a round trip:\n%s\n%s", again, blob)
	}
	// Without the link's key (as a blob of before the join would be),
	// nothing of epoch 2 opens: the blob is what kept it.
	noKeys := strings.Split(string(blob), `,"keys":`)[0] + "}"
	bare, err := group.RestoreSecrets([]byte(noKeys), dave.u, group.Config{})
	if err != nil {
		t.Fatalf("%v\n%s", err, noKeys)
	}
	bare.Replay(append([]*message.Message{dm}, removal...))
	if _, err := bare.Open(later); !errors.Is(err, group.ErrUnknownKey) {
		t.Errorf("without the blob's keys: %v, want %v", err, group.ErrUnknownKey)
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
		"channel private": strings.Replace(string(lb), `"open"`, `"private"`, 1),
		"bad group":       strings.Replace(string(ob), `"group":"`, `"group":"zz`, 1),
		"bad kind":        strings.Replace(string(ob), `"announce"`, `"secret"`, 1),
		"open with keys":  strings.Replace(string(ob), `}`, `,"keys":[{"epoch":1,"key":"AAAA"}]}`, 1),
		"open with owner": strings.Replace(string(ob), `}`, `,"owner":"x"}`, 1),
		"short secret":    strings.Replace(string(blob), `"secret":"`, `"secret":"AAAA`, 1),
		"epoch 0 key":     strings.Replace(string(blob), `"epoch":1,`, `"epoch":0,`, 1),
		"short key":       strings.Replace(string(blob), `"epoch":1,"key":"`, `"epoch":1,"key":"AAAA`, 1),
		"private no keys": `{"version":1,"group":"` + dave.s.ID().String() + `","kind":"private"}`,
	} {
		if _, err := group.RestoreSecrets([]byte(blob), dave.u, group.Config{}); !errors.Is(err, group.ErrBadSecrets) {
			t.Errorf("%s: %v, want %v", name, err, group.ErrBadSecrets)
		}
	}
}
