package node_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/admission"
	"starling/catchup"
	"starling/catchup/catchuppb"
	"starling/group"
	"starling/message"
	"starling/store"
)

// reactionCount is how many authors reacted to target with emoji on tn.
func reactionCount(tn *testNode, gid message.GroupID, target message.ID, emoji string) int {
	for _, rc := range tn.Conversation().Reactions(gid, target) {
		if rc.Emoji == emoji {
			return len(rc.Authors)
		}
	}
	return 0
}

// holds reports whether tn stores m (has says true of a tombstone too).
func holds(tn *testNode, m *message.Message) bool {
	_, err := tn.Store().Get(m.ID)
	return err == nil
}

// Replies, reactions and taking them back between two nodes; a second
// identical reaction sends nothing; a deleted message's reactions go with
// it on every node.
func TestConversation(t *testing.T) {
	t.Parallel()
	alice, bob := startNode(t, "alice"), startNode(t, "bob")
	for _, n := range []*testNode{alice, bob} {
		n.join(t, "lobby")
	}
	connect(t, alice, bob)
	waitMesh(t, "lobby", alice, bob)
	lobby := groupID(t, "lobby")
	ctx := context.Background()

	hello := bob.send(t, "lobby", "hello")
	waitHas(t, []*message.Message{hello}, alice)
	reply, _, err := alice.Conversation().Reply(ctx, "lobby", "hi bob", hello.ID)
	if err != nil {
		t.Fatal(err)
	}
	if reply.Body.Ref != hello.ID || reply.Body.Kind != message.KindText {
		t.Fatalf("a reply went out as %s with ref %s", reply.Body.Kind, reply.Body.Ref.Short())
	}
	if _, _, err := alice.Conversation().Reply(ctx, "lobby", "to nothing", message.ID{1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a reply to a message nobody holds: %v", err)
	}

	r1, _, added, err := alice.Conversation().React(ctx, "lobby", hello.ID, "👍")
	if err != nil || !added {
		t.Fatalf("react: %v (added %v)", err, added)
	}
	again, _, added, err := alice.Conversation().React(ctx, "lobby", hello.ID, "👍")
	if err != nil || added || again.ID != r1.ID {
		t.Errorf("a second identical reaction: added %v, %v, same %v", added, err, again != nil && again.ID == r1.ID)
	}
	if _, _, _, err := alice.Conversation().React(ctx, "lobby", hello.ID, "like"); !errors.Is(err, group.ErrBadPayload) {
		t.Errorf("a reaction with a word: %v", err)
	}
	if _, _, _, err := alice.Conversation().React(ctx, "lobby", r1.ID, "👍"); !errors.Is(err, group.ErrBadPayload) {
		t.Errorf("a reaction to a reaction: %v", err)
	}
	waitHas(t, []*message.Message{reply, r1}, bob)
	waitUntil(t, "bob to count alice's 👍", func() bool { return reactionCount(bob, lobby, hello.ID, "👍") == 1 })
	if _, _, _, err := bob.Conversation().React(ctx, "lobby", hello.ID, "👍"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "alice to count two 👍", func() bool { return reactionCount(alice, lobby, hello.ID, "👍") == 2 })

	n, err := alice.Conversation().Unreact(ctx, "lobby", hello.ID, "👍")
	if err != nil || n != 1 {
		t.Fatalf("unreact: %d, %v", n, err)
	}
	if n, err := alice.Conversation().Unreact(ctx, "lobby", hello.ID, "👍"); err != nil || n != 0 {
		t.Errorf("taking back what is taken back: %d, %v", n, err)
	}
	waitUntil(t, "bob to count one 👍", func() bool { return reactionCount(bob, lobby, hello.ID, "👍") == 1 })
	waitUntil(t, "bob to drop alice's reaction she took back", func() bool { return !holds(bob, r1) })

	// Bob deletes his message: its reactions go with it, on both nodes.
	bobs := bob.Conversation().Reactions(lobby, hello.ID)
	if len(bobs) != 1 {
		t.Fatalf("bob's reactions: %v", bobs)
	}
	mine, _, _, _ := bob.Conversation().React(ctx, "lobby", hello.ID, "👍")
	if _, _, err := bob.Moderation().DeleteMessage(ctx, "lobby", hello.ID, ""); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*testNode{alice, bob} {
		waitUntil(t, n.name+" to drop the deleted message", func() bool { return !holds(n, hello) })
		waitUntil(t, n.name+" to drop the deleted message's reaction", func() bool { return !holds(n, mine) })
		if got := n.Conversation().Reactions(lobby, hello.ID); len(got) != 0 {
			t.Errorf("%s counts reactions to a deleted message: %v", n.name, got)
		}
	}
}

// pushEnvelopes pushes envs to target in catch-up sessions for gid, 100 a
// frame, as issue 14's push flood does, and returns how many it pushed.
func pushEnvelopes(ctx context.Context, t testing.TB, h host.Host, target peer.ID, gid message.GroupID, envs [][]byte) int {
	t.Helper()
	neg := emptyHello(t)
	pushed := 0
	deadline := time.Now().Add(waitTimeout)
	for pushed < len(envs) && ctx.Err() == nil && time.Now().Before(deadline) {
		st, err := h.NewStream(ctx, target, catchup.ProtocolID)
		if err != nil {
			continue
		}
		_ = st.SetDeadline(deadline)
		r := bufio.NewReader(st)
		hello := &catchuppb.Frame{Kind: &catchuppb.Frame_Hello{Hello: &catchuppb.Hello{GroupId: gid[:], Negentropy: neg}}}
		if writeFrame(st, hello) != nil {
			_ = st.Reset()
			continue
		}
		if f, err := readFrame(r); err != nil || f.GetReconcile() == nil {
			_ = st.Reset()
			continue
		}
		for pushed < len(envs) {
			batch := envs[pushed:min(pushed+100, len(envs))]
			frame := &catchuppb.Frame{Kind: &catchuppb.Frame_Messages{Messages: &catchuppb.Messages{Envelopes: batch}}}
			if writeFrame(st, frame) != nil {
				break
			}
			pushed += len(batch)
			if f, err := readFrame(r); err != nil || f.GetAck() == nil {
				break
			}
		}
		_ = st.Reset()
	}
	return pushed
}

// A thousand throwaway keys, each signing three reactions to one message,
// pushed by one peer: the count is the number of distinct keys whose
// reaction the node admitted, never more (a key's second and third
// reactions add nothing), and with small per-peer budgets the peer gets
// no more admitted than its budget holds, however many keys it signs with.
func TestReactionsThrowawayKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		limits admission.Limits
	}{
		{"default budgets", admission.Limits{}},
		{"small peer budgets", floodLimits},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			victim := startNode(t, "victim", withSyncInterval(time.Hour), withLimits(tc.limits))
			victim.join(t, "lobby")
			lobby := groupID(t, "lobby")
			post, _, err := victim.Send(context.Background(), "lobby", "vote with an emoji")
			if err != nil {
				t.Fatal(err)
			}
			const keys, each = 1000, 3
			var envs [][]byte
			payload, err := group.EncodePayload(group.Reaction{Emoji: "🔥"})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			for _, k := range floodKeys(t, keys) {
				for j := range each {
					m, err := message.Sign(k, message.Body{Version: message.Version, Group: lobby, Author: k.Public().(ed25519.PublicKey),
						SentAtMS: message.TimeMS(now.Add(time.Duration(j) * time.Millisecond)), Kind: message.KindReaction, Ref: post.ID, Payload: payload})
					if err != nil {
						t.Fatal(err)
					}
					envs = append(envs, m.Raw)
				}
			}
			attacker := hostAt(t, "127.0.0.9")
			if err := attacker.Connect(context.Background(), victim.info()); err != nil {
				t.Fatal(err)
			}
			pushed := pushEnvelopes(context.Background(), t, attacker, victim.ID(), lobby, envs)

			stored := map[string]bool{}
			var bytes int64
			q := store.Query{Group: lobby, Limit: store.MaxQueryLimit}
			for {
				page, err := victim.Store().History(q)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range page.Messages {
					if s.Msg.Body.Kind == message.KindReaction {
						stored[string(s.Msg.Body.Author)] = true
						bytes += int64(len(s.Msg.Raw))
					}
				}
				if page.Next == "" {
					break
				}
				q.Cursor = page.Next
			}
			got := reactionCount(victim, lobby, post.ID, "🔥")
			t.Logf("%s: pushed %d reactions by %d keys; stored %d bytes of reactions by %d keys; count %d",
				tc.name, pushed, keys, bytes, len(stored), got)
			if got != len(stored) {
				t.Errorf("the count is %d, but %d keys have a reaction stored", got, len(stored))
			}
			if got > keys {
				t.Errorf("%d keys make a count of %d", keys, got)
			}
			lim := tc.limits.WithDefaults(admission.DefaultLimits)
			if budget := lim.PeerBurst + lim.PeerRate*int64(2*waitTimeout/time.Second); bytes > budget {
				t.Errorf("the peer got %d bytes of reactions stored, over its budget of %d", bytes, budget)
			}
			if tc.limits == (admission.Limits{}) {
				if pushed != len(envs) {
					t.Fatalf("pushed %d of %d", pushed, len(envs))
				}
				if got != keys {
					t.Errorf("with room for all, %d keys count %d", keys, got)
				}
			} else if got >= keys {
				t.Errorf("small peer budgets admitted reactions by all %d keys", got)
			}
		})
	}
}

// A node that stopped after storing a deletion but before deleting its
// target (a crash) deletes the target and its reactions when it starts
// again. Before, the target went and its reactions stayed.
func TestRestartDeletesReactionsWithTheirText(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	alice := startNode(t, "alice", withStore(dir))
	alice.join(t, "lobby")
	ctx := context.Background()
	post, _, err := alice.Send(ctx, "lobby", "soon regretted")
	if err != nil {
		t.Fatal(err)
	}
	r, _, _, err := alice.Conversation().React(ctx, "lobby", post.ID, "👍")
	if err != nil {
		t.Fatal(err)
	}
	_, st, err := alice.GroupState("lobby")
	if err != nil {
		t.Fatal(err)
	}
	del, err := st.Compose(alice.cfg.User, group.Delete{Target: post.ID}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.stop(); err != nil {
		t.Fatal(err)
	}
	// The deletion reaches the store, and nothing acts on it.
	s, err := store.Open(dir, store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, del, store.OriginOwn); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	alice = alice.restart(t)
	waitUntil(t, "the restarted node to delete the text and its reaction", func() bool {
		return !holds(alice, post) && !holds(alice, r)
	})
}

// In a private group a reaction is sealed like a text (its emoji is not in
// the envelope), the other member counts it, and a carrier stores and
// forwards it unread and counts nothing.
func TestReactionsInPrivateGroup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nodes, gid, _, before := groupOf(t, group.KindPrivate, time.Time{}, []string{"alice", "bob"})
	alice, bob := nodes[0], nodes[1]
	link, err := alice.Moderation().CarrierInvite(gid.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	carrier := startNode(t, "carrier")
	carrier.joinLink(t, link)
	connect(t, carrier, alice)
	waitGroupPeers(t, gid, carrier, alice)
	target := before[1] // alice's text
	r, _, _, err := bob.Conversation().React(ctx, gid.String(), target.ID, "🤫")
	if err != nil {
		t.Fatal(err)
	}
	if r.Body.Epoch == 0 || bytes.Contains(r.Raw, []byte("🤫")) {
		t.Fatalf("a private reaction went out unsealed (epoch %d)", r.Body.Epoch)
	}
	waitUntil(t, "alice to count bob's reaction", func() bool { return reactionCount(alice, gid, target.ID, "🤫") == 1 })
	waitHas(t, []*message.Message{r}, carrier)
	if got := carrier.Conversation().Reactions(gid, target.ID); len(got) != 0 {
		t.Errorf("the carrier counts reactions it cannot read: %v", got)
	}
}
