package node_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"starling/group"
	"starling/message"
	"starling/store"
)

func TestJoinLeaveResolveErrors(t *testing.T) {
	t.Parallel()
	virtual(t, testJoinLeaveResolveErrors)
}

func testJoinLeaveResolveErrors(t *testing.T) {
	ctx := context.Background()
	alice := startNode(t, "alice")

	for _, name := range []string{"", "  ", "has space", "-dash-first", "ünicode", "\u212aelvin", strings.Repeat("a", group.MaxNameLen+1)} {
		if _, err := alice.Join(ctx, name); !errors.Is(err, group.ErrBadName) {
			t.Errorf("Join(%q) = %v, want %v", name, err, group.ErrBadName)
		}
	}
	if gs, err := alice.Groups(); err != nil || len(gs) != 0 {
		t.Fatalf("bad names left groups behind: %v, %v", gs, err)
	}

	lobby := groupID(t, "lobby")
	notJoined := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, group.ErrNotJoined) {
			t.Errorf("%s = %v, want %v", what, err, group.ErrNotJoined)
		} else if nj := (*group.NotJoinedError)(nil); !errors.As(err, &nj) || nj.Channel != "lobby" {
			t.Errorf("%s: %v does not name the channel to join (a group.NotJoinedError)", what, err)
		}
	}
	_, _, err := alice.History("lobby", store.Query{})
	notJoined("History before joining", err)
	_, _, err = alice.Send(ctx, "Lobby", "hello?")
	notJoined("Send before joining", err)
	_, err = alice.ResolveGroup("lobby")
	notJoined("ResolveGroup before joining", err)
	_, err = alice.Leave(ctx, "lobby")
	notJoined("Leave before joining", err)
	if _, err := alice.ResolveGroup(lobby.String()); !errors.Is(err, group.ErrNotJoined) {
		t.Errorf("ResolveGroup(hex ID) before joining = %v, want %v", err, group.ErrNotJoined)
	}
	if _, _, err := alice.Send(ctx, "bad name!", "hello?"); !errors.Is(err, group.ErrBadName) {
		t.Errorf("Send to a bad name = %v, want %v", err, group.ErrBadName)
	}
	if n, err := alice.OutboxLen(); err != nil || n != 0 {
		t.Errorf("OutboxLen after failed sends = %d, %v; want 0", n, err)
	}

	g, err := alice.Join(ctx, " Lobby ")
	if err != nil {
		t.Fatal(err)
	}
	if g.ID != lobby || g.Name != "lobby" || g.Kind != "channel" {
		t.Errorf("Join(\" Lobby \") = %+v, want the open channel lobby", g)
	}
	again, err := alice.Join(ctx, "lobby")
	if err != nil || again.ID != g.ID || !again.JoinedAt.Equal(g.JoinedAt) {
		t.Errorf("joining again = %+v, %v; want the same group, unchanged", again, err)
	}
	for _, ref := range []string{"lobby", "LOBBY", lobby.String(), strings.ToUpper(lobby.String())} {
		if got, err := alice.ResolveGroup(ref); err != nil || got.ID != lobby {
			t.Errorf("ResolveGroup(%q) = %+v, %v; want lobby", ref, got, err)
		}
	}
	if _, _, err := alice.Send(ctx, "lobby", ""); !errors.Is(err, message.ErrBadPayload) {
		t.Errorf("Send of empty text = %v, want %v", err, message.ErrBadPayload)
	}
	if _, _, err := alice.Send(ctx, "lobby", strings.Repeat("x", message.MaxTextSize+1)); !errors.Is(err, message.ErrBadPayload) {
		t.Errorf("Send of too much text = %v, want %v", err, message.ErrBadPayload)
	}
	m, peers, err := alice.Send(ctx, "lobby", "alone, queued")
	if err != nil || peers != 0 {
		t.Fatalf("Send = %d peers, %v; want queued", peers, err)
	}

	if left, err := alice.Leave(ctx, "lobby"); err != nil || left.ID != lobby {
		t.Fatalf("Leave = %+v, %v", left, err)
	}
	_, err = alice.ResolveGroup("lobby")
	notJoined("ResolveGroup after leaving", err)
	if gs, err := alice.Groups(); err != nil || len(gs) != 0 {
		t.Errorf("Groups after leaving = %v, %v; want none", gs, err)
	}
	if alice.GroupPeers(lobby) != nil {
		t.Error("GroupPeers of a left group is not nil")
	}
	// Leaving keeps the messages.
	if _, err := alice.Store().Get(m.ID); err != nil {
		t.Errorf("the message is gone after leaving: %v", err)
	}
}

// A channel whose name is 64 hex digits is also a valid group ID: it must
// still be usable by its name.
func TestHexLookingChannelName(t *testing.T) {
	t.Parallel()
	virtual(t, testHexLookingChannelName)
}

func testHexLookingChannelName(t *testing.T) {
	ctx := context.Background()
	alice := startNode(t, "alice")
	name := strings.Repeat("ab", 32)
	g, err := alice.Join(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{name, g.ID.String()} {
		if got, err := alice.ResolveGroup(ref); err != nil || got.ID != g.ID {
			t.Errorf("ResolveGroup(%q) = %+v, %v; want %s", ref, got, err, g.ID.Short())
		}
	}
	if _, _, err := alice.Send(ctx, name, "by name"); err != nil {
		t.Errorf("Send by name: %v", err)
	}
}
