package moderation

import (
	"context"
	"errors"
	"testing"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// fakeNode holds one group and records what the service asks of it.
type fakeNode struct {
	st     *group.State
	ops    [][]*message.Message
	relays [][]string
}

func (f *fakeNode) State(ref string) (store.Group, *group.State, error) {
	if ref != f.st.Name() {
		return store.Group{}, nil, group.ErrNotJoined
	}
	return store.Group{ID: f.st.ID(), Name: f.st.Name()}, f.st, nil
}

func (f *fakeNode) Send(context.Context, string, group.Content) (*message.Message, int, error) {
	return nil, 0, errors.New("the fake sends no content")
}

func (f *fakeNode) SendOps(_ context.Context, st *group.State, msgs []*message.Message) (*message.Message, int, error) {
	f.ops = append(f.ops, msgs)
	for _, m := range msgs {
		c, v, err := st.Check(m, time.Now())
		if v != message.Accept {
			return nil, 0, err
		}
		st.Apply(m, c)
	}
	return msgs[0], 1, nil
}

func (f *fakeNode) UseRelays(_ store.Group, relays []string) { f.relays = append(f.relays, relays) }

func user(t *testing.T, name string) *identity.User {
	t.Helper()
	u, err := identity.NewUser(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func created(t *testing.T, owner *identity.User, kind group.Kind) *fakeNode {
	t.Helper()
	st, _, err := group.Create(owner, kind, "crew", time.Time{}, time.Now(), group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &fakeNode{st: st}
}

const relayAddr = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8"

// An owner's invite naming a relay carries a ticket for its ACL and makes
// the owner's node use the relay too; anyone else's carries none and
// changes nothing.
func TestInviteTickets(t *testing.T) {
	owner := user(t, "olga")
	f := created(t, owner, group.KindOpen)
	link, err := New(f, owner, nil).Invite("crew", []string{relayAddr})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := group.ParseInvite(link)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Ticket) == 0 || len(f.relays) != 1 || f.relays[0][0] != relayAddr {
		t.Fatalf("owner's invite: ticket %d bytes, relays used %v; want a ticket and the relay used", len(inv.Ticket), f.relays)
	}

	f.relays = nil
	link, err = New(f, user(t, "sam"), nil).Invite("crew", []string{relayAddr})
	if err != nil {
		t.Fatal(err)
	}
	if inv, err = group.ParseInvite(link); err != nil {
		t.Fatal(err)
	}
	if len(inv.Ticket) != 0 || len(f.relays) != 0 {
		t.Fatalf("a stranger's invite: ticket %d bytes, relays used %v; want neither", len(inv.Ticket), f.relays)
	}
	if _, err := New(f, owner, nil).Invite("nosuch", nil); !errors.Is(err, group.ErrNotJoined) {
		t.Fatalf("invite to an unknown group: %v, want ErrNotJoined", err)
	}
}

// Whoever may not ban is refused by the group's rules before anything is
// signed or sent; an unknown fingerprint is refused naming the group; the
// owner's ban goes out as one Op that the group then holds.
func TestBanRules(t *testing.T) {
	owner, sam := user(t, "olga"), user(t, "sam")
	f := created(t, owner, group.KindOpen)
	ctx := context.Background()
	ownerFP := identity.FingerprintOf(owner.PublicKey())

	if _, _, err := New(f, sam, nil).Ban(ctx, "crew", ownerFP, "mine now"); !errors.Is(err, group.ErrNotAllowed) {
		t.Fatalf("a stranger bans the owner: %v, want ErrNotAllowed", err)
	}
	if _, _, err := New(f, owner, nil).Ban(ctx, "crew", identity.FingerprintOf(sam.PublicKey()), "spam"); !errors.Is(err, group.ErrUnknownPerson) {
		t.Fatalf("banning someone the group never saw: %v, want ErrUnknownPerson", err)
	}
	if len(f.ops) != 0 {
		t.Fatalf("refused bans sent %d operations", len(f.ops))
	}
	if op, err := New(f, owner, nil).UpdateGroup(ctx, "crew", group.Update{}); op != nil || err != nil || len(f.ops) != 0 {
		t.Fatalf("an empty update: op %v, err %v, %d sent; want nothing", op, err, len(f.ops))
	}
	name := "crew-2026"
	op, err := New(f, owner, nil).UpdateGroup(ctx, "crew", group.Update{Name: name})
	if err != nil || op == nil || len(f.ops) != 1 {
		t.Fatalf("renaming: op %v, err %v, %d sent", op, err, len(f.ops))
	}
	if f.st.Name() != name {
		t.Fatalf("after the rename the group is called %q, want %q", f.st.Name(), name)
	}
}
