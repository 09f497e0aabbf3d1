package node_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// The attacks of issue 4 on real nodes: each bad message is rejected, the
// peer it came from is scored down, and nothing stored before is lost.

// groupOf starts nodes named names, the first owning a new group of kind
// (ending at endsAt, if not zero) that the others join by invite link;
// every pair is connected and sees the others on the topic, and every
// profile that the group accepts is known everywhere. Each node allowed to
// post sends a text. It returns the nodes, the group, its invite link and
// the messages every node stores by then.
func groupOf(t *testing.T, kind group.Kind, endsAt time.Time, names []string, opts ...option) ([]*testNode, message.GroupID, string, []*message.Message) {
	t.Helper()
	owner := startNode(t, names[0], opts...)
	gid := owner.createGroup(t, kind, "attacked", endsAt)
	link := owner.link(t, gid)
	nodes := []*testNode{owner}
	for _, name := range names[1:] {
		n := startNode(t, name, opts...)
		n.joinLink(t, link)
		nodes = append(nodes, n)
	}
	connectFull(t, nodes)
	waitGroupPeers(t, gid, nodes...)
	_, desc, _ := owner.stateOf(t, gid).Descriptor()
	before := []*message.Message{desc}
	if kind != group.KindAnnounce {
		waitMembers(t, gid, len(nodes), nodes...)
		for _, n := range nodes {
			before = append(before, n.sendTo(t, gid, "before the attack, from "+n.name))
		}
	} else {
		before = append(before, owner.sendTo(t, gid, "an announcement before the attack"))
	}
	waitHas(t, before, nodes...)
	return nodes, gid, link, before
}

func newUser(t testing.TB, name string) *identity.User {
	t.Helper()
	u, err := identity.NewUser(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// A stranger who learnt a private group's topic (from a carrier link, or by
// watching subscriptions) publishes an unsealed text and sealed junk that
// names a real key. Both are rejected and the stranger is scored down.
func TestAttackNonMemberOnPrivateTopic(t *testing.T) {
	t.Parallel()
	virtual(t, testAttackNonMemberOnPrivateTopic)
}

func testAttackNonMemberOnPrivateTopic(t *testing.T) {
	nodes, gid, _, before := groupOf(t, group.KindPrivate, time.Time{}, []string{"alice", "bob"})
	alice, bob := nodes[0], nodes[1]
	carrierLink, err := alice.Moderation().CarrierInvite(gid.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := group.ParseInvite(carrierLink)
	if err != nil {
		t.Fatal(err)
	}
	mallory := newUser(t, "mallory")
	evil := newRawPeer(t, inv.Topic)
	evil.connect(t, alice, gid)

	unsealed := forgeContent(t, mallory, gid, group.Text{Text: "in the clear", Nick: "m"}, message.ID{}, 0, nil, time.Now())
	junk := make([]byte, 80)
	if _, err := rand.Read(junk); err != nil {
		t.Fatal(err)
	}
	copy(junk, before[1].Body.Payload[:group.KeyIDSize]) // a key ID members hold
	sealedJunk := signBody(t, mallory, message.Body{Group: gid, Kind: message.KindText, Epoch: 1, Payload: junk})

	rejected := alice.GossipStats().RejectedPolicy
	evil.publish(t, unsealed, sealedJunk)
	waitUntil(t, "alice to reject both", func() bool { return alice.GossipStats().RejectedPolicy >= rejected+2 })
	waitScoredDown(t, alice, evil.ID())
	requireNotStored(t, unsealed, alice, bob)
	requireNotStored(t, sealedJunk, alice, bob)
	for _, n := range nodes {
		requireKept(t, n, before)
	}
	waitHas(t, []*message.Message{bob.sendTo(t, gid, "after the attack")}, alice)
}

// A member forges another member's message: with the other's author key and
// its own signature (the signature fails), and by re-signing the other's
// sealed payload as its own (the seal binds the author, so it fails to open).
func TestAttackMemberForgesAnother(t *testing.T) {
	t.Parallel()
	virtual(t, testAttackMemberForgesAnother)
}

func testAttackMemberForgesAnother(t *testing.T) {
	nodes, gid, _, before := groupOf(t, group.KindPrivate, time.Time{}, []string{"alice", "bob"})
	alice, bob := nodes[0], nodes[1]
	evil := newRawPeer(t, alice.stateOf(t, gid).Topic()) // bob's second device
	evil.connect(t, alice, gid)
	original := before[1] // alice's text

	// Bob signs a text, then puts alice's key in its author field.
	own := forgeContent(t, bob.User(), gid, group.Text{Text: "alice says so", Nick: "alice"}, message.ID{}, 1,
		epochOneKey(t, alice.link(t, gid)), time.Now())
	wrongSigner := &message.Message{Raw: bytes.Replace(own.Raw, bob.User().PublicKey(), alice.User().PublicKey(), 1)}
	claimed := original.Body
	claimed.Author = bob.User().PublicKey()
	resigned, err := message.Sign(bob.User().PrivateKey(), claimed)
	if err != nil {
		t.Fatal(err)
	}

	stats := alice.GossipStats()
	evil.publish(t, wrongSigner, resigned)
	waitUntil(t, "alice to reject both", func() bool {
		s := alice.GossipStats()
		return s.RejectedBadSignature > stats.RejectedBadSignature && s.RejectedPolicy > stats.RejectedPolicy
	})
	waitScoredDown(t, alice, evil.ID())
	requireNotStored(t, wrongSigner, alice, bob)
	requireNotStored(t, resigned, alice, bob)
	for _, n := range nodes {
		requireKept(t, n, before)
	}
}

// An admin removes carol. Her node learns it (the removal is sealed under
// the group's control key, which she holds): her standing says so and a
// send is refused with the reason. Messages she signs anyway, dated before
// the removal, are dropped by the others without blaming the node that
// passes them on, and she cannot read the new epoch.
func TestAttackRemovedMember(t *testing.T) {
	t.Parallel()
	virtual(t, testAttackRemovedMember)
}

func testAttackRemovedMember(t *testing.T) {
	ctx := context.Background()
	nodes, gid, link, before := groupOf(t, group.KindPrivate, time.Time{}, []string{"alice", "bob", "carol"})
	alice, bob, carol := nodes[0], nodes[1], nodes[2]
	removedAt := time.Now()
	if err := alice.Moderation().RemoveMember(ctx, gid.String(), carol.User().Fingerprint()); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*testNode{alice, bob} {
		st := n.stateOf(t, gid)
		waitUntil(t, n.name+" to seal with epoch 2 without carol", func() bool {
			return st.Epoch() == 2 && len(st.Members()) == 2
		})
	}
	waitUntil(t, "carol to learn she was removed", func() bool {
		std, err := carol.Standing(gid.String())
		return err == nil && std.Removed
	})
	if _, _, err := carol.Send(ctx, gid.String(), "carol after her removal"); !errors.Is(err, group.ErrRemoved) ||
		!strings.Contains(err.Error(), "you were removed") {
		t.Errorf("carol's send after her removal: %v", err)
	}

	// Carol's second device, which has not heard of the removal, signs a
	// message dated before it.
	evil := newRawPeer(t, alice.stateOf(t, gid).Topic())
	evil.connect(t, bob, gid)
	late := forgeContent(t, carol.User(), gid, group.Text{Text: "backdated", Nick: "carol"}, message.ID{}, 1,
		epochOneKey(t, link), removedAt.Add(-time.Second))
	ignored := bob.GossipStats().Ignored()
	evil.publish(t, late)
	waitUntil(t, "bob to drop carol's late message", func() bool { return bob.GossipStats().Ignored() > ignored })
	requireNotStored(t, late, alice, bob)
	if s := bob.PeerScores()[evil.ID()]; s < 0 {
		t.Errorf("bob scored down the peer that passed on a message some view allows: %v", s)
	}

	ignored = carol.GossipStats().IgnoredPolicy
	secret := alice.sendTo(t, gid, "epoch 2, not for carol")
	if secret.Body.Epoch != 2 {
		t.Fatalf("alice sealed with epoch %d", secret.Body.Epoch)
	}
	waitHas(t, []*message.Message{secret}, bob)
	waitUntil(t, "carol to receive and drop the new epoch's message", func() bool {
		return carol.GossipStats().IgnoredPolicy > ignored
	})
	requireNotStored(t, secret, carol)
	if _, err := carol.Open(secret); !errors.Is(err, group.ErrUnknownKey) {
		t.Errorf("carol opens an epoch-2 message: %v, want %v", err, group.ErrUnknownKey)
	}
	for _, n := range nodes {
		requireKept(t, n, before)
	}
}

// A message of group A replayed on group B's topic is rejected.
func TestAttackReplayIntoAnotherGroup(t *testing.T) {
	t.Parallel()
	virtual(t, testAttackReplayIntoAnotherGroup)
}

func testAttackReplayIntoAnotherGroup(t *testing.T) {
	nodes, groupA, _, before := groupOf(t, group.KindPrivate, time.Time{}, []string{"alice", "bob"})
	alice := nodes[0]
	groupB := alice.createGroup(t, group.KindPrivate, "other", time.Time{})
	evil := newRawPeer(t, alice.stateOf(t, groupB).Topic())
	evil.connect(t, alice, groupB)

	// A valid message of group A that its topic never carried (pubsub drops
	// copies of what it has seen on any topic before judging them).
	ofA := forgeContent(t, nodes[1].User(), groupA, group.Text{Text: "meant for A", Nick: "b"}, message.ID{}, 1,
		epochOneKey(t, alice.link(t, groupA)), time.Now())
	stats := alice.GossipStats()
	evil.publish(t, ofA)
	waitUntil(t, "alice to reject the replay", func() bool {
		return alice.GossipStats().RejectedWrongGroup > stats.RejectedWrongGroup
	})
	waitScoredDown(t, alice, evil.ID())
	requireNotStored(t, ofA, nodes...)
	if n, err := alice.Count(groupB); err != nil || n != 2 { // its descriptor and alice's profile
		t.Errorf("group B holds %d messages, %v; want 2", n, err)
	}
	for _, n := range nodes {
		requireKept(t, n, before)
	}
}

// Tampered authority: a genesis with a flipped payload byte, an Op by a
// stranger that makes the stranger an admin, a genesis signed by the
// stranger, and an invite link carrying the stranger's genesis.
func TestAttackTamperedDescriptor(t *testing.T) {
	t.Parallel()
	virtual(t, testAttackTamperedDescriptor)
}

func testAttackTamperedDescriptor(t *testing.T) {
	nodes, gid, link, before := groupOf(t, group.KindOpen, time.Time{}, []string{"alice", "bob"})
	alice, bob := nodes[0], nodes[1]
	mallory := newUser(t, "mallory")
	d, dm, _ := alice.stateOf(t, gid).Descriptor()

	flipped := bytes.Clone(dm.Raw)
	i := bytes.Index(flipped, []byte(d.Name))
	flipped[i] ^= 0x20 // the name's first letter changes case
	tampered := &message.Message{Raw: flipped}

	promote := group.Op{Parents: []message.ID{dm.ID}, Action: group.SetRole{Member: mallory.PublicKey(), Role: group.RoleAdmin}}
	selfPromoted := forgeContent(t, mallory, gid, promote, message.ID{}, 0, nil, time.Now())
	genesis := d
	genesis.Admins, genesis.Version = nil, 1
	strangerV1 := forgeContent(t, mallory, gid, genesis, message.ID{}, 0, nil, time.Now())

	evil := newRawPeer(t, group.Topic(gid))
	evil.connect(t, alice, gid)
	stats := alice.GossipStats()
	evil.publish(t, tampered, selfPromoted, strangerV1)
	waitUntil(t, "alice to reject all three", func() bool {
		s := alice.GossipStats()
		return s.RejectedBadSignature > stats.RejectedBadSignature && s.RejectedPolicy >= stats.RejectedPolicy+2
	})
	waitScoredDown(t, alice, evil.ID())
	requireNotStored(t, selfPromoted, alice, bob)
	requireNotStored(t, strangerV1, alice, bob)
	for _, n := range nodes {
		if now, genesis, _ := n.stateOf(t, gid).Descriptor(); genesis.ID != dm.ID || n.stateOf(t, gid).IsAdmin(mallory.PublicKey()) || now.Name != d.Name {
			t.Errorf("%s's descriptor changed: version %d, %q", n.name, now.Version, now.Name)
		}
		requireKept(t, n, before)
	}

	q, err := url.ParseQuery(strings.TrimPrefix(link, group.InvitePrefix))
	if err != nil {
		t.Fatal(err)
	}
	q.Set("d", base64URL(strangerV1.Raw))
	forgedLink := group.InvitePrefix + "g=" + q.Get("g") + "&o=" + q.Get("o") + "&d=" + q.Get("d")
	carol := startNode(t, "carol")
	if _, err := carol.Join(context.Background(), forgedLink); !errors.Is(err, group.ErrBadInvite) {
		t.Errorf("joining with a forged descriptor: %v, want %v", err, group.ErrBadInvite)
	}
	if gs, err := carol.Groups(); err != nil || len(gs) != 0 {
		t.Errorf("carol joined %v, %v", gs, err)
	}
}

// A member who is no admin sends a tombstone for another member's message
// and an Op banning that member. The Op, which its own history does not
// authorise, is rejected and its sender scored down; the tombstone, which
// some other view of the group might allow, is ignored without blame. The
// target stays, and its author can still post.
func TestAttackModerationByNonAdmin(t *testing.T) {
	t.Parallel()
	virtual(t, testAttackModerationByNonAdmin)
}

func testAttackModerationByNonAdmin(t *testing.T) {
	nodes, gid, link, before := groupOf(t, group.KindPrivate, time.Time{}, []string{"alice", "bob"})
	alice, bob := nodes[0], nodes[1]
	mallory := newUser(t, "mallory") // holds the group's key: she had an invite
	key := epochOneKey(t, link)
	target := before[2] // bob's text
	_, genesis, _ := alice.stateOf(t, gid).Descriptor()
	tomb := forgeContent(t, mallory, gid, group.Delete{Target: target.ID}, target.ID, 1, key, time.Now())
	ban := forgeContent(t, mallory, gid, group.Op{Parents: []message.ID{genesis.ID}, Action: group.Ban{Member: bob.User().PublicKey()}},
		message.ID{}, 0, controlKey(t, link), time.Now())

	evil := newRawPeer(t, alice.stateOf(t, gid).Topic())
	evil.connect(t, alice, gid)
	stats := alice.GossipStats()
	evil.publish(t, tomb, ban)
	waitUntil(t, "alice to reject the ban and ignore the tombstone", func() bool {
		s := alice.GossipStats()
		return s.RejectedPolicy >= stats.RejectedPolicy+1 && s.Ignored() >= stats.Ignored()+1
	})
	waitScoredDown(t, alice, evil.ID())
	for _, n := range nodes {
		requireNotStored(t, tomb, n)
		requireNotStored(t, ban, n)
		requireKept(t, n, before)
		if n.Store().Deleted(target.ID) || n.stateOf(t, gid).Deleted(target.ID) || n.stateOf(t, gid).Standing(bob.User().PublicKey()).Banned {
			t.Errorf("%s applied the non-admin's moderation", n.name)
		}
	}
	waitHas(t, []*message.Message{bob.sendTo(t, gid, "still allowed to post")}, alice)
}

// A post by someone who is not a poster in an announcement channel: by
// gossip from a stranger's peer, and by catch-up from a node that stored it
// without checking. Readers drop it both ways. Whether its author may post
// depends on Ops a peer may know and the reader not yet, so neither peer is
// blamed (issue 13): the gossip peer keeps its score, and catch-up with the
// node that served it goes on.
func TestAttackAnnounceNonPoster(t *testing.T) {
	t.Parallel()
	virtual(t, testAttackAnnounceNonPoster)
}

func testAttackAnnounceNonPoster(t *testing.T) {
	nodes, gid, _, before := groupOf(t, group.KindAnnounce, time.Time{}, []string{"alice", "carol", "lax"},
		withSyncInterval(time.Hour))
	alice, carol, lax := nodes[0], nodes[1], nodes[2]
	mallory := newUser(t, "mallory")

	// Two steps on the same nodes, each in a scope of its own (a test on
	// virtual time runs no subtests). By gossip: a stranger's peer
	// publishes the post.
	func() {
		post := forgeContent(t, mallory, gid, group.Text{Text: "buy now", Nick: "m"}, message.ID{}, 0, nil, time.Now())
		evil := newRawPeer(t, group.Topic(gid))
		evil.connect(t, carol, gid)
		ignored := carol.GossipStats().IgnoredPolicy
		evil.publish(t, post)
		waitUntil(t, "carol to drop the post", func() bool { return carol.GossipStats().IgnoredPolicy > ignored })
		requireNotStored(t, post, nodes...)
		if s := carol.PeerScores()[evil.ID()]; s < 0 {
			t.Errorf("carol scored the peer down: %v", s)
		}
	}()

	// By catch-up: a node that stored the post without checking serves it.
	func() {
		post := forgeContent(t, mallory, gid, group.Text{Text: "buy later", Nick: "m"}, message.ID{}, 0, nil, time.Now())
		lax.Host().Network().ClosePeer(carol.ID())
		carol.Host().Network().ClosePeer(lax.ID())
		waitUntil(t, "carol and lax to disconnect", func() bool { return !carol.connectedTo(lax.ID()) && !lax.connectedTo(carol.ID()) })
		lax.inject(t, post)
		connect(t, carol, lax)
		waitGroupPeers(t, gid, carol, lax)
		res, err := carol.Sync(context.Background(), gid.String())
		if err != nil {
			t.Fatal(err)
		}
		served := false
		for _, r := range res {
			if r.Peer == lax.ID() && r.Err == nil && r.Ignored > 0 {
				served = true
			}
		}
		if !served {
			t.Fatalf("carol's sessions: %+v; want one with lax that ignored the post", res)
		}
		requireNotStored(t, post, carol, alice)
		if s := carol.PeerScores()[lax.ID()]; s < 0 || !carol.connectedTo(lax.ID()) {
			t.Errorf("carol blamed lax: score %v, connected %v", s, carol.connectedTo(lax.ID()))
		}
	}()

	for _, n := range []*testNode{alice, carol} {
		requireKept(t, n, before)
	}
	waitHas(t, []*message.Message{alice.sendTo(t, gid, "the next announcement")}, carol)
}

// After a group's end time plus grace, a node rejects its messages, scores
// their sender down, then deletes the group's content and keys and takes
// nothing of it any more.
func TestAttackExpiredGroup(t *testing.T) {
	t.Parallel()
	virtual(t, testAttackExpiredGroup)
}

func testAttackExpiredGroup(t *testing.T) {
	clock := &testClock{}
	ctx := context.Background()
	end := time.Now().Add(time.Hour)
	nodes, gid, link, before := groupOf(t, group.KindPrivate, end, []string{"alice", "bob"}, withClock(clock), withGroupGrace(time.Minute))
	alice := nodes[0]
	topic := alice.stateOf(t, gid).Topic()
	evil := newRawPeer(t, topic)
	evil.connect(t, alice, gid)
	key := epochOneKey(t, link)

	clock.advance(time.Hour + 2*time.Minute) // past the end and the grace
	late := forgeContent(t, nodes[1].User(), gid, group.Text{Text: "too late", Nick: "b"}, message.ID{}, 1, key, end.Add(time.Minute))
	rejected := alice.GossipStats().RejectedPolicy
	evil.publish(t, late)
	waitUntil(t, "alice to reject the late message", func() bool { return alice.GossipStats().RejectedPolicy > rejected })
	waitScoredDown(t, alice, evil.ID())
	requireNotStored(t, late, alice)

	// A control message with effects (a new descriptor version) wakes the
	// node's expiry sweep at once; its timer would, within 30 s.
	wake := alice.createGroup(t, group.KindOpen, "wake", time.Time{})
	if _, err := alice.Moderation().UpdateGroup(ctx, wake.String(), group.Update{Name: "woken"}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "alice to leave the ended group", func() bool {
		_, err := alice.ResolveGroup(gid.String())
		return errors.Is(err, group.ErrNotJoined)
	})
	if n, err := alice.Count(gid); err != nil || n != 0 {
		t.Errorf("alice still holds %d messages of the ended group: %v", n, err)
	}
	for _, m := range before {
		if ok, err := alice.Store().Has(m.ID); err != nil || ok {
			t.Errorf("alice kept %s of the ended group: %v, %v", m.ID.Short(), ok, err)
		}
	}
	if blob, err := alice.Store().GroupState(gid); err == nil {
		t.Errorf("alice kept the ended group's keys (%d bytes)", len(blob))
	}
	if _, err := alice.Open(before[1]); !errors.Is(err, group.ErrNotJoined) {
		t.Errorf("alice opens a message of the ended group: %v", err)
	}
	if alice.GroupPeers(gid) != nil {
		t.Error("alice is still on the ended group's topic")
	}
	if _, err := alice.Join(ctx, link); err == nil {
		t.Error("alice rejoined the ended group")
	}
	if added, err := alice.Store().Put(ctx, late, store.OriginCatchup); err != nil || added {
		t.Errorf("the store took a message of the ended group: %v, %v", added, err)
	}
}

func base64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
