package engine

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

// TestIdentity: a new key's fingerprint and safety code are identity's,
// its record restores the same user, and bad records are refused.
func TestIdentity(t *testing.T) {
	e := New(nil)
	if _, err := e.Whoami(); CodeOf(err) != CodeNoIdentity {
		t.Fatalf("whoami before any identity: %v, want code %s", err, CodeNoIdentity)
	}
	rec, me, err := e.CreateIdentity("alice")
	if err != nil {
		t.Fatal(err)
	}
	u, err := identity.UserFromKey("alice", ed25519.NewKeyFromSeed(rec.Seed))
	if err != nil {
		t.Fatal(err)
	}
	if me.Fingerprint != string(u.Fingerprint()) || me.SafetyCode != u.SafetyCode() || me.Name != "alice" {
		t.Fatalf("me = %+v, want the fingerprint %s and safety code %s of the record's key", me, u.Fingerprint(), u.SafetyCode())
	}
	if me.PublicKey != hex.EncodeToString(u.PublicKey()) || me.FingerprintShort != u.Fingerprint().Short() {
		t.Fatalf("me = %+v", me)
	}
	other := New(nil)
	again, err := other.LoadIdentity(rec)
	if err != nil || again != me {
		t.Fatalf("load identity = %+v, %v; want %+v", again, err, me)
	}
	_, me2, _ := New(nil).CreateIdentity("alice")
	if me2.Fingerprint == me.Fingerprint {
		t.Fatal("two new identities have the same key")
	}
	n, err := e.SafetyNumber(me2.PublicKey)
	if err != nil || n != identity.SafetyNumber(u.PublicKey(), mustHex(t, me2.PublicKey)) {
		t.Fatalf("safety number %q, %v", n, err)
	}
	for _, bad := range []IdentityRecord{
		{V: 2, Name: "alice", Seed: rec.Seed},
		{V: 1, Name: "alice", Seed: rec.Seed[:31]},
		{V: 1, Name: "a\nb", Seed: rec.Seed},
	} {
		if _, err := New(nil).LoadIdentity(bad); CodeOf(err) != CodeBadArgument {
			t.Errorf("load %+v: %v, want code %s", bad, err, CodeBadArgument)
		}
	}
	if _, _, err := New(nil).CreateIdentity(""); CodeOf(err) != CodeBadArgument {
		t.Errorf("an empty name: %v", err)
	}
	if _, err := e.SafetyNumber("zz"); CodeOf(err) != CodeBadArgument {
		t.Errorf("a bad key: %v", err)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInviteParsing: links, page URLs carrying them, and broken links.
func TestInviteParsing(t *testing.T) {
	owner := newOwner(t, "olga", group.KindPrivate)
	link := owner.link(t)
	for _, in := range []string{link, "http://10.0.0.5:8080/#" + link, "http://10.0.0.5:8080/#" + strings.ReplaceAll(link, "&", "%26"), link[:40] + "\n  " + link[40:]} {
		inv, err := ParseInvite(in)
		if err != nil {
			t.Fatalf("parse %q: %v", in, err)
		}
		if inv.Kind != "private" || inv.Group != owner.st.ID().String() || inv.Owner != string(owner.u.Fingerprint()) || inv.HasGenesis {
			t.Fatalf("parse %q = %+v", in, inv)
		}
	}
	_, err := ParseInvite(link[:len(link)-5])
	wantCode(t, err, CodeBadInvite)
	if !contains(err.Error(), "cut off") {
		t.Errorf("a cut link: %v, want it to say it looks cut off", err)
	}
	_, err = ParseInvite("https://example.com/")
	wantCode(t, err, CodeBadInvite)
	ch, err := ParseInvite(mustChannelLink(t, "lobby"))
	if err != nil || ch.Kind != "channel" || ch.Channel != "lobby" {
		t.Fatalf("channel link: %+v, %v", ch, err)
	}
}

func mustChannelLink(t *testing.T, name string) string {
	t.Helper()
	st, err := group.NewChannel(name, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := st.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	return inv.Link()
}

// TestShortLinkLearnsGenesisByCatchup: a short link carries no genesis; the
// phone learns it, and the history, by catch-up from a relay, then sends
// its profile, which the owner's node accepts; what the phone held and the
// relay lacked is pushed.
func TestShortLinkLearnsGenesisByCatchup(t *testing.T) {
	owner := newOwner(t, "olga", group.KindOpen)
	owner.post(t, "one")
	owner.post(t, "two")
	e := New(nil)
	mustIdentity(t, e, "pat")
	j := mustJoin(t, e, owner.link(t))
	if j.Group.GenesisKnown || j.Group.CanPost || len(j.Publish) != 0 {
		t.Fatalf("before catch-up: %+v, publish %d", j.Group, len(j.Publish))
	}
	if _, err := e.Post(j.Group.ID, "too early", ""); CodeOf(err) != CodeStale {
		t.Fatalf("posting before the genesis is known: %v, want code %s", err, CodeStale)
	}
	relay := newServer(t, owner.st.ID(), owner.msgs)
	all, last := runSync(t, e, j.Group.ID, relay, 7)
	if !last.Done || last.Error != "" || last.Result == nil || !last.Result.Complete {
		t.Fatalf("session: %+v", last)
	}
	got := texts(all.Stored)
	slices.Sort(got) // both may share a millisecond
	if strings.Join(got, ",") != "one,two" {
		t.Fatalf("texts %q, want one,two", got)
	}
	info, err := e.GroupInfo(j.Group.ID)
	if err != nil || !info.GenesisKnown || info.Name != "party" || info.Owner != string(owner.u.Fingerprint()) || !info.CanPost {
		t.Fatalf("after catch-up: %+v, %v", info, err)
	}
	if len(all.Publish) != 1 || len(all.Changed) == 0 {
		t.Fatalf("publish %d, changed %v: want the phone's profile out and the group changed", len(all.Publish), all.Changed)
	}
	if v := owner.take(t, all.Publish[0].Raw); v != message.Accept {
		t.Fatalf("the owner's node says %s to the phone's profile", v)
	}
	// A second session with the relay, which did not get the profile by
	// gossip, finds nothing new and pushes the profile.
	all, last = runSync(t, e, j.Group.ID, relay.again(), 1<<20)
	if !last.Done || len(all.Stored) != 0 || last.Result.Fetched != 0 {
		t.Fatalf("second session: %+v, stored %d", last, len(all.Stored))
	}
	if len(relay.pushed) != 1 || !bytes.Equal(relay.pushed[0], owner.msgs[len(owner.msgs)-1].Raw) || last.Result.Pushed != 1 {
		t.Fatalf("pushed %d envelopes, want the phone's profile", len(relay.pushed))
	}
	// The phone posts; the owner's node accepts it.
	p, err := e.Post(j.Group.ID, "hello from the phone", "")
	if err != nil || len(p.Publish) != 1 || len(p.Stored) != 1 {
		t.Fatalf("post: %+v, %v", p, err)
	}
	if p.Publish[0].Topic != owner.st.Topic() || !p.Stored[0].View.Own || p.Stored[0].View.Name != "pat" {
		t.Fatalf("post: %+v", p)
	}
	if v := owner.take(t, p.Publish[0].Raw); v != message.Accept {
		t.Fatalf("the owner's node says %s to the phone's post", v)
	}
}

// TestLinkOwnerMismatch: a short link whose owner fingerprint was altered
// joins, but the genesis that catch-up brings names the true owner: the
// engine does not take it, says the link was altered, and takes nothing
// else of the group.
func TestLinkOwnerMismatch(t *testing.T) {
	owner := newOwner(t, "olga", group.KindOpen)
	owner.post(t, "one")
	mallory, err := identity.NewUser("mallory")
	if err != nil {
		t.Fatal(err)
	}
	link := owner.link(t)
	i := strings.LastIndex(link, "&o=")
	altered := link[:i] + "&o=" + string(mallory.Fingerprint())
	e := New(nil)
	mustIdentity(t, e, "pat")
	j := mustJoin(t, e, altered)
	all, last := runSync(t, e, j.Group.ID, newServer(t, owner.st.ID(), owner.msgs), 5)
	if len(all.Stored) != 0 {
		t.Fatalf("stored %d messages of a group whose genesis contradicts the link", len(all.Stored))
	}
	if last.Result == nil || last.Result.Fetched != 0 || last.Result.Ignored == 0 {
		t.Fatalf("session: %+v", last.Result)
	}
	info, _ := e.GroupInfo(j.Group.ID)
	if info.GenesisKnown || info.CanPost || !contains(info.LinkError, "altered") {
		t.Fatalf("info: %+v, want the link said to be altered", info)
	}
	// The same by gossip: the genesis is ignored, not taken.
	r := e.Receive(owner.msgs[0].Raw, owner.st.Topic())
	if r.Verdict == "accept" || len(r.Stored) != 0 {
		t.Fatalf("the genesis by gossip: %+v", r)
	}
}

// TestForgedEnvelope: a forged signature, an altered body, a message on
// another group's topic and garbage are rejected, as gossip's validator
// rejects them; the genuine message is accepted once and then a duplicate.
func TestForgedEnvelope(t *testing.T) {
	owner := newOwner(t, "olga", group.KindOpen)
	e := New(nil)
	mustIdentity(t, e, "pat")
	j := mustJoin(t, e, owner.link(t))
	runSync(t, e, j.Group.ID, newServer(t, owner.st.ID(), owner.msgs), 64)
	m := owner.post(t, "genuine")

	forged := bytes.Clone(m.Raw)
	forged[len(forged)-1] ^= 1 // the signature is last
	if r := e.Receive(forged, owner.st.Topic()); r.Verdict != "reject" || len(r.Stored) != 0 {
		t.Fatalf("a forged signature: %+v", r)
	}
	altered := bytes.Replace(m.Raw, []byte("genuine"), []byte("GENUINE"), 1)
	if bytes.Equal(altered, m.Raw) {
		t.Fatal("the text is not in the clear in the envelope")
	}
	if r := e.Receive(altered, owner.st.Topic()); r.Verdict != "reject" {
		t.Fatalf("an altered body: %+v", r)
	}
	if r := e.Receive([]byte("garbage"), owner.st.Topic()); r.Verdict != "reject" {
		t.Fatalf("garbage: %+v", r)
	}
	other := newOwner(t, "oscar", group.KindOpen)
	e.Join(other.link(t))
	if r := e.Receive(m.Raw, other.st.Topic()); r.Verdict != "reject" {
		t.Fatalf("a message on another group's topic: %+v", r)
	}
	// A forger who signs with their own key but names olga as author.
	mallory, _ := identity.NewUser("mallory")
	body := m.Body
	body.Author = mallory.PublicKey()
	fake, err := message.Sign(mallory.PrivateKey(), body)
	if err != nil {
		t.Fatal(err)
	}
	claimed := bytes.Replace(fake.Raw, mallory.PublicKey(), owner.u.PublicKey(), 1)
	if r := e.Receive(claimed, owner.st.Topic()); r.Verdict != "reject" {
		t.Fatalf("signed by another key than its author's: %+v", r)
	}
	r := e.Receive(m.Raw, owner.st.Topic())
	if r.Verdict != "accept" || len(r.Stored) != 1 || r.Stored[0].View.Text != "genuine" || r.Stored[0].View.Name != "olga" {
		t.Fatalf("the genuine message: %+v", r)
	}
	if r := e.Receive(m.Raw, owner.st.Topic()); r.Verdict != "ignore" || !r.Duplicate {
		t.Fatalf("the genuine message again: %+v", r)
	}
}

// TestForgedEnvelopeByCatchup: a relay that delivers a forged copy of a
// message it offered is cut off, and nothing of its batch is stored.
func TestForgedEnvelopeByCatchup(t *testing.T) {
	owner := newOwner(t, "olga", group.KindOpen)
	owner.post(t, "one")
	e := New(nil)
	mustIdentity(t, e, "pat")
	j := mustJoin(t, e, owner.link(t))
	relay := newServer(t, owner.st.ID(), owner.msgs)
	relay.forge = func(raw []byte) []byte {
		f := bytes.Clone(raw)
		f[len(f)-1] ^= 1
		return f
	}
	all, last := runSync(t, e, j.Group.ID, relay, 3)
	if last.Code != CodeProtocol || last.Done || len(all.Stored) != 0 {
		t.Fatalf("a forging relay: %+v, stored %d", last, len(all.Stored))
	}
	if !contains(last.Error, "signature") {
		t.Errorf("error %q does not say the signature is bad", last.Error)
	}
	if f := e.SyncFeed(1, nil); f.Code != CodeBadArgument {
		t.Fatalf("feeding the failed session: %+v", f)
	}
}

// TestAnnouncementNonMember: in an announcement channel only the owner,
// admins and posters post; the engine's verdicts on a reader's post are
// the daemon's own, and the engine will not post for a reader.
func TestAnnouncementNonMember(t *testing.T) {
	owner := newOwner(t, "olga", group.KindAnnounce)
	e := New(nil)
	mustIdentity(t, e, "pat")
	j := mustJoin(t, e, owner.link(t))
	all, _ := runSync(t, e, j.Group.ID, newServer(t, owner.st.ID(), owner.msgs), 64)
	if len(all.Publish) != 0 {
		t.Fatalf("a reader of an announcement channel published %d messages (a profile?)", len(all.Publish))
	}
	info, _ := e.GroupInfo(j.Group.ID)
	if info.Kind != "announce" || info.CanPost || info.Standing == "" {
		t.Fatalf("info: %+v", info)
	}
	if _, err := e.Post(j.Group.ID, "me too", ""); CodeOf(err) != CodeNotAllowed {
		t.Fatalf("a reader's post: %v, want code %s", err, CodeNotAllowed)
	}
	// A reader (another attendee) signs a post anyway and gossips it.
	reader, _ := identity.NewUser("rick")
	payload, err := group.EncodePayload(group.Text{Text: "spam", Nick: "rick"})
	if err != nil {
		t.Fatal(err)
	}
	spam, err := message.Sign(reader.PrivateKey(), message.Body{Version: message.Version, Group: owner.st.ID(), Author: reader.PublicKey(),
		SentAtMS: message.TimeMS(time.Now()), Kind: message.KindText, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	_, want, _ := owner.st.Check(spam, time.Now())
	if want == message.Accept {
		t.Fatal("the daemon's rules accept a reader's post: the test is wrong")
	}
	if r := e.Receive(spam.Raw, owner.st.Topic()); r.Verdict != want.String() || len(r.Stored) != 0 {
		t.Fatalf("a reader's post: %+v, the daemon says %s", r, want)
	}
	m := owner.post(t, "doors open at 8")
	if r := e.Receive(m.Raw, owner.st.Topic()); r.Verdict != "accept" {
		t.Fatalf("the owner's announcement: %+v", r)
	}
}

// TestWaitingForGenesis: texts gossiped before the genesis wait, and are
// accepted with it, as the daemon's pending queue does.
func TestWaitingForGenesis(t *testing.T) {
	owner := newOwner(t, "olga", group.KindOpen)
	m := owner.post(t, "early")
	e := New(nil)
	mustIdentity(t, e, "pat")
	mustJoin(t, e, owner.link(t))
	if r := e.Receive(m.Raw, owner.st.Topic()); r.Verdict != "ignore" || r.Code != CodeStale || len(r.Stored) != 0 {
		t.Fatalf("a text before the genesis: %+v", r)
	}
	r := e.Receive(owner.msgs[0].Raw, owner.st.Topic())
	if r.Verdict != "accept" || !slices.Contains(texts(r.Stored), "early") || len(r.Publish) != 1 {
		t.Fatalf("the genesis: %+v", r)
	}
}

// TestExpiredGroup: a group past its end and grace says so, takes nothing
// more and lets nobody post.
func TestExpiredGroup(t *testing.T) {
	u, err := identity.NewUser("olga")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-3 * time.Hour)
	st, msgs, err := group.Create(u, group.KindOpen, "party", start.Add(time.Hour), start, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	owner := &daemon{u: u, st: st, msgs: msgs}
	e := New(nil)
	mustIdentity(t, e, "pat")
	// A link with the genesis in it (as links once were) says at once.
	inv, err := st.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	inv.Descriptor = msgs[0]
	if _, err := e.Join(inv.Link()); CodeOf(err) != CodeExpired {
		t.Fatalf("joining an ended group by an old link: %v, want code %s", err, CodeExpired)
	}
	// A short link joins; the genesis that catch-up brings says it ended.
	j := mustJoin(t, e, owner.link(t))
	runSync(t, e, j.Group.ID, newServer(t, st.ID(), msgs[:1]), 64)
	info, _ := e.GroupInfo(j.Group.ID)
	if !info.Expired || info.CanPost || !info.GenesisKnown {
		t.Fatalf("an ended group: %+v", info)
	}
	if r := e.Receive(owner.msgs[1].Raw, st.Topic()); r.Verdict == "accept" {
		t.Fatalf("a message of an ended group: %+v", r)
	}
}
