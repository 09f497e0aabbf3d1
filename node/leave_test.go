package node_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"starling/group"
	"starling/message"
	"starling/store"
)

// Leaving a group keeps its history readable, by name and by ID, before
// and after a restart, a private group's included (its keys stay); the
// error for a command on a left group says how to join that same group
// again; and joining the left group's name joins that group again, with
// its history, not an empty open channel of the same name.
func TestLeaveKeepsHistory(t *testing.T) {
	t.Parallel()
	virtual(t, testLeaveKeepsHistory)
}

func testLeaveKeepsHistory(t *testing.T) {
	ctx := context.Background()
	alice := startNode(t, "alice", withStore(t.TempDir()))
	bob := startNode(t, "bob")
	type kept struct {
		name, kind string
		id         message.GroupID
		bobs       *message.Message // bob's text, which alice must still read
	}
	groups := []*kept{{name: "lobby", kind: "channel"}, {name: "meetup", kind: "open"}, {name: "news", kind: "announce"}, {name: "crew", kind: "private"}}
	kinds := map[string]group.Kind{"open": group.KindOpen, "announce": group.KindAnnounce, "private": group.KindPrivate}
	for _, g := range groups {
		if g.kind == "channel" {
			alice.join(t, g.name)
			bob.join(t, g.name)
			g.id = groupID(t, g.name)
			continue
		}
		g.id = bob.createGroup(t, kinds[g.kind], g.name, time.Time{})
		alice.joinLink(t, bob.link(t, g.id))
	}
	connect(t, alice, bob)
	var all []*message.Message
	for _, g := range groups {
		waitGroupPeers(t, g.id, alice, bob)
		if g.kind == "private" {
			waitMembers(t, g.id, 2, bob)
		}
		g.bobs = bob.sendTo(t, g.id, "bob in "+g.name)
		all = append(all, g.bobs)
	}
	waitHas(t, all, alice)

	for _, g := range groups {
		left, err := alice.Leave(ctx, g.name)
		if err != nil || left.ID != g.id || left.LeftAt.IsZero() {
			t.Fatalf("Leave(%s) = %+v, %v; want the group, marked left", g.name, left, err)
		}
	}
	if gs, err := alice.Groups(); err != nil || len(gs) != 0 {
		t.Fatalf("Groups after leaving every group = %+v, %v; want none", gs, err)
	}
	readsKept := func(when string) {
		t.Helper()
		for _, g := range groups {
			for _, ref := range []string{g.name, g.id.String()} {
				grp, page, err := alice.History(ref, store.Query{Limit: store.MaxQueryLimit})
				if err != nil || grp.ID != g.id || grp.LeftAt.IsZero() {
					t.Errorf("%s: History(%q) = %+v, %v; want the left group %s", when, ref, grp, err, g.name)
					continue
				}
				found := false
				for _, st := range page.Messages {
					found = found || st.Msg.ID == g.bobs.ID
				}
				if !found {
					t.Errorf("%s: History(%q) has %d messages, not bob's", when, ref, len(page.Messages))
				}
			}
			c, err := alice.Open(g.bobs)
			if text, ok := c.(group.Text); err != nil || !ok || text.Text != "bob in "+g.name {
				t.Errorf("%s: alice opens bob's message in %s as %v, %v", when, g.name, c, err)
			}
			_, err = alice.ResolveGroup(g.name)
			var nj *group.NotJoinedError
			want := g.id.String()
			if g.kind == "channel" {
				want = g.name
			}
			switch {
			case !errors.As(err, &nj):
				t.Errorf("%s: ResolveGroup(%q) = %v; want a group.NotJoinedError", when, g.name, err)
			case nj.Rejoin != want || nj.Left == "":
				t.Errorf("%s: ResolveGroup(%q): %v says to join %q again, want %q", when, g.name, err, nj.Rejoin, want)
			case g.kind != "channel" && nj.Channel != "":
				t.Errorf("%s: ResolveGroup(%q): %v names the open channel %q, another group", when, g.name, err, nj.Channel)
			}
		}
	}
	readsKept("after leaving")
	alice = alice.restart(t)
	readsKept("after a restart")

	// Joining again: the channel and the news by name, the meetup and the
	// crew by ID: the same groups, not open channels of their names.
	for i, g := range groups {
		ref := g.name
		if i%2 == 1 {
			ref = g.id.String()
		}
		grp, err := alice.Join(ctx, ref)
		if err != nil || grp.ID != g.id || grp.Kind != g.kind || !grp.LeftAt.IsZero() {
			t.Fatalf("Join(%q) after leaving = %+v, %v; want the %s group %s again", ref, grp, err, g.kind, g.id.Short())
		}
	}
	if gs, err := alice.Groups(); err != nil || len(gs) != len(groups) {
		t.Fatalf("Groups after joining again = %+v, %v; want the %d groups, no channel of a group's name", gs, err, len(groups))
	}
	connect(t, alice, bob)
	var after []*message.Message
	for _, g := range groups {
		waitGroupPeers(t, g.id, alice, bob)
		after = append(after, bob.sendTo(t, g.id, "bob again in "+g.name))
	}
	waitHas(t, after, alice)
	for i, g := range groups {
		for _, m := range []*message.Message{g.bobs, after[i]} {
			if c, err := alice.Open(m); err != nil {
				t.Errorf("alice cannot open bob's message in %s after joining again: %v, %v", g.name, c, err)
			}
		}
	}
	crew := groups[3]
	if _, err := alice.Leave(ctx, "crew"); err != nil {
		t.Fatal(err)
	}
	// An invite link joins the left group again from what was kept too.
	if grp, err := alice.Join(ctx, bob.link(t, crew.id)); err != nil || grp.ID != crew.id || !grp.LeftAt.IsZero() {
		t.Fatalf("joining the left crew by a link = %+v, %v", grp, err)
	}
	if c, err := alice.Open(crew.bobs); err != nil {
		t.Errorf("after joining the left crew by a link, alice cannot open bob's first message: %v, %v", c, err)
	}
	if _, err := alice.Leave(ctx, "crew"); err != nil {
		t.Fatal(err)
	}
	// The open channel of the name is there for who means it.
	if ch, err := alice.JoinChannel(ctx, "crew"); err != nil || ch.ID != groupID(t, "crew") || ch.Kind != "channel" {
		t.Errorf("JoinChannel(crew) = %+v, %v; want the open channel", ch, err)
	}
}

// A group left while this user's own messages wait in the outbox (no peer
// yet: here a private group nobody else joined) keeps them, its genesis
// included: they stay queued instead of being refused and dropped, its
// history stays readable, and once joined again the group works (the
// genesis gone, the node would hold no current key).
func TestLeaveKeepsQueued(t *testing.T) {
	t.Parallel()
	virtual(t, testLeaveKeepsQueued)
}

func testLeaveKeepsQueued(t *testing.T) {
	ctx := context.Background()
	alice := startNode(t, "alice", withStore(t.TempDir()))
	gid := alice.createGroup(t, group.KindPrivate, "solo", time.Time{})
	_, genesis, _ := alice.stateOf(t, gid).Descriptor()
	queued := alice.sendTo(t, gid, "queued alone")
	if _, err := alice.Leave(ctx, "solo"); err != nil {
		t.Fatal(err)
	}
	// Virtual time: the outbox is flushed at the kick and every
	// OutboxInterval (5 s); a minute lets every flush that would drop the
	// queued messages run. Nothing is waited for: the check is that
	// nothing happened.
	alice.join(t, "lobby")
	if _, _, err := alice.Send(ctx, "lobby", "a kick for the outbox"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Minute)
	for _, m := range []*message.Message{genesis, queued} {
		if ok, err := alice.Store().Has(m.ID); err != nil || !ok {
			t.Fatalf("%s of the left group is gone from the store (%v)", m.Body.Kind, err)
		}
	}
	if _, page, err := alice.History("solo", store.Query{}); err != nil || len(page.Messages) == 0 {
		t.Fatalf("History of the left group = %d messages, %v", len(page.Messages), err)
	}
	if g, err := alice.Join(ctx, "solo"); err != nil || g.ID != gid {
		t.Fatalf("Join(solo) again = %+v, %v", g, err)
	}
	if e := alice.stateOf(t, gid).Epoch(); e == 0 {
		t.Error("joined again, the node holds no current key of the group")
	}
	if _, _, err := alice.Send(ctx, "solo", "back"); err != nil {
		t.Errorf("Send after joining again: %v", err)
	}
	if n, err := alice.OutboxLen(); err != nil || n < 2 {
		t.Errorf("outbox after joining again: %d, %v; want the queued messages still there", n, err)
	}
}
