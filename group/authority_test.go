package group_test

import (
	"crypto/ed25519"
	"errors"
	"slices"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

// deliver hands p every message as catch-up would: in the order given,
// keeping what p ignores (an unknown parent, Op or key, or a standing its
// Ops do not give yet) and offering it again after each message p
// accepts. It returns how many
// messages p accepted.
func (p *peer) deliver(t testing.TB, now time.Time, ms ...*message.Message) int {
	t.Helper()
	accepted := 0
	pending := append([]*message.Message(nil), ms...)
	for progress := true; progress; {
		progress = false
		var left []*message.Message
		for _, m := range pending {
			p.mu.Lock()
			_, have := p.store[m.ID]
			p.mu.Unlock()
			if have {
				continue
			}
			c, v, _ := p.s.Check(m, now)
			switch {
			case v == message.Accept:
				p.mu.Lock()
				p.store[m.ID] = m
				p.mu.Unlock()
				p.effects(t, p.s.Apply(m, c), now)
				accepted++
				progress = true
			case v == message.Ignore:
				left = append(left, m)
			}
		}
		pending = left
	}
	return accepted
}

// effects does what a node does with Apply's effects: drop deleted
// targets, and stored messages of rechecked authors that Check no longer
// accepts.
func (p *peer) effects(t testing.TB, eff group.Effects, now time.Time) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range eff.Deleted {
		delete(p.store, id)
	}
	if len(eff.Recheck) == 0 {
		return
	}
	recheck := map[string]bool{}
	for _, a := range eff.Recheck {
		recheck[string(a)] = true
	}
	var again []*message.Message
	for _, m := range p.store {
		if recheck[string(m.Body.Author)] && m.Body.Kind != message.KindOp && m.Body.Kind != message.KindDescriptor {
			again = append(again, m)
		}
	}
	p.mu.Unlock()
	var drop []message.ID
	for _, m := range again {
		if _, v, _ := p.s.Check(m, now); v != message.Accept {
			drop = append(drop, m.ID)
		}
	}
	p.mu.Lock()
	for _, id := range drop {
		delete(p.store, id)
	}
}

func (p *peer) has(m *message.Message) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.store[m.ID]
	return ok
}

// own applies p's own operation, as its node does before it publishes,
// and returns its messages, failing the test on error:
// alice.own(t)(alice.s.RemoveMember(...)).
func (p *peer) own(t testing.TB) func([]*message.Message, error) []*message.Message {
	return func(ms []*message.Message, err error) []*message.Message {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		p.deliver(t, time.UnixMilli(int64(ms[0].Body.SentAtMS)), ms...)
		return ms
	}
}

// stored returns every message p holds.
func (p *peer) stored() []*message.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*message.Message, 0, len(p.store))
	for _, m := range p.store {
		out = append(out, m)
	}
	return out
}

// privateGroup makes a private group owned by alice with members joined by
// her invite, each of whom has published a profile that everyone holds.
func privateGroup(t *testing.T, names ...string) (*peer, map[string]*peer, []*message.Message) {
	t.Helper()
	alice, history := create(t, "alice", group.KindPrivate, time.Time{})
	peers := map[string]*peer{"alice": alice}
	for _, name := range names {
		p := join(t, alice, name, at(1), history...)
		pm := p.profile(t, at(1))
		p.deliver(t, at(1), pm)
		history = append(history, pm)
		peers[name] = p
	}
	for _, p := range peers {
		p.deliver(t, at(1), history...)
	}
	return alice, peers, history
}

// everyone delivers ms to every peer.
func everyone(t *testing.T, peers map[string]*peer, now time.Time, ms ...*message.Message) {
	t.Helper()
	for _, p := range peers {
		p.deliver(t, now, ms...)
	}
}

// The attack of issue 13: Bob is made an admin, then removed; he signs
// Ops whose parent is the state in which he was still an admin. Nobody
// takes them: he is not an admin again, nobody he removes is removed, and
// his key is not the group's.
func TestFormerAdminForkPrivate(t *testing.T) {
	alice, peers, _ := privateGroup(t, "bob", "carol", "dave")
	bob, carol := peers["bob"], peers["carol"]
	grant := alice.own(t)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(10)))
	everyone(t, peers, at(10), grant...)
	if !carol.s.IsAdmin(bob.u.PublicKey()) {
		t.Fatal("bob is not an admin after the grant")
	}
	// Bob's node, before it hears of its removal, prepares the fork.
	fork := bob.own(t)(bob.s.RemoveMember(bob.u, carol.u.PublicKey(), at(15)))
	fork2 := bob.own(t)(bob.s.Rekey(bob.u, at(16)))
	removal := alice.own(t)(alice.s.RemoveMember(alice.u, bob.u.PublicKey(), at(20)))

	// Carol hears of the removal first, dave of the fork first.
	carol.deliver(t, at(30), removal...)
	carol.deliver(t, at(30), append(fork, fork2...)...)
	dave := peers["dave"]
	dave.deliver(t, at(30), append(fork, fork2...)...)
	dave.deliver(t, at(30), removal...)
	alice.deliver(t, at(30), append(fork, fork2...)...)

	for _, p := range []*peer{alice, carol, dave} {
		if p.s.IsAdmin(bob.u.PublicKey()) {
			t.Errorf("%s: bob is an admin again", p.u.Name)
		}
		if !p.s.Standing(bob.u.PublicKey()).Removed {
			t.Errorf("%s: bob is not removed", p.u.Name)
		}
		if st := p.s.Standing(carol.u.PublicKey()); st.Removed || !st.Member {
			t.Errorf("%s: carol's standing %+v after bob's fork", p.u.Name, st)
		}
		if e := p.s.Epoch(); e != 2 {
			t.Errorf("%s: sealing epoch %d, want 2 (alice's removal)", p.u.Name, e)
		}
	}
	// What carol sends now, bob cannot open: it is under alice's key.
	msg := carol.compose(t, text("after bob"), at(40))
	if _, err := bob.s.Open(msg); err == nil {
		t.Error("bob opens what carol sent after his removal")
	}
	if view(alice) != view(carol) || view(carol) != view(dave) {
		t.Errorf("views differ:\nalice %s\ncarol %s\ndave  %s", view(alice), view(carol), view(dave))
	}
}

func TestFormerAdminForkAnnounce(t *testing.T) {
	alice, history := create(t, "alice", group.KindAnnounce, time.Time{})
	bob := join(t, alice, "bob", at(1), history...)
	carol := join(t, alice, "carol", at(1), history...)
	eve := join(t, alice, "eve", at(1), history...)
	peers := map[string]*peer{"alice": alice, "bob": bob, "carol": carol, "eve": eve}
	grant := alice.own(t)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(2)))
	everyone(t, peers, at(2), grant...)
	post := forge(t, carol.u, alice.s.ID(), text("an announcement by a reader"), message.ID{}, 0, nil, at(3))
	if _, v, _ := alice.s.Check(post, at(3)); v == message.Accept {
		t.Fatal("a reader posts in an announcement channel")
	}
	bobPost := bob.compose(t, text("bob announces"), at(4))
	everyone(t, peers, at(4), bobPost)

	// Bob, still an admin in his view, makes eve a poster and bans carol;
	// alice concurrently demotes him.
	fork := bob.own(t)(bob.s.Update(bob.u, group.Update{AddPosters: []ed25519.PublicKey{eve.u.PublicKey()}}, at(5)))
	fork = append(fork, bob.own(t)(bob.s.BanMember(bob.u, carol.u.PublicKey(), "fork", at(5)))...)
	demote := alice.own(t)(alice.s.Update(alice.u, group.Update{RemoveAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(6)))
	everyone(t, peers, at(7), fork...)
	everyone(t, peers, at(7), demote...)
	evePost := forge(t, eve.u, alice.s.ID(), text("eve announces"), message.ID{}, 0, nil, at(5))
	for _, p := range []*peer{alice, carol} {
		if p.s.IsAdmin(bob.u.PublicKey()) {
			t.Errorf("%s: bob is still an admin", p.u.Name)
		}
		if p.s.Standing(eve.u.PublicKey()).Poster {
			t.Errorf("%s: eve is a poster by bob's void grant", p.u.Name)
		}
		if p.s.Standing(carol.u.PublicKey()).Banned {
			t.Errorf("%s: carol is banned by bob's void ban", p.u.Name)
		}
		if _, v, err := p.s.Check(evePost, at(8)); v == message.Accept {
			t.Errorf("%s: eve's post accepted (%v)", p.u.Name, err)
		}
		// Bob's announcement before his demotion stays: the demotion's cut
		// keeps it.
		if !p.has(bobPost) {
			t.Errorf("%s: bob's announcement from before his demotion is gone", p.u.Name)
		}
	}
	late := join(t, alice, "late", at(9), history...)
	late.deliver(t, at(9), append(append(append([]*message.Message{bobPost}, fork...), demote...), grant...)...)
	if !late.has(bobPost) || view(late) != view(alice) {
		t.Errorf("a late joiner's view differs:\nlate  %s\nalice %s", view(late), view(alice))
	}
	// Nor do bob's later admin actions work: his history now has the
	// demotion.
	bob.deliver(t, at(10), demote...)
	if _, err := bob.s.BanMember(bob.u, carol.u.PublicKey(), "again", at(11)); err == nil {
		t.Error("bob, demoted, can still sign a ban")
	}
}

// Two admins remove two members at the same time (a partition): both are
// removed, neither removal's key is used, and the first rekey after both
// gives everyone left one key that neither removed member holds.
func TestConcurrentRemovals(t *testing.T) {
	alice, peers, _ := privateGroup(t, "bob", "carol", "dave", "erin")
	bob, carol, dave, erin := peers["bob"], peers["carol"], peers["dave"], peers["erin"]
	grant := alice.own(t)(alice.s.Update(alice.u, group.Update{AddAdmins: []ed25519.PublicKey{bob.u.PublicKey()}}, at(2)))
	everyone(t, peers, at(2), grant...)
	r1 := alice.own(t)(alice.s.RemoveMember(alice.u, dave.u.PublicKey(), at(3)))
	r2 := bob.own(t)(bob.s.RemoveMember(bob.u, erin.u.PublicKey(), at(3)))
	everyone(t, peers, at(4), r1...)
	everyone(t, peers, at(4), r2...)
	for _, p := range []*peer{alice, bob, carol} {
		for _, gone := range []*peer{dave, erin} {
			if !p.s.Standing(gone.u.PublicKey()).Removed {
				t.Errorf("%s: %s is not removed", p.u.Name, gone.u.Name)
			}
		}
		if !p.s.NeedsRekey() {
			t.Errorf("%s: no rekey needed after crossing removals", p.u.Name)
		}
		if _, err := p.s.Compose(p.u, text("x"), at(5)); !errors.Is(err, group.ErrNoCurrentKey) {
			t.Errorf("%s: sends with crossed removals' keys: %v", p.u.Name, err)
		}
	}
	heal := bob.own(t)(bob.s.Rekey(bob.u, at(6)))
	everyone(t, peers, at(7), heal...)
	msg := carol.compose(t, text("healed"), at(8))
	for _, p := range []*peer{alice, bob} {
		if _, err := p.s.Open(msg); err != nil {
			t.Errorf("%s cannot open what carol sends after the rekey: %v", p.u.Name, err)
		}
	}
	for _, gone := range []*peer{dave, erin} {
		if _, err := gone.s.Open(msg); err == nil {
			t.Errorf("removed %s opens what carol sends after the rekey", gone.u.Name)
		}
		if !gone.s.Standing(gone.u.PublicKey()).Removed {
			t.Errorf("%s does not know it was removed", gone.u.Name)
		}
	}
	if view(alice) != view(carol) || view(bob) != view(carol) {
		t.Errorf("views differ:\nalice %s\nbob   %s\ncarol %s", view(alice), view(bob), view(carol))
	}
}

// A removed member's message dated before the removal is refused unless
// the removal's cut lists it, by every node, late joiners included, in
// whatever order they hear of it.
func TestBackdatedAfterRemoval(t *testing.T) {
	alice, peers, history := privateGroup(t, "bob", "dave")
	bob, dave := peers["bob"], peers["dave"]
	before := dave.compose(t, text("before"), at(10))
	everyone(t, peers, at(10), before)
	removal := alice.own(t)(alice.s.RemoveMember(alice.u, dave.u.PublicKey(), at(20)))
	// Dave never hears of it and signs a message dated before it.
	backdated := dave.compose(t, text("backdated"), at(15))
	everyone(t, peers, at(30), removal...)
	everyone(t, peers, at(30), backdated)
	for _, p := range []*peer{alice, bob} {
		if !p.has(before) {
			t.Errorf("%s lost dave's message from before the removal", p.u.Name)
		}
		if p.has(backdated) {
			t.Errorf("%s took dave's backdated message", p.u.Name)
		}
	}
	// A late joiner catching up from dave's own node, which holds both.
	late := join(t, alice, "late", at(40), history...)
	late.deliver(t, at(40), append([]*message.Message{backdated, before}, removal...)...)
	late.deliver(t, at(40), backdated)
	if !late.has(before) || late.has(backdated) {
		t.Errorf("late joiner: before %v, backdated %v", late.has(before), late.has(backdated))
	}
	// Bob held the backdated message before the removal reached him: the
	// removal makes him drop it.
	bob2 := join(t, alice, "bob2", at(40), history...)
	bob2.deliver(t, at(40), before, backdated)
	bob2.deliver(t, at(40), removal...)
	if bob2.has(backdated) || !bob2.has(before) {
		t.Errorf("after the removal: before %v, backdated %v", bob2.has(before), bob2.has(backdated))
	}
}

func TestBackdatedAfterBan(t *testing.T) {
	alice, history := create(t, "alice", group.KindOpen, time.Time{})
	mallory := join(t, alice, "mallory", at(1), history...)
	bob := join(t, alice, "bob", at(1), history...)
	before := mallory.compose(t, text("before"), at(10))
	alice.deliver(t, at(10), before)
	bob.deliver(t, at(10), before)
	ban := alice.own(t)(alice.s.BanMember(alice.u, mallory.u.PublicKey(), "spam", at(20)))
	backdated := mallory.compose(t, text("backdated"), at(19))
	alice.deliver(t, at(30), backdated)
	bob.deliver(t, at(30), backdated)
	alice.deliver(t, at(30), ban...)
	bob.deliver(t, at(30), ban...)
	late := join(t, alice, "late", at(40), history...)
	late.deliver(t, at(40), append([]*message.Message{backdated, before}, ban...)...)
	for _, p := range []*peer{alice, bob, late} {
		if !p.has(before) || p.has(backdated) {
			t.Errorf("%s: before %v, backdated %v", p.u.Name, p.has(before), p.has(backdated))
		}
	}
	if _, err := mallory.s.Compose(mallory.u, text("x"), at(21)); err != nil {
		// mallory's node has not heard of the ban: it composes.
		t.Fatalf("mallory cannot compose before hearing of the ban: %v", err)
	}
	mallory.deliver(t, at(40), ban...)
	_, err := mallory.s.Compose(mallory.u, text("x"), at(41))
	if !errors.Is(err, group.ErrBanned) {
		t.Errorf("a banned author composes: %v", err)
	}
	// Unban: mallory posts again from the unban on, and what she signed
	// while banned stays out.
	unban := alice.own(t)(alice.s.UnbanMember(alice.u, mallory.u.PublicKey(), at(50)))
	for _, p := range []*peer{alice, bob, late, mallory} {
		p.deliver(t, at(50), unban...)
	}
	after := mallory.compose(t, text("after the unban"), at(51))
	whileBanned := forge(t, mallory.u, alice.s.ID(), text("while banned"), message.ID{}, 0, nil, at(45))
	for _, p := range []*peer{alice, bob, late} {
		p.deliver(t, at(52), after, whileBanned, backdated)
		if !p.has(after) || p.has(whileBanned) || p.has(backdated) || !p.has(before) {
			t.Errorf("%s after the unban: after %v, while banned %v, backdated %v, before %v",
				p.u.Name, p.has(after), p.has(whileBanned), p.has(backdated), p.has(before))
		}
	}
}

// Issue 13's stale invite: a link made before a removal admits nobody to
// what is sent after it.
func TestStaleInvite(t *testing.T) {
	owner, history := create(t, "owner", group.KindPrivate, time.Time{})
	link, err := owner.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	m := join(t, owner, "m", at(1), history...)
	mp := m.profile(t, at(1))
	owner.deliver(t, at(1), mp)
	removal := owner.own(t)(owner.s.RemoveMember(owner.u, m.u.PublicKey(), at(2)))
	m.deliver(t, at(3), removal...)
	after := owner.compose(t, text("after the removal"), at(4))

	// N joins with the old link.
	parsed, err := group.ParseInvite(link.Link())
	if err != nil {
		t.Fatal(err)
	}
	n := newPeer(user(t, "n"))
	if n.s, err = group.FromInvite(parsed, n.u, n.cfg()); err != nil {
		t.Fatal(err)
	}
	n.accept(t, at(5), history[0]) // the genesis, which catch-up brings first
	np := n.profile(t, at(5))
	n.deliver(t, at(5), np)
	// Before N's node hears of the removal it could seal under epoch 1;
	// the owner refuses that message (N is no member), and M could read it
	// only because N's node did not know: the node waits for the group's
	// Ops before it sends (see package node).
	early := n.compose(t, text("too early"), at(5))
	owner.deliver(t, at(5), np, early)
	if owner.has(early) {
		t.Error("the owner took a message from the holder of a stale link")
	}
	n.deliver(t, at(6), append([]*message.Message{mp, after}, removal...)...)
	st := n.s.Standing(n.u.PublicKey())
	if !st.Stale || st.Member {
		t.Fatalf("N's standing with a stale link: %+v", st)
	}
	if _, err := n.s.Open(after); err == nil {
		t.Error("N reads what the owner sent after the removal")
	}
	if _, err := n.s.Compose(n.u, text("x"), at(7)); !errors.Is(err, group.ErrNotMember) {
		t.Errorf("N composes with a stale link: %v", err)
	}
	// The owner admits N: N gets the current key and is a member.
	add := owner.own(t)(owner.s.AddMember(owner.u, n.u.PublicKey(), at(8)))
	n.deliver(t, at(9), add...)
	owner.deliver(t, at(9), add...)
	if st := n.s.Standing(n.u.PublicKey()); !st.Member {
		t.Fatalf("N after the owner's Add: %+v", st)
	}
	if _, err := n.s.Open(after); err != nil {
		t.Errorf("N cannot read the current epoch after the Add: %v", err)
	}
	now := n.compose(t, text("admitted"), at(10))
	if _, v, err := owner.s.Check(now, at(10)); v != message.Accept {
		t.Errorf("the owner refuses the admitted member: %s %v", v, err)
	}
	// A fresh link made after the removal admits at once.
	o := join(t, owner, "o", at(11), owner.stored()...)
	op := o.profile(t, at(11))
	o.deliver(t, at(11), op)
	owner.deliver(t, at(11), op)
	if st := owner.s.Standing(o.u.PublicKey()); !st.Member {
		t.Errorf("a fresh link does not admit, in the owner's view: %+v", st)
	}
	if st := o.s.Standing(o.u.PublicKey()); !st.Member {
		t.Errorf("a fresh link does not admit, in the joiner's view: %+v", st)
	}
}

// A removed member knows: its standing says so and it cannot compose.
func TestRemovedMemberKnows(t *testing.T) {
	alice, peers, _ := privateGroup(t, "bob")
	bob := peers["bob"]
	removal := alice.own(t)(alice.s.RemoveMember(alice.u, bob.u.PublicKey(), at(5)))
	bob.deliver(t, at(6), removal...)
	st := bob.s.Standing(bob.u.PublicKey())
	if !st.Removed || st.Member || !st.By.Equal(alice.u.PublicKey()) {
		t.Fatalf("bob's standing: %+v", st)
	}
	_, err := bob.s.Compose(bob.u, text("still here?"), at(7))
	if !errors.Is(err, group.ErrRemoved) {
		t.Errorf("Compose by a removed member: %v", err)
	}
	// Re-added, bob reads the new epoch, not the one he was out of.
	during := alice.compose(t, text("while bob was out"), at(8))
	readd := alice.own(t)(alice.s.AddMember(alice.u, bob.u.PublicKey(), at(9)))
	bob.deliver(t, at(10), readd...)
	if st := bob.s.Standing(bob.u.PublicKey()); !st.Member || st.Removed {
		t.Fatalf("bob after the re-add: %+v", st)
	}
	if _, err := bob.s.Open(during); err == nil {
		t.Error("re-added bob reads what was sent while he was out")
	}
	back := alice.compose(t, text("welcome back"), at(11))
	if _, err := bob.s.Open(back); err != nil {
		t.Errorf("re-added bob cannot read the new epoch: %v", err)
	}
	if e := alice.s.Epoch(); e != 3 {
		t.Errorf("epoch after the re-add: %d, want 3", e)
	}
}

// Issue 13: deleting your own message works even after the target is gone
// from the store (the node deletes it before it publishes the tombstone).
func TestOwnDeleteAfterTargetGone(t *testing.T) {
	alice, history := create(t, "alice", group.KindOpen, time.Time{})
	bob := join(t, alice, "bob", at(1), history...)
	msg := bob.compose(t, text("oops"), at(2))
	bob.deliver(t, at(2), msg)
	del := bob.compose(t, group.Delete{Target: msg.ID}, at(3))
	bob.deliver(t, at(3), del)
	if bob.has(msg) {
		t.Fatal("the target is still stored")
	}
	if _, v, err := bob.s.Check(del, at(3)); v != message.Accept {
		t.Errorf("the author's own tombstone, checked again after its target went: %s %v", v, err)
	}
	alice.deliver(t, at(4), msg, del)
	if alice.has(msg) || !bob.s.Deleted(msg.ID) || !alice.s.Deleted(msg.ID) {
		t.Error("the deletion did not take effect")
	}
}

// view describes what a State resolved, for comparing nodes.
func view(p *peer) string {
	d, _, ok := p.s.Descriptor()
	if !ok {
		return "no genesis"
	}
	s := d.Name
	for _, l := range [][]ed25519.PublicKey{d.Admins, d.Posters, d.Removed, d.Banned} {
		s += "|"
		for _, k := range l {
			s += string(k[:2])
		}
	}
	s += "|" + time.Duration(d.SlowModeSeconds).String()
	return s + "|" + string(rune('0'+p.s.Epoch()))
}

// A join reads nothing again: a new member's profile, and an admin's Add
// of one a stale link left out, change standing only by a gain, so their
// effects name nobody to recheck (a node would read the group's whole
// history for each). The member's own node hears that its standing
// changed; a removal still names the removed to recheck.
func TestGainsRecheckNobody(t *testing.T) {
	alice, history := create(t, "alice", group.KindPrivate, time.Time{})
	bob := join(t, alice, "bob", at(1), history...)
	pm := bob.profile(t, at(1))
	if _, v, fx, err := alice.receive(t, pm, at(1)); v != message.Accept || len(fx.Recheck) != 0 || fx.SelfChanged {
		t.Fatalf("alice receives bob's joining profile: %s %v, effects %+v", v, err, fx)
	}
	if _, v, fx, err := bob.receive(t, pm, at(1)); v != message.Accept || len(fx.Recheck) != 0 || !fx.SelfChanged {
		t.Fatalf("bob receives his own joining profile: %s %v, effects %+v", v, err, fx)
	}
	admin := alice.own(t)(alice.s.SetRole(alice.u, bob.u.PublicKey(), group.RoleAdmin, at(2)))
	for _, m := range admin {
		if _, v, fx, err := bob.receive(t, m, at(2)); v != message.Accept || len(fx.Recheck) != 0 || !fx.SelfChanged {
			t.Fatalf("bob made an admin: %s %v, effects %+v", v, err, fx)
		}
	}
	removal := alice.own(t)(alice.s.RemoveMember(alice.u, bob.u.PublicKey(), at(3)))
	var rechecked bool
	for _, m := range removal {
		_, v, fx, err := bob.receive(t, m, at(3))
		if v != message.Accept {
			t.Fatalf("bob receives his removal: %s %v", v, err)
		}
		rechecked = rechecked || slices.ContainsFunc(fx.Recheck, func(k ed25519.PublicKey) bool { return k.Equal(bob.u.PublicKey()) })
	}
	if !rechecked {
		t.Error("bob's removal named nobody to recheck")
	}
}
