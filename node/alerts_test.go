package node_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"starling/admission"
	"starling/alerts"
	"starling/group"
	"starling/message"
)

func reachOf(t testing.TB, tn *testNode, gid message.GroupID, id message.ID) group.AlertReach {
	t.Helper()
	r, err := tn.Alerts().Reach(gid, id)
	if err != nil {
		t.Fatalf("%s: %v", tn.name, err)
	}
	return r
}

// An organiser's alert reaches the group, the devices that display it
// acknowledge it, and the organiser's node counts them; a member cannot
// send one, nor slip one in by gossip or catch-up; an organiser's flood is
// cut at the alert budget.
func TestAlerts(t *testing.T) {
	t.Parallel()
	virtual(t, testAlerts)
}

func testAlerts(t *testing.T) {
	ctx := context.Background()
	nodes, gid, _, _ := groupOf(t, group.KindAnnounce, time.Time{}, []string{"alice", "bob", "carol"}, withSyncInterval(time.Hour))
	alice, bob, carol := nodes[0], nodes[1], nodes[2]

	if _, _, err := bob.Alerts().Send(ctx, gid.String(), "I am not an admin"); !errors.Is(err, group.ErrNotAllowed) {
		t.Errorf("a reader sent an alert: %v", err)
	}
	if _, _, err := alice.Alerts().Send(ctx, gid.String(), "   "); !errors.Is(err, group.ErrBadPayload) {
		t.Errorf("an empty alert: %v", err)
	}
	a, _, err := alice.Alerts().Send(ctx, gid.String(), "Exit B is closed, use exit A")
	if err != nil {
		t.Fatal(err)
	}
	if a.Body.Kind != message.KindAlert {
		t.Fatalf("sent a %s", a.Body.Kind)
	}
	waitHas(t, []*message.Message{a}, bob, carol)
	r := reachOf(t, bob, gid, a.ID)
	if r.Text != "Exit B is closed, use exit A" || r.YouAcked {
		t.Errorf("bob holds %+v", r)
	}
	if err := bob.Alerts().Ack(ctx, gid, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := bob.Alerts().Ack(ctx, gid, a.ID); err != nil { // a second time does nothing
		t.Fatal(err)
	}
	if err := carol.Alerts().Ack(ctx, gid, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := carol.Alerts().Ack(ctx, gid, message.ID{7}); !errors.Is(err, alerts.ErrNotHeld) {
		t.Errorf("acknowledging an unknown alert: %v", err)
	}
	waitUntil(t, "alice to count two acks", func() bool { return reachOf(t, alice, gid, a.ID).Acked == 2 },
		func() string {
			return fmt.Sprintf("alice %+v, stats %+v, bob %+v", reachOf(t, alice, gid, a.ID), alice.Alerts().Stats(), bob.Alerts().Stats())
		})
	r = reachOf(t, alice, gid, a.ID)
	if r.Devices != 3 || r.AckKeys != 2 {
		t.Errorf("alice's reach: %+v, want 2 of 3 devices", r)
	}
	if list, err := alice.Alerts().List(gid.String()); err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Errorf("Alerts: %v %v", list, err)
	}

	// The alert budget binds the owner too: AlertBurst in all, then a
	// clear refusal.
	for i := 1; i < admission.AlertBurst; i++ {
		if _, _, err := alice.Alerts().Send(ctx, gid.String(), fmt.Sprint("again ", i)); err != nil {
			t.Fatalf("alert %d: %v", i+1, err)
		}
	}
	if _, _, err := alice.Alerts().Send(ctx, gid.String(), "one too many"); !errors.Is(err, admission.ErrAlertLimited) {
		t.Errorf("alert %d: %v", admission.AlertBurst+1, err)
	}

	// Bob's forged alert by gossip and by catch-up: never stored.
	st := alice.stateOf(t, gid)
	forged := forgeContent(t, bob.cfg.User, gid, group.Alert{Text: "fake evacuation"}, message.ID{}, 0, nil, time.Now())
	evil := newRawPeer(t, st.Topic())
	evil.connect(t, carol, gid)
	evil.publish(t, forged)
	attacker := hostAt(t, "127.0.0.9")
	if err := attacker.Connect(ctx, alice.info()); err != nil {
		t.Fatal(err)
	}
	pushEnvelopes(ctx, t, attacker, alice.ID(), gid, [][]byte{forged.Raw})
	later := alice.sendTo(t, gid, "after the forgery")
	waitHas(t, []*message.Message{later}, bob, carol)
	requireNotStored(t, forged, alice, bob, carol)
}

// An attendee whose device lost the alert's gossip gets it by the
// alert's re-offer, with periodic catch-up off.
func TestAlertReoffered(t *testing.T) {
	t.Parallel()
	virtual(t, testAlertReoffered)
}

func testAlertReoffered(t *testing.T) {
	ctx := context.Background()
	owner := startNode(t, "owner", withSyncInterval(time.Hour))
	gid := owner.createGroup(t, group.KindAnnounce, "event", time.Time{})
	late := startNode(t, "late", withSyncInterval(time.Hour), withDropGossip(1))
	late.joinLink(t, owner.link(t, gid))
	connect(t, owner, late)
	waitGroupPeers(t, gid, owner, late)
	// The join's catch-up brings this text (gossip never reaches late);
	// once it is there, no catch-up runs for an hour.
	first := owner.sendTo(t, gid, "welcome")
	waitHas(t, []*message.Message{first}, late)
	a, _, err := owner.Alerts().Send(ctx, gid.String(), "Storm: go inside")
	if err != nil {
		t.Fatal(err)
	}
	waitHas(t, []*message.Message{a}, late)
	if s := owner.Alerts().Stats(); s.Taken == 0 {
		t.Errorf("the alert did not come by re-offer: %+v", s)
	}
	if err := late.Alerts().Ack(ctx, gid, a.ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the owner to count late's ack", func() bool { return reachOf(t, owner, gid, a.ID).Acked == 1 })
}

// Acks by throwaway keys, pushed straight to the organiser's node and
// served when it pulls, add nothing to the reach, and what they cost is
// bounded: one peer pushes a few per alert.
func TestAlertAcksThrowawayKeys(t *testing.T) {
	t.Parallel()
	virtual(t, testAlertAcksThrowawayKeys)
}

func testAlertAcksThrowawayKeys(t *testing.T) {
	ctx := context.Background()
	nodes, gid, _, _ := groupOf(t, group.KindAnnounce, time.Time{}, []string{"alice", "bob"}, withSyncInterval(time.Hour))
	alice, bob := nodes[0], nodes[1]
	a, _, err := alice.Alerts().Send(ctx, gid.String(), "Lost child at the info desk")
	if err != nil {
		t.Fatal(err)
	}
	waitHas(t, []*message.Message{a}, bob)
	if err := bob.Alerts().Ack(ctx, gid, a.ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "alice to count bob", func() bool { return reachOf(t, alice, gid, a.ID).Acked == 1 })

	const keys = 600
	var acks [][]byte
	for _, k := range floodKeys(t, keys) {
		m, err := message.Sign(k, message.Body{Version: message.Version, Group: gid, Author: k.Public().(ed25519.PublicKey),
			SentAtMS: message.TimeMS(time.Now()), Kind: message.KindAlertAck, Ref: a.ID})
		if err != nil {
			t.Fatal(err)
		}
		acks = append(acks, m.Raw)
	}
	// A rogue peer on the topic serves them all when alice pulls, and
	// pushes them all.
	evil := newRawPeer(t, alice.stateOf(t, gid).Topic())
	served := make(chan struct{}, 1)
	evil.h.SetStreamHandler(alerts.Protocol, func(s network.Stream) {
		defer s.Close()
		r := bufio.NewReader(s)
		if k, err := r.ReadByte(); err != nil || k != 3 {
			return
		}
		if _, err := io.ReadFull(r, make([]byte, 32)); err != nil {
			return
		}
		cursor, err := binary.ReadUvarint(r)
		if err != nil {
			return
		}
		w := bufio.NewWriter(s)
		put := func(v uint64) { w.Write(binary.AppendUvarint(nil, v)) }
		end := min(uint64(len(acks)), cursor+512)
		put(1 << 40) // devices it claims to see
		put(end - cursor)
		for _, raw := range acks[cursor:end] {
			put(uint64(len(raw)))
			w.Write(raw)
		}
		put(end)
		w.Flush()
		if end == uint64(len(acks)) {
			select {
			case served <- struct{}{}:
			default:
			}
		}
	})
	evil.connect(t, alice, gid)
	pushed := 0
	for _, raw := range acks {
		s, err := evil.h.NewStream(ctx, alice.ID(), alerts.Protocol)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(s)
		w.WriteByte(1)
		w.Write(binary.AppendUvarint(nil, uint64(len(raw))))
		w.Write(raw)
		w.Flush()
		if st, err := bufio.NewReader(s).ReadByte(); err == nil && st == 2 {
			pushed++
		}
		s.Close()
	}
	if pushed > 2 {
		t.Errorf("alice took %d acks pushed by one peer", pushed)
	}
	select {
	case <-served:
	case <-time.After(time.Minute):
		t.Fatal("alice never pulled all the rogue's acks")
	}
	waitUntil(t, "alice to take the served acks", func() bool { return reachOf(t, alice, gid, a.ID).AckKeys >= keys })
	r := reachOf(t, alice, gid, a.ID)
	if r.Acked > 1+pushed {
		t.Errorf("throwaway keys moved the reach beyond the %d pushed by the rogue's connection: %+v", pushed, r)
	}
	if r.Acked > r.Devices || r.Devices > 3+pushed {
		t.Errorf("reach %d of %d devices (the rogue claimed 2^40)", r.Acked, r.Devices)
	}
	t.Logf("after %d throwaway acks: %+v", keys, r)
}
