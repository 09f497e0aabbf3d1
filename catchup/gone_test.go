package catchup

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"starling/message"
	"starling/sim/memnet/memtest"
	"starling/store"
)

// deletingStore deletes victims right after the first snapshot of the
// store's items: between a session's reconciliation and its Wants.
type deletingStore struct {
	*store.Store
	t       testing.TB
	victims []message.ID
	once    sync.Once
}

func (d *deletingStore) Items(g message.GroupID) ([]store.Item, error) {
	items, err := d.Store.Items(g)
	d.once.Do(func() {
		if err := d.Delete(context.Background(), d.victims...); err != nil {
			d.t.Errorf("delete: %v", err)
		}
	})
	return items, err
}

// A server that deletes messages it offered before they are wanted declares
// them gone; the client takes the rest and blames nobody.
func TestSyncGone(t *testing.T) { memtest.Run(t, testSyncGone) }

func testSyncGone(t *testing.T) {
	g := groupID("gone")
	ms := gen(t, g, "held", 20, spread)
	victims := []message.ID{ms[2].ID, ms[3].ID, ms[11].ID, ms[19].ID}
	serverStore := openStore(t)
	ds := &deletingStore{Store: serverStore, t: t, victims: victims}
	client, server := pair(t, Config{BatchSize: 3}, Config{Store: ds}, g)
	putAll(t, serverStore, ms...)

	res := client.sync(t, server.h.ID(), g)
	if res.Fetched != 16 || res.Gone != 4 || !res.Complete {
		t.Errorf("result = %+v, want 16 fetched, 4 gone, complete", res)
	}
	var kept []*message.Message
	for _, m := range ms {
		if !slices.Contains(victims, m.ID) {
			kept = append(kept, m)
		}
	}
	if diff := cmp.Diff(idsOf(kept), client.ids(t, g)); diff != "" {
		t.Errorf("client (-want +got):\n%s", diff)
	}
	if p := append(client.pen.peers(), server.pen.peers()...); len(p) != 0 {
		t.Errorf("penalised: %v", p)
	}
	if client.svc.Banned(server.h.ID(), g) || server.svc.Banned(client.h.ID(), g) {
		t.Error("a peer was banned")
	}
	// The next session offers nothing deleted.
	if again := client.sync(t, server.h.ID(), g); again.Fetched != 0 || again.Gone != 0 || again.Pushed != 0 {
		t.Errorf("second sync = %+v, want nothing transferred", again)
	}
}

// A server declares gone only what it offered in the session: a Want for a
// message deleted before the Hello is a protocol violation, one for a
// message deleted after it is answered gone.
func TestServeGone(t *testing.T) { memtest.Run(t, testServeGone) }

func testServeGone(t *testing.T) {
	g := groupID("serve gone")
	server := newNode(t, Config{}, g)
	early, late, kept := sign(t, g, spread(1), "deleted early"), sign(t, g, spread(2), "deleted late"), sign(t, g, spread(3), "kept")
	server.put(t, early, late, kept)
	ctx := context.Background()
	if err := server.st.Delete(ctx, early.ID); err != nil {
		t.Fatal(err)
	}

	honest := newHost(t)
	connect(t, honest, server.h)
	r := openRaw(t, honest, server.h.ID())
	if r.hello(g).GetReconcile() == nil {
		t.Fatal("Hello not answered with Reconcile")
	}
	if err := server.st.Delete(ctx, late.ID); err != nil {
		t.Fatal(err)
	}
	r.send(wantFrame(ids(late, kept)))
	msgs := r.recv().GetMessages()
	if got := msgs.GetEnvelopes(); len(got) != 1 || !slices.Equal(got[0], kept.Raw) {
		t.Errorf("answer delivers %d envelopes, want just the kept message", len(got))
	}
	if got := msgs.GetGone(); len(got) != 1 || !slices.Equal(got[0], late.ID[:]) {
		t.Errorf("answer declares %x gone, want %x", got, late.ID[:4])
	}

	r.send(wantFrame(ids(early)))
	if reason := r.expectEnd(); !strings.Contains(reason, "does not hold") {
		t.Errorf("Want of a message deleted before the session: reason %q, want \"does not hold\"", reason)
	}
}

// A client does not fetch what it deleted, whether it held the message or
// only its tombstone, and a server refuses pushed copies of what it deleted
// without blame.
func TestSyncSkipsDeleted(t *testing.T) { memtest.Run(t, testSyncSkipsDeleted) }

func testSyncSkipsDeleted(t *testing.T) {
	g := groupID("tombstones")
	client, server := pair(t, Config{}, Config{}, g)
	ctx := context.Background()
	onServer := gen(t, g, "server", 6, spread)
	onClient := gen(t, g, "client", 3, func(i int) uint64 { return spread(100 + i) })
	server.put(t, onServer...)
	client.put(t, onClient...)
	// The client held one and never saw the other; the server deleted one
	// of the client's.
	if err := client.st.Delete(ctx, onServer[0].ID, onServer[4].ID); err != nil {
		t.Fatal(err)
	}
	if err := server.st.Delete(ctx, onClient[1].ID); err != nil {
		t.Fatal(err)
	}

	for i := range 2 {
		res := client.sync(t, server.h.ID(), g)
		if i == 0 && (res.Fetched != 4 || res.Gone != 0 || res.Pushed != 3) {
			t.Errorf("first sync = %+v, want 4 fetched (not the 2 deleted), 3 pushed", res)
		}
		if i == 1 && res.Fetched != 0 {
			t.Errorf("second sync fetched %d", res.Fetched)
		}
	}
	wantClient := idsOf(onServer[1:4], onServer[5:], onClient)
	if diff := cmp.Diff(wantClient, client.ids(t, g)); diff != "" {
		t.Errorf("client (-want +got):\n%s", diff)
	}
	wantServer := idsOf(onServer, onClient[:1], onClient[2:])
	if diff := cmp.Diff(wantServer, server.ids(t, g)); diff != "" {
		t.Errorf("server (-want +got):\n%s", diff)
	}
	if !server.st.Deleted(onClient[1].ID) || !client.st.Deleted(onServer[0].ID) || !client.st.Deleted(onServer[4].ID) {
		t.Error("a tombstone went")
	}
	if p := append(client.pen.peers(), server.pen.peers()...); len(p) != 0 {
		t.Errorf("penalised: %v", p)
	}
	client.storeOK(t)
	server.storeOK(t)
}

// A server may declare everything gone: that withholds, but forges nothing,
// so it goes without blame.
func TestAllGoneIsNoOffence(t *testing.T) { memtest.Run(t, testAllGoneIsNoOffence) }

func testAllGoneIsNoOffence(t *testing.T) {
	g := groupID("all gone")
	claims := gen(t, g, "claimed", 5, spread)
	client := newNode(t, Config{}, g)
	fake := newHost(t)
	fakeServer{claims: claims, answer: answer(), gone: func(want [][]byte) [][]byte { return want }}.serve(t, fake)
	connect(t, client.h, fake)
	res := client.sync(t, fake.ID(), g)
	if res.Gone != len(claims) || res.Fetched != 0 {
		t.Errorf("result = %+v, want all %d gone", res, len(claims))
	}
	if p := client.pen.peers(); len(p) != 0 {
		t.Errorf("penalised: %v", p)
	}
}
