package store

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"starling/message"
)

func testGroupState(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{})
	g, other := groupID("stateful"), groupID("stateless")
	if _, err := s.GroupState(g); !errors.Is(err, ErrNotFound) {
		t.Errorf("state of a group without one: %v, want ErrNotFound", err)
	}
	big := bytes.Repeat([]byte{0xa5}, MaxGroupStateSize)
	for _, state := range [][]byte{[]byte("secret v1"), big, {}, []byte("secret v2")} {
		if err := s.PutGroupState(g, state); err != nil {
			t.Fatalf("put state of %d bytes: %v", len(state), err)
		}
		got, err := s.GroupState(g)
		if err != nil || !bytes.Equal(got, state) {
			t.Fatalf("state: %d bytes, %v; want the %d put", len(got), err, len(state))
		}
	}
	if err := s.PutGroupState(g, append(big, 1)); err == nil {
		t.Error("a state over MaxGroupStateSize was accepted")
	}
	if err := s.PutGroupState(other, []byte("other")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutGroup(Group{ID: g, Name: "stateful", Kind: "private"}); err != nil {
		t.Fatal(err)
	}
	// Leaving a group takes its secrets along.
	if err := s.RemoveGroup(g); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GroupState(g); !errors.Is(err, ErrNotFound) {
		t.Errorf("state after RemoveGroup: %v, want ErrNotFound", err)
	}
	if got, err := s.GroupState(other); err != nil || string(got) != "other" {
		t.Errorf("another group's state: %q, %v", got, err)
	}
	checkHealthy(t, s)
}

// Leaving a group keeps its record, as a left one, and its state, so that
// its history can still be read; joining again (PutGroup) makes it joined.
func testLeaveGroup(t *testing.T, b backend) {
	clock := newTestClock()
	s, _ := b.open(t, "", Config{Clock: clock.Now})
	g, other := groupID("left"), groupID("stays")
	for _, grp := range []Group{{ID: g, Name: "left", Kind: "private", Ticket: []byte("t"), Relays: []string{"r"}}, {ID: other, Name: "stays", Kind: "open"}} {
		if err := s.PutGroup(grp); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutGroupState(g, []byte("secret")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LeaveGroup(groupID("never joined"), time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("LeaveGroup of a group never joined = %v, want ErrNotFound", err)
	}
	at := clock.Now()
	left, err := s.LeaveGroup(g, at)
	if err != nil || left.ID != g || !left.LeftAt.Equal(at) {
		t.Fatalf("LeaveGroup = %+v, %v", left, err)
	}
	if _, err := s.LeaveGroup(g, at); !errors.Is(err, ErrNotFound) {
		t.Errorf("leaving twice = %v, want ErrNotFound", err)
	}
	if _, err := s.Group(g); !errors.Is(err, ErrNotFound) {
		t.Errorf("Group of a left group = %v, want ErrNotFound", err)
	}
	if gs, err := s.Groups(); err != nil || len(gs) != 1 || gs[0].ID != other {
		t.Errorf("Groups = %+v, %v; want only the joined one", gs, err)
	}
	got, err := s.LeftGroup(g)
	if err != nil || got.Name != "left" || got.Kind != "private" || string(got.Ticket) != "t" || !slices.Equal(got.Relays, []string{"r"}) || !got.LeftAt.Equal(at) {
		t.Errorf("LeftGroup = %+v, %v; want the record as it was, left at %v", got, err, at)
	}
	if gs, err := s.LeftGroups(); err != nil || len(gs) != 1 || gs[0].ID != g {
		t.Errorf("LeftGroups = %+v, %v; want the left one", gs, err)
	}
	if _, err := s.LeftGroup(other); !errors.Is(err, ErrNotFound) {
		t.Errorf("LeftGroup of a joined group = %v, want ErrNotFound", err)
	}
	if st, err := s.GroupState(g); err != nil || string(st) != "secret" {
		t.Errorf("state after leaving: %q, %v; want it kept", st, err)
	}
	// A change made from a record read before the group was left (the
	// node renames groups as their descriptors change) does not join it
	// again.
	ran := false
	if _, err := s.UpdateGroup(g, func(*Group) bool { ran = true; return true }); !errors.Is(err, ErrNotFound) || ran {
		t.Errorf("UpdateGroup of a left group = %v (f ran: %v), want ErrNotFound without running f", err, ran)
	}
	if renamed, err := s.UpdateGroup(other, func(g *Group) bool { g.Name = "renamed"; return true }); err != nil || renamed.Name != "renamed" {
		t.Errorf("UpdateGroup of a joined group = %+v, %v", renamed, err)
	}
	if got, err := s.Group(other); err != nil || got.Name != "renamed" {
		t.Errorf("after UpdateGroup: %+v, %v; want it renamed", got, err)
	}
	checkHealthy(t, s)

	got.LeftAt = time.Time{}
	if err := s.PutGroup(got); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Group(g); err != nil {
		t.Errorf("Group after joining again: %v", err)
	}
	if gs, err := s.LeftGroups(); err != nil || len(gs) != 0 {
		t.Errorf("LeftGroups after joining again = %+v, %v; want none", gs, err)
	}
	if _, err := s.LeaveGroup(g, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveGroup(g); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LeftGroup(g); !errors.Is(err, ErrNotFound) {
		t.Errorf("LeftGroup after RemoveGroup = %v, want ErrNotFound", err)
	}
	if _, err := s.GroupState(g); !errors.Is(err, ErrNotFound) {
		t.Errorf("state after RemoveGroup: %v, want ErrNotFound", err)
	}
}

func testBlocks(t *testing.T, b backend) {
	clock := newTestClock()
	s, _ := b.open(t, "", Config{Clock: clock.Now})
	pub := func(seed string) ed25519.PublicKey { return keyFrom(seed).Public().(ed25519.PublicKey) }
	troll, bore := pub("troll"), pub("bore")
	if bs, err := s.Blocks(); err != nil || len(bs) != 0 {
		t.Fatalf("blocks of a new store: %v, %v", bs, err)
	}
	if err := s.PutBlock(troll, ModeBlock); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlock(bore, ModeBlock); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlock(bore, ModeMute); err != nil { // replaces
		t.Fatal(err)
	}
	bs, err := s.Blocks()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{string(troll): ModeBlock, string(bore): ModeMute}
	if len(bs) != 2 || !slices.IsSortedFunc(bs, func(a, b Block) int { return bytes.Compare(a.Author, b.Author) }) {
		t.Fatalf("blocks %+v: want two, sorted by key", bs)
	}
	for _, bl := range bs {
		if want[string(bl.Author)] != bl.Mode || bl.Since.IsZero() {
			t.Errorf("block %x: mode %q since %v; want %q and a time", bl.Author[:4], bl.Mode, bl.Since, want[string(bl.Author)])
		}
	}
	for _, bad := range []struct {
		key  ed25519.PublicKey
		mode string
	}{{troll, "ban"}, {troll, ""}, {troll[:31], ModeBlock}, {nil, ModeMute}} {
		if err := s.PutBlock(bad.key, bad.mode); err == nil {
			t.Errorf("PutBlock(%d-byte key, %q) succeeded", len(bad.key), bad.mode)
		}
	}
	if err := s.RemoveBlock(troll[:5]); err == nil {
		t.Error("RemoveBlock of a short key succeeded")
	}
	for range 2 {
		if err := s.RemoveBlock(troll); err != nil {
			t.Fatal(err)
		}
	}
	if bs, err := s.Blocks(); err != nil || len(bs) != 1 || !bytes.Equal(bs[0].Author, bore) {
		t.Errorf("after unblocking: %+v, %v", bs, err)
	}
	checkHealthy(t, s)
}

// TestDirMode: Open creates a store directory only its user can enter and
// warns about an existing one that others can read.
func TestDirMode(t *testing.T) {
	h := &recordingHandler{}
	dir := freshDir(t)
	s, err := Open(dir, Config{Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != dirMode {
		t.Errorf("new store directory has mode %#o, want %#o", perm, dirMode)
	}
	if len(h.problems) != 0 {
		t.Errorf("warnings for a private directory: %v", h.problems)
	}

	open := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	h = &recordingHandler{}
	s, err = Open(open, Config{Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(h.problems) != 1 {
		t.Errorf("warnings for a directory open to others: %v, want one", h.problems)
	}
}

// TestUpgradeFromSchema1 turns a store back into schema version 1 (no kind
// index) and checks that Open rebuilds the index.
func TestUpgradeFromSchema1(t *testing.T) {
	dir := freshDir(t)
	s, err := Open(dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	g := groupID("old")
	control := []*message.Message{
		signKind(t, g, 5, message.KindDescriptor, "descriptor"),
		signKind(t, g, 6, message.KindProfile, "profile"),
	}
	mustPut(t, s, append(genMessages(t, 10, g, func(i int) uint64 { return uint64(1 + i) }), control...), OriginGossip)
	err = s.db.Update(func(txn kvTxn) error {
		for _, m := range control {
			if err := txn.Delete(kindKeyOf(m)); err != nil {
				return err
			}
		}
		return txn.Set(keySchema, []byte{1})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("check without the kind index: %v, want ErrCorrupt", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, _ = backends[0].open(t, dir, Config{})
	if v := rawGet(t, s, keySchema); !bytes.Equal(v, []byte{schemaVersion}) {
		t.Errorf("schema after the upgrade: %v, want %d", v, schemaVersion)
	}
	got, err := s.Kinds(g)
	if err != nil || len(got) != len(control) {
		t.Errorf("kinds after the upgrade: %d, %v; want %d", len(got), err, len(control))
	}
	checkHealthy(t, s)
}
