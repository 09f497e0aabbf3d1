package node_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/node"
	"starling/sim/memnet/memtest"
	"starling/store"
)

// Helpers for the tests of created groups (open, private, announcement)
// and of attacks on them.

// testClock is a clock a test moves forward; nodes built withClock read it.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func withClock(c *testClock) option          { return func(cfg *node.Config) { cfg.Clock = c.now } }
func withGroupGrace(d time.Duration) option  { return func(cfg *node.Config) { cfg.GroupGrace = d } }

// createGroup creates a group owned by tn's user.
func (tn *testNode) createGroup(t testing.TB, kind group.Kind, name string, endsAt time.Time) message.GroupID {
	t.Helper()
	g, err := tn.CreateGroup(context.Background(), kind, name, endsAt)
	if err != nil {
		t.Fatalf("%s: create %s group %s: %v", tn.name, kind, name, err)
	}
	return g.ID
}

// link returns an invite link to gid from tn.
func (tn *testNode) link(t testing.TB, gid message.GroupID) string {
	t.Helper()
	l, err := tn.Moderation().Invite(gid.String(), nil)
	if err != nil {
		t.Fatalf("%s: invite: %v", tn.name, err)
	}
	return l
}

// joinLink joins tn with an invite or carrier link.
func (tn *testNode) joinLink(t testing.TB, link string) {
	t.Helper()
	if _, err := tn.Join(context.Background(), link); err != nil {
		t.Fatalf("%s: join by link: %v", tn.name, err)
	}
}

// stateOf returns tn's State of gid.
func (tn *testNode) stateOf(t testing.TB, gid message.GroupID) *group.State {
	t.Helper()
	_, st, err := tn.GroupState(gid.String())
	if err != nil {
		t.Fatalf("%s: group state: %v", tn.name, err)
	}
	return st
}

// sendTo sends text to gid from tn and returns the message (queued if no
// peer took it: catch-up or the outbox deliver it).
func (tn *testNode) sendTo(t testing.TB, gid message.GroupID, text string) *message.Message {
	t.Helper()
	m, _, err := tn.Send(context.Background(), gid.String(), text)
	if err != nil {
		t.Fatalf("%s: send to %s: %v", tn.name, gid.Short(), err)
	}
	return m
}

// has reports whether tn stores every message.
func (tn *testNode) has(ms ...*message.Message) bool {
	for _, m := range ms {
		if ok, err := tn.Store().Has(m.ID); err != nil || !ok {
			return false
		}
	}
	return true
}

// waitHas waits until every node stores every message.
func waitHas(t testing.TB, ms []*message.Message, nodes ...*testNode) {
	t.Helper()
	for _, n := range nodes {
		waitUntil(t, fmt.Sprintf("%s to store %d messages", n.name, len(ms)), func() bool { return n.has(ms...) })
	}
}

// requireKept checks that nothing stored before an attack was lost and that
// the store is sound.
func requireKept(t testing.TB, n *testNode, ms []*message.Message) {
	t.Helper()
	for _, m := range ms {
		if st, err := n.Store().Get(m.ID); err != nil {
			t.Errorf("%s lost message %s (%s): %v", n.name, m.ID.Short(), m.Body.Kind, err)
		} else if !slices.Equal(st.Msg.Raw, m.Raw) {
			t.Errorf("%s: message %s changed", n.name, m.ID.Short())
		}
	}
	if err := n.Store().Check(); err != nil {
		t.Errorf("%s: %v", n.name, err)
	}
}

// requireNotStored checks that no node stores m.
func requireNotStored(t testing.TB, m *message.Message, nodes ...*testNode) {
	t.Helper()
	for _, n := range nodes {
		if ok, err := n.Store().Has(m.ID); err != nil || ok {
			t.Errorf("%s stored the rejected %s %s: %v, %v", n.name, m.Body.Kind, m.ID.Short(), ok, err)
		}
	}
}

// waitGroupPeers waits until every pair of the nodes sees each other on
// gid's topic (they must be connected).
func waitGroupPeers(t testing.TB, gid message.GroupID, nodes ...*testNode) {
	t.Helper()
	missing := func() string {
		for _, a := range nodes {
			for _, b := range nodes {
				if a != b && (a.connectedTo(b.ID()) || b.connectedTo(a.ID())) && !slices.Contains(a.GroupPeers(gid), b.ID()) {
					return a.name + " lacks " + b.name
				}
			}
		}
		return ""
	}
	waitUntil(t, "the nodes to see each other on the group's topic", func() bool { return missing() == "" }, missing)
}

// waitMembers waits until each node knows want members of gid.
func waitMembers(t testing.TB, gid message.GroupID, want int, nodes ...*testNode) {
	t.Helper()
	for _, n := range nodes {
		st := n.stateOf(t, gid)
		waitUntil(t, fmt.Sprintf("%s to know %d members", n.name, want), func() bool { return len(st.Members()) == want },
			func() string { return fmt.Sprintf("it knows %d", len(st.Members())) })
	}
}

// waitScoredDown waits until n gives p a negative score.
func waitScoredDown(t testing.TB, n *testNode, p peer.ID) {
	t.Helper()
	waitUntil(t, n.name+" to score the sender down", func() bool {
		s, ok := n.PeerScores()[p]
		return ok && s < 0
	}, func() string { return fmt.Sprint(n.PeerScores()[p]) })
}

// waitRejected waits until n's gossip validator has rejected more messages
// than before (by any rule) and the sender p's score is negative.
func waitRejected(t testing.TB, n *testNode, before uint64, p peer.ID) {
	t.Helper()
	waitUntil(t, n.name+" to reject the message", func() bool { return n.GossipStats().Rejected() > before },
		func() string { return fmt.Sprint(n.GossipStats().Map()) })
	waitScoredDown(t, n, p)
}

// rawPeer is an attacker: a plain pubsub host with Starling's wire settings
// and no validator, on one topic, that publishes whatever bytes it is given.
type rawPeer struct {
	h     host.Host
	topic *pubsub.Topic
}

func newRawPeer(t testing.TB, topicName string) *rawPeer {
	t.Helper()
	h, err := libp2p.New(append(memtest.HostOptions(t, "127.0.0.1"), libp2p.DisableRelay())...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ps, err := pubsub.NewGossipSub(ctx, h,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign), pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(func(m *pb.Message) string { s := sha256.Sum256(m.GetData()); return string(s[:]) }),
		pubsub.WithFloodPublish(true))
	if err != nil {
		t.Fatal(err)
	}
	topic, err := ps.Join(topicName)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := topic.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Cancel(); topic.Close() })
	return &rawPeer{h: h, topic: topic}
}

func (r *rawPeer) ID() peer.ID { return r.h.ID() }

// connect dials tn and waits until both see each other on the topic of
// gid, which tn must have joined.
func (r *rawPeer) connect(t testing.TB, tn *testNode, gid message.GroupID) {
	t.Helper()
	if err := r.h.Connect(context.Background(), tn.info()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the attacker and "+tn.name+" to see each other on the topic", func() bool {
		return slices.Contains(r.topic.ListPeers(), tn.ID()) && slices.Contains(tn.GroupPeers(gid), r.ID())
	})
}

func (r *rawPeer) publish(t testing.TB, ms ...*message.Message) {
	t.Helper()
	for _, m := range ms {
		if err := r.topic.Publish(context.Background(), m.Raw); err != nil {
			t.Fatal(err)
		}
	}
}

// signBody signs b as u, filling in the version and author.
func signBody(t testing.TB, u *identity.User, b message.Body) *message.Message {
	t.Helper()
	b.Version, b.Author = message.Version, u.PublicKey()
	if b.SentAtMS == 0 {
		b.SentAtMS = message.TimeMS(time.Now())
	}
	m, err := message.Sign(u.PrivateKey(), b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// forgeContent signs content c by u for group gid, sealed under key at
// epoch when key is not nil, skipping every rule of package group.
func forgeContent(t testing.TB, u *identity.User, gid message.GroupID, c group.Content, ref message.ID, epoch uint64, key []byte, sentAt time.Time) *message.Message {
	t.Helper()
	payload, err := group.EncodePayload(c)
	if err != nil {
		t.Fatal(err)
	}
	b := message.Body{Version: message.Version, Group: gid, Author: u.PublicKey(), SentAtMS: message.TimeMS(sentAt),
		Kind: c.MessageKind(), Ref: ref, Epoch: epoch}
	if key != nil {
		if payload, err = group.Seal(key, &b, payload); err != nil {
			t.Fatal(err)
		}
	}
	b.Payload = payload
	m, err := message.Sign(u.PrivateKey(), b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// epochOneKey returns the epoch-1 key of a private group from its invite.
func epochOneKey(t testing.TB, link string) []byte {
	t.Helper()
	inv, err := group.ParseInvite(link)
	if err != nil {
		t.Fatal(err)
	}
	k, err := group.FirstEpochKey(inv.Secret, inv.Group)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// inject puts m into tn's store without any check, as a node that does not
// validate would hold it.
func (tn *testNode) inject(t testing.TB, m *message.Message) {
	t.Helper()
	if added, err := tn.Store().Put(context.Background(), m, store.OriginCatchup); err != nil || !added {
		t.Fatalf("%s: inject %s: %v, %v", tn.name, m.ID.Short(), added, err)
	}
}

// catchUpUntilPenalized has n catch up on gid until it scores p down (a
// session with p may already have run when they connected).
func catchUpUntilPenalized(t testing.TB, n *testNode, gid message.GroupID, p peer.ID) {
	t.Helper()
	waitUntil(t, n.name+" to penalise the peer that served the bad message", func() bool {
		if s, ok := n.PeerScores()[p]; ok && s < 0 {
			return true
		}
		if _, err := n.Sync(context.Background(), gid.String()); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("sync: %v", err)
		}
		return false
	})
}

// controlKey returns the control key a private group's link gives, which
// seals its genesis and Ops.
func controlKey(t testing.TB, link string) []byte {
	t.Helper()
	inv, err := group.ParseInvite(link)
	if err != nil {
		t.Fatal(err)
	}
	k, err := group.ControlKey(inv.Secret, inv.Group)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
