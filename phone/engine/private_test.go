package engine

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

// TestPrivateGroup: a phone that joins a private group by its link reads
// the owner's sealed messages and sends sealed ones the owner's node opens;
// the envelopes carry no text in the clear. A ban and a deletion by the
// owner take effect on the phone as on the daemon.
func TestPrivateGroup(t *testing.T) {
	owner := newOwner(t, "olga", group.KindPrivate)
	owner.post(t, "the secret plan")
	e := New(nil)
	me := mustIdentity(t, e, "pat")
	j := mustJoin(t, e, owner.link(t))
	if j.Group.Kind != "private" || j.Group.Topic != owner.st.Topic() {
		t.Fatalf("joined %+v; the owner's topic is %s", j.Group, owner.st.Topic())
	}
	all, _ := runSync(t, e, j.Group.ID, newServer(t, owner.st.ID(), owner.msgs), 11)
	if got := texts(all.Stored); !slices.Equal(got, []string{"the secret plan"}) {
		t.Fatalf("texts %q", got)
	}
	if len(all.Publish) != 1 || owner.take(t, all.Publish[0].Raw) != message.Accept {
		t.Fatal("the owner's node does not take the phone's profile")
	}
	p, err := e.Post(j.Group.ID, "count me in", "")
	if err != nil {
		t.Fatal(err)
	}
	raw := p.Publish[0].Raw
	if bytes.Contains(raw, []byte("count me in")) {
		t.Fatal("a private group's text travels in the clear")
	}
	if v := owner.take(t, raw); v != message.Accept {
		t.Fatalf("the owner's node says %s to the phone's sealed post", v)
	}
	m, _ := message.Decode(raw)
	c, err := owner.st.Open(m)
	if err != nil || c.(group.Text).Text != "count me in" {
		t.Fatalf("the owner opens %v, %v", c, err)
	}

	// The owner deletes the phone's post: the phone hides it.
	del, err := owner.st.Compose(owner.u, group.Delete{Target: m.ID, Reason: "off topic"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	owner.keep(del)
	r := e.Receive(del.Raw, owner.st.Topic())
	if r.Verdict != "accept" || !slices.Contains(r.Deleted, m.ID.String()) || e.Has(m.ID) {
		t.Fatalf("the deletion: %+v", r)
	}
	if r.Stored[0].View.Kind != "delete" || r.Stored[0].View.Reason != "off topic" || r.Stored[0].View.Ref != m.ID.String() {
		t.Fatalf("the deletion's view: %+v", r.Stored[0].View)
	}

	// The owner bans the phone's user: the phone says so and posts no more.
	pub := mustHex(t, me.PublicKey)
	ops, err := owner.st.BanMember(owner.u, pub, "spam", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	owner.keep(ops...)
	for _, op := range ops {
		if r := e.Receive(op.Raw, owner.st.Topic()); r.Verdict != "accept" {
			t.Fatalf("the ban: %+v", r)
		}
	}
	info, _ := e.GroupInfo(j.Group.ID)
	if info.CanPost || !contains(info.Standing, "banned") || !slices.Contains(info.Banned, me.Fingerprint) {
		t.Fatalf("after the ban: %+v", info)
	}
	if _, err := e.Post(j.Group.ID, "still here", ""); CodeOf(err) != CodeNotAllowed {
		t.Fatalf("posting when banned: %v", err)
	}
}

// TestRestore: the records a phone stored bring back its identity, groups,
// keys and history after a reload, and a tampered record is skipped.
func TestRestore(t *testing.T) {
	owner := newOwner(t, "olga", group.KindPrivate)
	owner.post(t, "before")
	e := New(nil)
	idRec, me, err := e.CreateIdentity("pat")
	if err != nil {
		t.Fatal(err)
	}
	j := mustJoin(t, e, owner.link(t))
	var records []MessageRecord
	keep := func(ss []Stored) {
		for _, s := range ss {
			records = append(records, s.Record)
		}
	}
	keep(j.Stored)
	all, _ := runSync(t, e, j.Group.ID, newServer(t, owner.st.ID(), owner.msgs), 64)
	keep(all.Stored)
	for _, p := range all.Publish {
		owner.take(t, p.Raw)
	}
	p, err := e.Post(j.Group.ID, "after", "")
	if err != nil {
		t.Fatal(err)
	}
	keep(p.Stored)
	grec, err := e.GroupRecord(j.Group.ID)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := e.JoinChannel("lobby")
	if err != nil {
		t.Fatal(err)
	}
	tampered := records[len(records)-1]
	tampered.Raw = bytes.Clone(tampered.Raw)
	tampered.Raw[len(tampered.Raw)-1] ^= 1
	records = append(records, tampered)

	again := New(nil)
	res, err := again.Restore(Snapshot{Identity: idRec, Groups: []GroupRecord{grec, ch.Record}, Messages: records})
	if err != nil {
		t.Fatal(err)
	}
	if res.Me != me || len(res.Groups) != 2 || res.Skipped != 1 || res.Messages != len(records)-1 || len(res.Problems) != 0 {
		t.Fatalf("restored %+v", res)
	}
	var got []string
	for _, r := range records[:len(records)-1] {
		v, err := again.View(r.Raw)
		if err != nil {
			t.Fatal(err)
		}
		if v.Kind == "text" {
			got = append(got, v.Text)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"after", "before"}) {
		t.Fatalf("texts after restore %q", got)
	}
	info, _ := again.GroupInfo(j.Group.ID)
	if !info.CanPost || !info.GenesisKnown || info.Name != "party" {
		t.Fatalf("group after restore: %+v", info)
	}
	// It still seals under the group's key, and the owner still opens it.
	p2, err := again.Post(j.Group.ID, "after reload", "")
	if err != nil || owner.take(t, p2.Publish[0].Raw) != message.Accept {
		t.Fatalf("post after restore: %v", err)
	}
	// A record of another identity's, or a broken one, is refused.
	bad := grec
	bad.Secrets = []byte("{}")
	res, _ = New(nil).Restore(Snapshot{Identity: idRec, Groups: []GroupRecord{bad}})
	if len(res.Problems) != 1 || len(res.Groups) != 0 {
		t.Fatalf("a broken group record: %+v", res)
	}
}

// TestPrivateRekey: a rekey's Op and parts bring the phone the new epoch's
// key (the group is reported changed, so the page saves its record again);
// it reads what is sealed under it, seals under it, and a restore from the
// saved record still opens both epochs.
func TestPrivateRekey(t *testing.T) {
	owner := newOwner(t, "olga", group.KindPrivate)
	before := owner.post(t, "epoch one")
	e := New(nil)
	idRec, _, err := e.CreateIdentity("pat")
	if err != nil {
		t.Fatal(err)
	}
	j := mustJoin(t, e, owner.link(t))
	var records []MessageRecord
	all, _ := runSync(t, e, j.Group.ID, newServer(t, owner.st.ID(), owner.msgs), 64)
	for _, s := range all.Stored {
		records = append(records, s.Record)
	}
	for _, p := range all.Publish {
		if owner.take(t, p.Raw) != message.Accept {
			t.Fatal("the owner does not take the phone's profile")
		}
	}
	epoch := owner.st.Epoch()
	ops, err := owner.st.Rekey(owner.u, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	owner.keep(ops...)
	if owner.st.Epoch() == epoch {
		t.Fatal("the rekey did not start an epoch")
	}
	changed := false
	for _, op := range ops {
		r := e.Receive(op.Raw, owner.st.Topic())
		if r.Verdict != "accept" {
			t.Fatalf("the rekey's %s: %+v", op.Body.Kind, r)
		}
		changed = changed || slices.Contains(r.Changed, j.Group.ID)
		for _, s := range r.Stored {
			records = append(records, s.Record)
		}
	}
	if !changed {
		t.Fatal("the rekey did not report the group changed (its record holds the new key)")
	}
	after := owner.post(t, "epoch two")
	if after.Body.Epoch == before.Body.Epoch {
		t.Fatal("the owner still seals under the first epoch")
	}
	r := e.Receive(after.Raw, owner.st.Topic())
	if r.Verdict != "accept" || r.Stored[0].View.Text != "epoch two" || r.Stored[0].View.Unreadable {
		t.Fatalf("a text of the new epoch: %+v", r)
	}
	records = append(records, r.Stored[0].Record)
	p, err := e.Post(j.Group.ID, "reply in epoch two", "")
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := message.Decode(p.Publish[0].Raw); m.Body.Epoch != after.Body.Epoch || owner.take(t, m.Raw) != message.Accept {
		t.Fatalf("the phone seals under epoch %d, the group is at %d", m.Body.Epoch, after.Body.Epoch)
	}
	rec, err := e.GroupRecord(j.Group.ID)
	if err != nil {
		t.Fatal(err)
	}
	again := New(nil)
	if _, err := again.Restore(Snapshot{Identity: idRec, Groups: []GroupRecord{rec}, Messages: records}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*message.Message{before, after} {
		v, err := again.View(m.Raw)
		if err != nil || v.Unreadable {
			t.Fatalf("after restore, %s: %+v, %v", m.ID.Short(), v, err)
		}
	}
}
