package node_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

// sendingKey returns the key tn seals gid's messages with, and its epoch.
func sendingKey(t testing.TB, tn *testNode, gid message.GroupID) (uint64, []byte) {
	t.Helper()
	inv, err := tn.stateOf(t, gid).Invite(nil)
	if err != nil {
		t.Fatalf("%s: %v", tn.name, err)
	}
	return inv.Epoch, inv.Key
}

// Two admins on the two sides of a partition remove the same member at the
// same time, each with a new key for epoch 2. Once the partition heals,
// every remaining member seals with the same key (the lowest Rekey ID's),
// reads what was sealed under either, and the removed member reads none.
func TestConcurrentRekeysConverge(t *testing.T) {
	t.Parallel()
	virtual(t, testConcurrentRekeysConverge)
}

func testConcurrentRekeysConverge(t *testing.T) {
	ctx := context.Background()
	var part partition
	nodes, gid, _, before := groupOf(t, group.KindPrivate, time.Time{}, []string{"alice", "bob", "carol", "erin"},
		withPartition(&part))
	alice, bob, carol, erin := nodes[0], nodes[1], nodes[2], nodes[3]
	if _, err := alice.Moderation().UpdateGroup(ctx, gid.String(), group.Update{AddAdmins: []ed25519.PublicKey{bob.User().PublicKey()}}); err != nil {
		t.Fatal(err)
	}
	st := bob.stateOf(t, gid)
	waitUntil(t, "bob to be an admin", func() bool { return st.IsAdmin(bob.User().PublicKey()) })

	sideA, sideB := []*testNode{alice, carol}, []*testNode{bob, erin}
	part.cut(sideA)
	for _, x := range sideA {
		for _, y := range sideB {
			x.Host().Network().ClosePeer(y.ID())
			y.Host().Network().ClosePeer(x.ID())
		}
	}
	waitUntil(t, "the two sides to disconnect", func() bool {
		for _, x := range sideA {
			for _, y := range sideB {
				if x.connectedTo(y.ID()) || y.connectedTo(x.ID()) {
					return false
				}
			}
		}
		return true
	})

	for _, admin := range []*testNode{alice, bob} {
		if err := admin.Moderation().RemoveMember(ctx, gid.String(), erin.User().Fingerprint()); err != nil {
			t.Fatalf("%s removes erin: %v", admin.name, err)
		}
	}
	waitUntil(t, "carol to take alice's epoch 2", func() bool { return carol.stateOf(t, gid).Epoch() == 2 })
	_, keyA := sendingKey(t, alice, gid)
	_, keyB := sendingKey(t, bob, gid)
	if bytes.Equal(keyA, keyB) {
		t.Fatal("the two admins chose the same key")
	}
	fromA := carol.sendTo(t, gid, "sealed under alice's key")
	fromB := bob.sendTo(t, gid, "sealed under bob's key")

	part.heal()
	for _, x := range sideA {
		for _, y := range sideB {
			connect(t, x, y)
		}
	}
	members := []*testNode{alice, bob, carol}
	diff := func() string {
		_, want := sendingKey(t, alice, gid)
		for _, n := range members {
			if e, k := sendingKey(t, n, gid); e != 2 || !bytes.Equal(k, want) {
				return fmt.Sprintf("%s seals with epoch %d, key %x; alice with %x", n.name, e, k[:4], want[:4])
			}
		}
		return ""
	}
	waitUntil(t, "the members to seal with one key", func() bool { return diff() == "" }, diff)
	waitHas(t, []*message.Message{fromA, fromB}, members...)
	for _, n := range members {
		for _, m := range []*message.Message{fromA, fromB} {
			if _, err := n.Open(m); err != nil {
				t.Errorf("%s cannot read %s: %v", n.name, m.ID.Short(), err)
			}
		}
	}
	after := alice.sendTo(t, gid, "after the heal")
	waitHas(t, []*message.Message{after}, bob, carol)
	for _, m := range []*message.Message{fromA, fromB, after} {
		if _, err := erin.Open(m); err == nil {
			t.Errorf("erin reads %s after her removal", m.ID.Short())
		}
	}
	for _, n := range members {
		requireKept(t, n, before)
	}
}
