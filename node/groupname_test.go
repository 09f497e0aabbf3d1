package node_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"starling/group"
)

// Issue 18: two created groups could share a name, after which every
// command needed the 64-hex ID. A new group's name may not be one a
// joined group (whatever the case) or channel has.
func TestCreateRefusesATakenName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice := startNode(t, "alice")
	first, err := alice.CreateGroup(ctx, group.KindOpen, "Gala", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx, "lobby"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind group.Kind
		name string
	}{{group.KindOpen, "Gala"}, {group.KindPrivate, "gala"}, {group.KindAnnounce, " GALA "}, {group.KindOpen, "lobby"}} {
		if g, err := alice.CreateGroup(ctx, c.kind, c.name, time.Time{}); !errors.Is(err, group.ErrNameTaken) {
			t.Errorf("CreateGroup(%s %q) = %+v, %v; want %v", c.kind, c.name, g, err, group.ErrNameTaken)
		}
	}
	if g, err := alice.ResolveGroup("gala"); err != nil || g.ID != first.ID {
		t.Errorf("gala resolves to %+v, %v; want the first group", g, err)
	}
	if _, err := alice.CreateGroup(ctx, group.KindOpen, "gala-2", time.Time{}); err != nil {
		t.Errorf("another name: %v", err)
	}
}
