package node_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/admission"
	"starling/catchup"
	"starling/catchup/catchuppb"
	"starling/group"
	"starling/message"
	"starling/node"
	"starling/store"
)

var (
	floodDuration = flag.Duration("flood.duration", 0, "flood this long in the push-flood tests (0: until the attacker has pushed 4 times its budget)")
	floodDefaults = flag.Bool("flood.defaults", false, "run the push-flood tests with the default limits, to measure them")
)

// floodLimits are small budgets, so that a short flood reaches them.
var floodLimits = admission.Limits{
	AuthorBytes: 64 << 10,
	PeerBurst:   64 << 10,
	PeerRate:    1 << 10,
	AddrBurst:   128 << 10,
	AddrRate:    2 << 10,
}

func withLimits(l admission.Limits) option { return func(c *node.Config) { c.Limits = l } }

// pushFlood is issue 14's catch-up push flood: it opens catch-up sessions
// for gid with an empty reconciliation, then pushes frames of 100 freshly
// signed 100-byte texts, signed in turn by keys, each dated sentAt(i) for
// the i-th message. When the victim ends a session it opens another. It
// stops when enough says so, after at most d, or when ctx ends, and
// returns how many it pushed.
func pushFlood(ctx context.Context, t testing.TB, h host.Host, target peer.ID, gid message.GroupID,
	keys []ed25519.PrivateKey, sentAt func(i int) uint64, d time.Duration, enough func(pushed int) bool) int {
	t.Helper()
	neg := emptyHello(t)
	deadline := time.Now().Add(d)
	pushed := 0
	for ctx.Err() == nil && time.Now().Before(deadline) && !enough(pushed) {
		st, err := h.NewStream(ctx, target, catchup.ProtocolID)
		if err != nil {
			continue
		}
		_ = st.SetDeadline(deadline.Add(time.Second))
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
		for time.Now().Before(deadline) && !enough(pushed) {
			envs := make([][]byte, 100)
			for i := range envs {
				k := keys[(pushed+i)%len(keys)]
				payload := textPayload(t, fmt.Sprintf("%0100d", pushed+i))
				m, err := message.Sign(k, message.Body{Version: message.Version, Group: gid, Author: k.Public().(ed25519.PublicKey),
					SentAtMS: sentAt(pushed + i), Kind: message.KindText, Payload: payload})
				if err != nil {
					t.Fatal(err)
				}
				envs[i] = m.Raw
			}
			frame := &catchuppb.Frame{Kind: &catchuppb.Frame_Messages{Messages: &catchuppb.Messages{Envelopes: envs}}}
			if writeFrame(st, frame) != nil {
				break
			}
			pushed += len(envs)
			if f, err := readFrame(r); err != nil || f.GetAck() == nil {
				break
			}
		}
		_ = st.Reset()
	}
	return pushed
}

// storedBy sums the envelope bytes tn stores in gid by the given authors.
func storedBy(t testing.TB, tn *testNode, gid message.GroupID, keys []ed25519.PrivateKey) (n int, bytes int64) {
	t.Helper()
	authors := map[string]bool{}
	for _, k := range keys {
		authors[string(k.Public().(ed25519.PublicKey))] = true
	}
	q := store.Query{Group: gid, Limit: store.MaxQueryLimit}
	for {
		page, err := tn.Store().History(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Messages {
			if authors[string(s.Msg.Body.Author)] {
				n++
				bytes += int64(len(s.Msg.Raw))
			}
		}
		if page.Next == "" {
			return n, bytes
		}
		q.Cursor = page.Next
	}
}

func floodKeys(t testing.TB, n int) []ed25519.PrivateKey {
	t.Helper()
	keys := make([]ed25519.PrivateKey, n)
	for i := range keys {
		_, k, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	return keys
}

// Issue 14's catch-up push flood, from one identity and from 100 on one
// peer, with send times now and spread over the last day (which slips past
// the rate limit): what the attacker gets stored stays within its author
// budget (one identity) or its peer's budget (100), and an honest peer's
// messages still arrive. Before, the victim stored every pushed message.
func TestCatchupPushFlood(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		identities int
		backdated  bool
	}{
		{"one identity", 1, false},
		{"one identity, backdated", 1, true},
		{"100 identities on one peer", 100, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			virtualUnless(t, func(t *testing.T) {
				lim := floodLimits
				if *floodDefaults {
					lim = admission.Limits{}
				}
				lobby := groupID(t, "lobby")
				victim := startNode(t, "victim", withSyncInterval(time.Hour), withLimits(lim))
				honest := startNode(t, "honest", withSyncInterval(time.Hour))
				for _, n := range []*testNode{victim, honest} {
					n.join(t, "lobby")
				}
				connect(t, honest, victim)
				waitTopicPeers(t, "lobby", victim, honest)
				lim = lim.WithDefaults(admission.DefaultLimits)

				attacker := hostAt(t, "127.0.0.7")
				if err := attacker.Connect(context.Background(), victim.info()); err != nil {
					t.Fatal(err)
				}
				keys := floodKeys(t, tc.identities)
				now := time.Now()
				sentAt := func(int) uint64 { return message.TimeMS(now) }
				if tc.backdated {
					sentAt = func(i int) uint64 { return message.TimeMS(now.Add(-time.Duration(i) * 500 * time.Millisecond)) }
				}
				budget := func(elapsed time.Duration) int64 {
					if tc.identities == 1 {
						return lim.AuthorBytes
					}
					return lim.PeerBurst + int64(elapsed.Seconds()*float64(lim.PeerRate)) + message.MaxEnvelopeSize
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				started := time.Now()
				d, enough := *floodDuration, func(pushed int) bool { return int64(pushed)*250 >= 4*budget(time.Since(started)) }
				if d == 0 {
					d = 2 * waitTimeout
				} else {
					enough = func(int) bool { return false }
				}
				done := make(chan int, 1)
				go func() { done <- pushFlood(ctx, t, attacker, victim.ID(), lobby, keys, sentAt, d, enough) }()
				var sent []*message.Message
				for i := range 5 {
					sent = append(sent, honest.send(t, "lobby", fmt.Sprintf("honest #%d during the flood", i)))
				}
				pushed := <-done
				elapsed := time.Since(started)
				waitHas(t, sent, victim)

				n, bytes := storedBy(t, victim, lobby, keys)
				limit := budget(elapsed)
				t.Logf("%s: pushed %d messages in %s; stored %d (%d bytes, budget %d)",
					tc.name, pushed, elapsed.Round(time.Millisecond), n, bytes, limit)
				if *floodDuration == 0 && int64(pushed)*250 < 3*limit {
					t.Errorf("the attacker pushed only %d messages, not well over the budget; the test proves nothing", pushed)
				}
				if bytes > limit {
					t.Errorf("the victim stored %d bytes of the attacker's (%d messages), over the budget of %d", bytes, n, limit)
				}
				if !tc.backdated && n > 2*lim.Burst {
					t.Errorf("the victim stored %d messages sent at one instant by one author, over %d per window", n, lim.Burst)
				}
			}, "flood.duration", "flood.defaults")
		})
	}
}

// A burst beyond the live rate limit (20 per 10 s of sent_at per author):
// gossip refuses the excess, and catch-up, in either direction, brings
// none of it later. Before, a catch-up session with the sender followed
// within seconds and stored the rest.
func TestGossipFloodNotFetchedByCatchup(t *testing.T) {
	t.Parallel()
	virtual(t, testGossipFloodNotFetchedByCatchup)
}

func testGossipFloodNotFetchedByCatchup(t *testing.T) {
	lobby := groupID(t, "lobby")
	nodes := startNodes(t, 2, withSyncInterval(time.Hour))
	sender, victim := nodes[0], nodes[1]
	for _, n := range nodes {
		n.join(t, "lobby")
	}
	connect(t, sender, victim)
	waitTopicPeers(t, "lobby", nodes...)
	waitUntil(t, "the join's catch-up session", func() bool {
		_, a := sender.LastSync(lobby)
		_, b := victim.LastSync(lobby)
		return a || b
	})
	// The sender's node keeps its own sends to the rate, so the burst is
	// signed by its user, stored on its node as if learnt by catch-up
	// (which catch-up then offers, and which the node re-gossips as recent)
	// and published from another of the user's devices. The victim judges
	// each message once, from whichever arrives first; the other copy is a
	// duplicate.
	var sent []*message.Message
	for i := range 60 {
		m := forgeContent(t, sender.User(), lobby, group.Text{Text: fmt.Sprintf("burst #%d", i), Nick: "s"}, message.ID{}, 0, nil, time.Now())
		sender.inject(t, m)
		sent = append(sent, m)
	}
	device := newRawPeer(t, group.Topic(lobby))
	device.connect(t, victim, lobby)
	for i := 0; i < len(sent); i += 10 {
		// In tens, so that no pubsub queue overflows on the way.
		before := victim.GossipStats()
		device.publish(t, sent[i:i+10]...)
		waitUntil(t, "the victim to judge ten more", func() bool {
			s := victim.GossipStats()
			return s.Accepted+s.IgnoredPolicy+s.Duplicates >= before.Accepted+before.IgnoredPolicy+before.Duplicates+10
		})
	}
	count := func() int {
		n, err := victim.Store().Count(lobby)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitUntil(t, "the victim to refuse part of the burst", func() bool {
		return victim.GossipStats().IgnoredPolicy > 0 && count()+int(victim.GossipStats().IgnoredPolicy) >= len(sent)
	}, func() string { return fmt.Sprintf("%d stored, stats %v", count(), victim.GossipStats().Map()) })
	kept := count()
	if kept >= len(sent) || kept > 2*admission.DefaultLimits.Burst {
		t.Fatalf("the victim kept %d of a burst of %d; want at most %d", kept, len(sent), 2*admission.DefaultLimits.Burst)
	}
	for _, n := range nodes {
		if _, err := n.Sync(context.Background(), "lobby"); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(); got != kept {
		t.Errorf("catch-up brought %d more of the burst; want none", got-kept)
	}
	// Negentropy (1.1.0) finds the refused messages and skips them; a
	// sketch (2.0.0) counts them as held, so they are no difference at all
	// and the session completes with nothing to fetch.
	res, ok := victim.LastSync(lobby)
	skipped := res.Skipped > 0 || res.Protocol == string(catchup.ProtocolID2) && res.Complete
	if !ok || res.Fetched != 0 || !skipped {
		t.Errorf("the victim's session = %+v; want nothing fetched and the refused messages skipped", res)
	}
}
