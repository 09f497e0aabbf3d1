package store

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"starling/message"
)

// TestSuite runs the same behaviour tests against on-disk and in-memory
// stores.
func TestSuite(t *testing.T) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b backend)
	}{
		{"PutGetHas", testPutGetHas},
		{"Duplicates", testDuplicates},
		{"PutOwnOutbox", testPutOwnOutbox},
		{"HistoryPaging", testHistoryPaging},
		{"HistoryEdges", testHistoryEdges},
		{"BadCursor", testBadCursor},
		{"ItemsCount", testItemsCount},
		{"Groups", testGroups},
		{"Peers", testPeers},
		{"Delete", testDelete},
		{"Drop", testDrop},
		{"DeleteBeforeArrival", testDeleteBeforeArrival},
		{"Kinds", testKinds},
		{"GroupState", testGroupState},
		{"LeaveGroup", testLeaveGroup},
		{"Blocks", testBlocks},
		{"DeleteGroup", testDeleteGroup},
		{"ExpireByTTL", testExpireByTTL},
		{"ExpireMoves", testExpireMoves},
		{"ExpirePast", testExpirePast},
		{"Sweep", testSweep},
		{"Closed", testClosed},
		{"Reopen", testReopen},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
			}
		})
	}
}

// checkHealthy fails the test unless Check passes.
func checkHealthy(t *testing.T, s *Store) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("check: %v", err)
	}
}

func testPutGetHas(t *testing.T, b backend) {
	clock := newTestClock()
	log := newOnStoredLog()
	s, _ := b.open(t, "", Config{Clock: clock.Now, OnStored: log.add})
	g := groupID("a")
	ms := genMessages(t, 3, g, func(i int) uint64 { return uint64(1000 + i) })
	origins := []Origin{OriginGossip, OriginCatchup, OriginGossip}
	for i, m := range ms {
		before := clock.Now()
		added, err := s.Put(context.Background(), m, origins[i])
		if err != nil || !added {
			t.Fatalf("put %d: added %v, err %v", i, added, err)
		}
		st, err := s.Get(m.ID)
		if err != nil {
			t.Fatalf("get %d: %v", i, err)
		}
		if st.Msg.ID != m.ID || !slices.Equal(st.Msg.Raw, m.Raw) || st.Origin != origins[i] {
			t.Errorf("get %d: id %s, origin %s; want %s, %s", i, st.Msg.ID.Short(), st.Origin, m.ID.Short(), origins[i])
		}
		if !st.ReceivedAt.After(before) || st.ReceivedAt.Sub(before) > time.Second {
			t.Errorf("get %d: received at %v, want just after %v", i, st.ReceivedAt, before)
		}
		if !reflect.DeepEqual(m.Body, st.Msg.Body) {
			t.Errorf("get %d: body %+v, put %+v", i, st.Msg.Body, m.Body)
		}
		if has, err := s.Has(m.ID); err != nil || !has {
			t.Errorf("has %d: %v, %v", i, has, err)
		}
	}
	missing := message.ID{1, 2, 3}
	if has, err := s.Has(missing); err != nil || has {
		t.Errorf("has unknown: %v, %v", has, err)
	}
	if _, err := s.Get(missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("get unknown: %v, want ErrNotFound", err)
	}
	seen, order := log.snapshot()
	if len(seen) != 3 || !slices.Equal(order, []message.ID{ms[0].ID, ms[1].ID, ms[2].ID}) {
		t.Errorf("OnStored saw %v, want the three messages in order", order)
	}
	checkHealthy(t, s)
}

func testDuplicates(t *testing.T, b backend) {
	log := newOnStoredLog()
	s, _ := b.open(t, "", Config{OnStored: log.add})
	ctx := context.Background()
	m := sign(t, testKey, groupID("a"), 5000, "once")
	if added, err := s.Put(ctx, m, OriginGossip); err != nil || !added {
		t.Fatalf("first put: %v, %v", added, err)
	}
	first, err := s.Get(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if added, err := s.Put(ctx, m, OriginCatchup); err != nil || added {
		t.Errorf("second put: added %v, err %v; want false, nil", added, err)
	}
	if added, err := s.PutOwn(ctx, m); err != nil || added {
		t.Errorf("own put of a stored message: added %v, err %v; want false, nil", added, err)
	}
	if err := s.Enqueue(ctx, m, OriginGossip); err != nil {
		t.Errorf("enqueue duplicate: %v", err)
	}
	// A Put after the Enqueue returns once the Enqueue has been handled.
	other := sign(t, testKey, groupID("a"), 5001, "barrier")
	if _, err := s.Put(ctx, other, OriginGossip); err != nil {
		t.Fatal(err)
	}
	again, err := s.Get(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.Origin != OriginGossip || !again.ReceivedAt.Equal(first.ReceivedAt) {
		t.Errorf("duplicate rewrote the record: origin %s received %v, was %s %v",
			again.Origin, again.ReceivedAt, first.Origin, first.ReceivedAt)
	}
	if out, err := s.Outbox(); err != nil || len(out) != 0 {
		t.Errorf("outbox after a duplicate own put: %d messages, %v; want none", len(out), err)
	}
	if n, err := s.Count(groupID("a")); err != nil || n != 2 {
		t.Errorf("count: %d, %v; want 2", n, err)
	}
	seen, _ := log.snapshot()
	if seen[m.ID] != 1 || seen[other.ID] != 1 || len(seen) != 2 {
		t.Errorf("OnStored counts %v, want each message once", seen)
	}
	checkHealthy(t, s)
}

func testPutOwnOutbox(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{})
	ctx := context.Background()
	// Send times run backwards: the outbox keeps the order of PutOwn.
	ms := genMessages(t, 4, groupID("own"), func(i int) uint64 { return uint64(9000 - i) })
	for _, m := range ms {
		if added, err := s.PutOwn(ctx, m); err != nil || !added {
			t.Fatalf("put own: %v, %v", added, err)
		}
	}
	gossip := sign(t, testKey, groupID("own"), 1, "from someone else")
	mustPut(t, s, []*message.Message{gossip}, OriginGossip)
	wantOutbox(t, s, ms...)
	st, err := s.Get(ms[0].ID)
	if err != nil || st.Origin != OriginOwn {
		t.Fatalf("own message: origin %s, %v", st.Origin, err)
	}
	for range 2 { // idempotent
		if err := s.RemoveOutbox(ms[1].ID); err != nil {
			t.Fatalf("remove from outbox: %v", err)
		}
	}
	if err := s.RemoveOutbox(message.ID{9}); err != nil {
		t.Errorf("remove unknown from outbox: %v", err)
	}
	wantOutbox(t, s, ms[0], ms[2], ms[3])
	if has, err := s.Has(ms[1].ID); err != nil || !has {
		t.Errorf("a message left the store with its outbox entry: %v, %v", has, err)
	}
	checkHealthy(t, s)
}

func wantOutbox(t *testing.T, s *Store, want ...*message.Message) {
	t.Helper()
	out, err := s.Outbox()
	if err != nil {
		t.Fatalf("outbox: %v", err)
	}
	var got, wantIDs []message.ID
	for _, m := range out {
		got = append(got, m.ID)
	}
	for _, m := range want {
		wantIDs = append(wantIDs, m.ID)
	}
	if !slices.Equal(got, wantIDs) {
		t.Errorf("outbox %v, want %v", got, wantIDs)
	}
}

// pageAll reads a group's whole history in pages of limit.
func pageAll(t *testing.T, s *Store, g message.GroupID, newest bool, limit int) (ids []message.ID, pages int) {
	t.Helper()
	q := Query{Group: g, Limit: limit, Newest: newest}
	for pages = 1; ; pages++ {
		p, err := s.History(q)
		if err != nil {
			t.Fatalf("history page %d: %v", pages, err)
		}
		if len(p.Messages) > limit {
			t.Fatalf("page %d has %d messages, limit %d", pages, len(p.Messages), limit)
		}
		ids = append(ids, storedIDs(p.Messages)...)
		if p.Next == "" {
			return ids, pages
		}
		if len(p.Messages) != limit {
			t.Fatalf("page %d has %d messages and a next cursor", pages, len(p.Messages))
		}
		q.Cursor = p.Next
	}
}

func testHistoryPaging(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{MaxBatch: 16})
	g, other := groupID("busy"), groupID("other")
	// Runs of seven messages share a send time, so the ID breaks ties.
	ms := genMessages(t, 250, g, func(i int) uint64 { return uint64(100_000 + i/7) })
	mustPut(t, s, ms, OriginGossip)
	mustPut(t, s, genMessages(t, 30, other, func(i int) uint64 { return uint64(100_000 + i) }), OriginGossip)
	var want []message.ID
	for _, it := range sortedItems(ms) {
		want = append(want, it.ID)
	}
	reversed := slices.Clone(want)
	slices.Reverse(reversed)
	for _, limit := range []int{1, 7, 25, 33, 249, 250, 251} {
		got, pages := pageAll(t, s, g, false, limit)
		if !slices.Equal(got, want) {
			t.Errorf("oldest first, limit %d: wrong order or messages (%d of %d)", limit, len(got), len(want))
		}
		if wantPages := (250 + limit - 1) / limit; pages != wantPages {
			t.Errorf("oldest first, limit %d: %d pages, want %d", limit, pages, wantPages)
		}
		got, _ = pageAll(t, s, g, true, limit)
		if !slices.Equal(got, reversed) {
			t.Errorf("newest first, limit %d: wrong order or messages (%d of %d)", limit, len(got), len(reversed))
		}
	}
}

func testHistoryEdges(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{})
	g := groupID("edges")
	p, err := s.History(Query{Group: g})
	if err != nil || len(p.Messages) != 0 || p.Next != "" {
		t.Errorf("empty group: %d messages, next %q, %v", len(p.Messages), p.Next, err)
	}
	ms := genMessages(t, 120, g, func(i int) uint64 { return uint64(1 + i) })
	mustPut(t, s, ms, OriginGossip)
	p, err = s.History(Query{Group: g})
	if err != nil || len(p.Messages) != DefaultQueryLimit || p.Next == "" {
		t.Errorf("zero limit: %d messages, next %q, %v; want %d and a cursor", len(p.Messages), p.Next, err, DefaultQueryLimit)
	}
	p, err = s.History(Query{Group: g, Limit: MaxQueryLimit * 10})
	if err != nil || len(p.Messages) != 120 || p.Next != "" {
		t.Errorf("huge limit: %d messages, next %q, %v; want all 120", len(p.Messages), p.Next, err)
	}
	p, err = s.History(Query{Group: g, Newest: true, Limit: 1})
	if err != nil || len(p.Messages) != 1 || p.Messages[0].Msg.ID != ms[119].ID {
		t.Errorf("newest message: %v, %v", storedIDs(p.Messages), err)
	}
}

func testBadCursor(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{})
	g := groupID("cursor")
	mustPut(t, s, genMessages(t, 5, g, func(i int) uint64 { return uint64(10 + i) }), OriginGossip)
	p, err := s.History(Query{Group: g, Limit: 2})
	if err != nil || p.Next == "" {
		t.Fatalf("first page: %v, next %q", err, p.Next)
	}
	bad := []Query{
		{Group: g, Cursor: "not a cursor"},
		{Group: g, Cursor: p.Next + "AA"},
		{Group: g, Cursor: p.Next[:len(p.Next)-4]},
		{Group: g, Cursor: p.Next, Newest: true}, // other direction
		{Group: groupID("elsewhere"), Cursor: p.Next},
	}
	for i, q := range bad {
		if _, err := s.History(q); !errors.Is(err, ErrBadCursor) {
			t.Errorf("query %d: %v, want ErrBadCursor", i, err)
		}
	}
}

func testItemsCount(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{})
	a, c := groupID("a"), groupID("c")
	ma := genMessages(t, 60, a, func(i int) uint64 { return uint64(7000 - (i%10)*3) })
	mc := genMessages(t, 9, c, func(i int) uint64 { return uint64(50 + i) })
	mustPut(t, s, mc[:4], OriginGossip)
	mustPut(t, s, ma, OriginCatchup)
	mustPut(t, s, mc[4:], OriginGossip)
	for _, tc := range []struct {
		g  message.GroupID
		ms []*message.Message
	}{{a, ma}, {c, mc}, {groupID("none"), nil}} {
		items, err := s.Items(tc.g)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sortedItems(tc.ms), items) {
			t.Errorf("items of %s: %v, want %v", tc.g.Short(), items, sortedItems(tc.ms))
		}
		if n, err := s.Count(tc.g); err != nil || n != len(tc.ms) {
			t.Errorf("count of %s: %d, %v; want %d", tc.g.Short(), n, err, len(tc.ms))
		}
	}
	checkHealthy(t, s)
}

func testGroups(t *testing.T, b backend) {
	clock := newTestClock()
	s, _ := b.open(t, "", Config{Clock: clock.Now})
	joined := time.UnixMilli(1_600_000_000_000)
	gs := []Group{
		{ID: groupID("z"), Name: "zebra", Kind: "open", JoinedAt: joined},
		{ID: groupID("a"), Name: "aardvark", Kind: "open", JoinedAt: joined.Add(time.Hour)},
		{ID: groupID("m"), Name: "mole", Kind: "open"},
	}
	for _, g := range gs {
		if err := s.PutGroup(g); err != nil {
			t.Fatalf("put group: %v", err)
		}
	}
	got, err := s.Group(gs[2].ID)
	if err != nil || got.JoinedAt.IsZero() {
		t.Fatalf("group with default join time: %+v, %v", got, err)
	}
	gs[2].JoinedAt = got.JoinedAt
	list, err := s.Groups()
	if err != nil {
		t.Fatal(err)
	}
	if want := []Group{gs[1], gs[2], gs[0]}; !slices.EqualFunc(list, want, sameGroup) {
		t.Errorf("groups %+v, want %+v", list, want)
	}
	gs[0].Name = "aaa renamed"
	if err := s.PutGroup(gs[0]); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Groups(); len(list) != 3 || list[0].Name != "aaa renamed" {
		t.Errorf("after replacing: %+v", list)
	}
	msgs := genMessages(t, 3, gs[0].ID, func(i int) uint64 { return uint64(1 + i) })
	mustPut(t, s, msgs, OriginGossip)
	for range 2 {
		if err := s.RemoveGroup(gs[0].ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Group(gs[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed group: %v, want ErrNotFound", err)
	}
	if n, err := s.Count(gs[0].ID); err != nil || n != 3 {
		t.Errorf("messages of a removed group: %d, %v; want 3 kept", n, err)
	}
	checkHealthy(t, s)
}

func sameGroup(a, b Group) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Kind == b.Kind && a.JoinedAt.Equal(b.JoinedAt)
}

func samePeer(a, b Peer) bool {
	return a.ID == b.ID && slices.Equal(a.Addrs, b.Addrs) && a.LastSeen.Equal(b.LastSeen)
}

func testPeers(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{})
	seen := time.UnixMilli(1_650_000_000_000)
	ps := []Peer{
		{ID: "12D3KooWB", Addrs: []string{"/ip4/127.0.0.1/tcp/4001", "/ip4/127.0.0.1/udp/4001/quic-v1"}, LastSeen: seen},
		{ID: "12D3KooWA", Addrs: nil, LastSeen: time.Time{}},
	}
	for _, p := range ps {
		if err := s.PutPeer(p); err != nil {
			t.Fatal(err)
		}
	}
	ps[1].Addrs = []string{"/ip4/127.0.0.1/tcp/4002"}
	if err := s.PutPeer(ps[1]); err != nil {
		t.Fatal(err)
	}
	got, err := s.Peers()
	if err != nil {
		t.Fatal(err)
	}
	if want := []Peer{ps[1], ps[0]}; !slices.EqualFunc(got, want, samePeer) {
		t.Errorf("peers %+v, want %+v", got, want)
	}
	if err := s.PutPeer(Peer{}); err == nil {
		t.Error("a peer without ID was accepted")
	}
	for range 2 {
		if err := s.RemovePeer(ps[0].ID); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.Peers(); len(got) != 1 || got[0].ID != ps[1].ID {
		t.Errorf("after removal: %+v", got)
	}
	checkHealthy(t, s)
}

func testClosed(t *testing.T, b backend) {
	s, _ := b.open(t, "", Config{})
	m := sign(t, testKey, groupID("a"), 1, "late")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	ctx := context.Background()
	if _, err := s.Put(ctx, m, OriginGossip); !errors.Is(err, ErrClosed) {
		t.Errorf("put: %v, want ErrClosed", err)
	}
	if err := s.Enqueue(ctx, m, OriginGossip); !errors.Is(err, ErrClosed) {
		t.Errorf("enqueue: %v, want ErrClosed", err)
	}
	if _, err := s.Get(m.ID); !errors.Is(err, ErrClosed) {
		t.Errorf("get: %v, want ErrClosed", err)
	}
	if _, err := s.History(Query{Group: groupID("a")}); !errors.Is(err, ErrClosed) {
		t.Errorf("history: %v, want ErrClosed", err)
	}
	if err := s.Check(); !errors.Is(err, ErrClosed) {
		t.Errorf("check: %v, want ErrClosed", err)
	}
}

func testReopen(t *testing.T, b backend) {
	if !b.onDisk {
		t.Skip("an in-memory store keeps nothing across Close")
	}
	dir := freshDir(t)
	s, err := Open(dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	g := groupID("kept")
	ms := genMessages(t, 40, g, func(i int) uint64 { return uint64(500 + i%5) })
	mustPut(t, s, ms[:30], OriginGossip)
	for _, m := range ms[30:35] {
		if err := s.Enqueue(ctx, m, OriginCatchup); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range ms[35:] {
		if _, err := s.PutOwn(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RemoveOutbox(ms[36].ID); err != nil {
		t.Fatal(err)
	}
	group := Group{ID: g, Name: "kept", Kind: "open", JoinedAt: time.UnixMilli(1_700_000_000_000)}
	peer := Peer{ID: "12D3KooWX", Addrs: []string{"/ip4/127.0.0.1/tcp/1"}, LastSeen: time.UnixMilli(1_700_000_001_000)}
	if err := s.PutGroup(group); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPeer(peer); err != nil {
		t.Fatal(err)
	}
	// Close writes what Enqueue queued.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, _ = b.open(t, dir, Config{})
	items, err := s.Items(g)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sortedItems(ms), items) {
		t.Errorf("items after reopen: %d, want %d in order", len(items), len(ms))
	}
	wantOutbox(t, s, ms[35], ms[37], ms[38], ms[39])
	// The outbox sequence continues after reopening.
	late := sign(t, testKey, g, 1, "after reopen, oldest send time")
	if _, err := s.PutOwn(ctx, late); err != nil {
		t.Fatal(err)
	}
	wantOutbox(t, s, ms[35], ms[37], ms[38], ms[39], late)
	if got, err := s.Group(g); err != nil || !sameGroup(got, group) {
		t.Errorf("group after reopen: %+v, %v", got, err)
	}
	if got, err := s.Peers(); err != nil || !slices.EqualFunc(got, []Peer{peer}, samePeer) {
		t.Errorf("peers after reopen: %+v, %v", got, err)
	}
	checkHealthy(t, s)
}
