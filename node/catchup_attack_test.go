package node_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/catchup"
	"starling/catchup/catchuppb"
	"starling/group"
	"starling/identity"
	"starling/internal/testwait"
	"starling/message"
	"starling/negentropy"
	"starling/sim/memnet/memtest"
	"starling/store"
)

var (
	lockoutMessages  = flag.Int("lockout.messages", 2000, "history size in TestHistoryLockout")
	lockoutAttackers = flag.Int("lockout.attackers", 32, "hostile peers in TestHistoryLockout, two sessions each (0 to measure without an attack)")
)

// fillHistory stores n genuine texts of group gid in tn's store, as if they
// had arrived earlier, and returns them: 40 authors taking turns, a message
// every 100 ms, so every author stays well within the rate limits.
func fillHistory(t testing.TB, tn *testNode, gid message.GroupID, n int) []*message.Message {
	t.Helper()
	authors := make([]*identity.User, 40)
	for i := range authors {
		authors[i] = newUser(t, fmt.Sprintf("author%d", i))
	}
	start := time.Now().Add(-time.Duration(n)*100*time.Millisecond - time.Minute)
	msgs := make([]*message.Message, n)
	for i := range msgs {
		msgs[i] = signBody(t, authors[i%len(authors)], message.Body{Group: gid, Kind: message.KindText,
			SentAtMS: message.TimeMS(start.Add(time.Duration(i) * 100 * time.Millisecond)),
			Payload:  textPayload(t, fmt.Sprintf("history #%d", i))})
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, m := range msgs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := tn.Store().Put(context.Background(), m, store.OriginGossip); err != nil {
				t.Errorf("store history: %v", err)
			}
		})
	}
	wg.Wait()
	return msgs
}

// hostAt is a bare libp2p host listening on ip (in 127.0.0.0/8), so that
// its connections come from that address.
func hostAt(t testing.TB, ip string) host.Host {
	t.Helper()
	h, err := libp2p.New(append(memtest.HostOptions(t, ip), libp2p.DisableRelay())...)
	if err != nil {
		t.Fatalf("host on %s: %v", ip, err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// emptyHello is the first negentropy message of a client that holds
// nothing.
func emptyHello(t testing.TB) []byte {
	t.Helper()
	v := negentropy.NewVector()
	if err := v.Seal(); err != nil {
		t.Fatal(err)
	}
	neg, err := negentropy.New(v, negentropy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := neg.Initiate()
	if err != nil {
		t.Fatal(err)
	}
	return first
}

// holdCatchup is one of issue 14's hostile sessions: it opens a catch-up
// session for gid, then sends a new Reconcile every `every`, inside every
// timeout, and never asks for anything. When the session ends it opens
// another at once, until ctx ends. live counts the sessions it holds.
func holdCatchup(ctx context.Context, h host.Host, target peer.ID, gid message.GroupID, neg []byte, every time.Duration, live *atomic.Int64) {
	hello := &catchuppb.Frame{Kind: &catchuppb.Frame_Hello{Hello: &catchuppb.Hello{GroupId: gid[:], Negentropy: neg}}}
	again := &catchuppb.Frame{Kind: &catchuppb.Frame_Reconcile{Reconcile: &catchuppb.Reconcile{Negentropy: neg}}}
	for ctx.Err() == nil {
		st, err := h.NewStream(ctx, target, catchup.ProtocolID)
		if err == nil {
			stop := context.AfterFunc(ctx, func() { _ = st.Reset() })
			r := bufio.NewReader(st)
			round := func(f *catchuppb.Frame) bool {
				_ = st.SetDeadline(time.Now().Add(time.Minute))
				if writeFrame(st, f) != nil {
					return false
				}
				got, err := readFrame(r)
				return err == nil && got.GetReconcile() != nil
			}
			if round(hello) {
				live.Add(1)
				for ok := true; ok; {
					select {
					case <-ctx.Done():
						ok = false
					case <-time.After(every):
						ok = round(again)
					}
				}
				live.Add(-1)
			}
			_ = st.Reset()
			stop()
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Issue 14's history lock-out: 64 catch-up sessions from 32 fresh peer IDs
// on four addresses, each sending a Reconcile every 10 s, hold every
// inbound slot of a node that keeps a group's history. A late joiner still
// gets the whole history: it takes the slot of a stalled hostile session.
// Before, every honest peer got "busy" for as long as the attack lasted.
func TestHistoryLockout(t *testing.T) {
	t.Parallel()
	virtualUnless(t, testHistoryLockout, "lockout.messages", "lockout.attackers")
}

func testHistoryLockout(t *testing.T) {
	lobby := groupID(t, "lobby")
	keeper := startNode(t, "keeper", withSyncInterval(time.Hour))
	keeper.join(t, "lobby")
	fillHistory(t, keeper, lobby, *lockoutMessages)

	ctx, cancel := context.WithCancel(context.Background())
	var (
		live    atomic.Int64
		holders sync.WaitGroup
	)
	t.Cleanup(func() { cancel(); holders.Wait() })
	neg := emptyHello(t)
	for i := range *lockoutAttackers {
		h := hostAt(t, fmt.Sprintf("127.0.0.%d", 2+i%4))
		if err := h.Connect(context.Background(), keeper.info()); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			holders.Go(func() { holdCatchup(ctx, h, keeper.ID(), lobby, neg, 10*time.Second, &live) })
		}
	}
	hostile := int64(2 * *lockoutAttackers)
	waitUntil(t, fmt.Sprintf("the hostile sessions to hold %d slots", hostile), func() bool { return live.Load() == hostile },
		func() string { return fmt.Sprintf("%d held", live.Load()) })

	// The late joiner has the smaller peer ID, so it starts the session
	// when it joins, and the keeper never starts one towards it.
	cfg := nodeConfig(t, "late")
	for id, _ := peer.IDFromPrivateKey(cfg.TransportKey); id >= keeper.ID(); id, _ = peer.IDFromPrivateKey(cfg.TransportKey) {
		cfg = nodeConfig(t, "late")
	}
	cfg.SyncInterval = time.Hour
	late := runNode(t, "late", cfg)
	connect(t, late, keeper)
	joined := time.Now()
	late.join(t, "lobby")
	count := func() int {
		n, err := late.Store().Count(lobby)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	testwait.Until(t, 2*waitTimeout, fmt.Sprintf("the late joiner to hold all %d messages under attack", *lockoutMessages),
		func() bool { return count() >= *lockoutMessages },
		func() string { return fmt.Sprintf("it holds %d", count()) })
	t.Logf("the late joiner held all %d messages %s after joining, with %d hostile sessions held",
		*lockoutMessages, time.Since(joined).Round(time.Millisecond), live.Load())
}

// slowCatchupPeer makes h answer catch-up correctly, over a set of 5,000
// items in small frames, but each frame only after delay: issue 14's slow
// peer that holds a node's outbound sessions. held counts its sessions.
func slowCatchupPeer(ctx context.Context, h host.Host, delay time.Duration, held *atomic.Int64) {
	vec := negentropy.NewVector()
	for i := range 5000 {
		_ = vec.Insert(uint64(1+i), sha256.Sum256(fmt.Appendf(nil, "slow item %d", i)))
	}
	_ = vec.Seal()
	h.SetStreamHandler(catchup.ProtocolID, func(st network.Stream) {
		held.Add(1)
		defer held.Add(-1)
		defer func() { _ = st.Reset() }()
		neg, err := negentropy.New(vec, negentropy.Config{FrameSizeLimit: negentropy.MinFrameSizeLimit})
		if err != nil {
			return
		}
		r := bufio.NewReader(st)
		for {
			f, err := readFrame(r)
			if err != nil {
				return
			}
			msg := f.GetReconcile().GetNegentropy()
			if hello := f.GetHello(); hello != nil {
				msg = hello.GetNegentropy()
			}
			out, err := neg.Reconcile(msg)
			if err != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			if writeFrame(st, &catchuppb.Frame{Kind: &catchuppb.Frame_Reconcile{Reconcile: &catchuppb.Reconcile{Negentropy: out}}}) != nil {
				return
			}
		}
	})
}

// Four peers that answer catch-up correctly but 20 s a frame take all four
// of a node's outbound sessions; a fifth, honest peer joins with a history
// the node lacks. The node gets it: a peer that keeps it waiting without
// sending much is dropped and left alone for a while. Before, the slow
// sessions held every outbound slot for five minutes each.
func TestSlowPeersCannotStarveOutbound(t *testing.T) {
	t.Parallel()
	virtual(t, testSlowPeersCannotStarveOutbound)
}

func testSlowPeersCannotStarveOutbound(t *testing.T) {
	lobby := groupID(t, "lobby")
	victim := startNode(t, "victim", withSyncInterval(300*time.Millisecond))
	victim.join(t, "lobby")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var held atomic.Int64
	for range 4 {
		slow := newRawPeer(t, group.Topic(lobby))
		slowCatchupPeer(ctx, slow.h, 20*time.Second, &held)
		slow.connect(t, victim, lobby)
	}
	waitUntil(t, "the slow peers to hold the victim's outbound sessions", func() bool { return held.Load() == 4 },
		func() string { return fmt.Sprintf("%d held", held.Load()) })

	// The honest peer has the larger peer ID, so only the victim starts
	// sessions between them.
	cfg := nodeConfig(t, "honest")
	for id, _ := peer.IDFromPrivateKey(cfg.TransportKey); id <= victim.ID(); id, _ = peer.IDFromPrivateKey(cfg.TransportKey) {
		cfg = nodeConfig(t, "honest")
	}
	cfg.SyncInterval = time.Hour
	honest := runNode(t, "honest", cfg)
	honest.join(t, "lobby")
	fillHistory(t, honest, lobby, 200)
	connect(t, honest, victim)
	count := func() int {
		n, err := victim.Store().Count(lobby)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	testwait.Until(t, 3*waitTimeout, "the victim to hold the honest peer's 200 messages", func() bool { return count() == 200 },
		func() string { return fmt.Sprintf("it holds %d; slow sessions held: %d", count(), held.Load()) })
}
