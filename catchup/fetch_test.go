package catchup

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"starling/message"
	"starling/sim/memnet/memtest"
	"starling/store"
)

// mapStore serves messages from a map; swap answers one ID with another
// message, as a hostile server would.
type mapStore struct {
	msgs map[message.ID]*message.Message
	swap map[message.ID]*message.Message
}

func (s mapStore) Get(id message.ID) (store.Stored, error) {
	if m, ok := s.swap[id]; ok {
		return store.Stored{Msg: m}, nil
	}
	m, ok := s.msgs[id]
	if !ok {
		return store.Stored{}, store.ErrNotFound
	}
	return store.Stored{Msg: m}, nil
}

func signKind(t *testing.T, g message.GroupID, kind message.Kind, payload []byte) *message.Message {
	t.Helper()
	m, err := message.Sign(testKey, message.Body{Group: g, SentAtMS: baseMS, Kind: kind, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFetch(t *testing.T) { memtest.Run(t, testFetch) }

func testFetch(t *testing.T) {
	g, other := groupID("fetch"), groupID("other")
	chunk1 := signKind(t, g, message.KindImageChunk, bytes.Repeat([]byte{1}, 60<<10))
	chunk2 := signKind(t, g, message.KindImageChunk, []byte{2})
	text := sign(t, g, baseMS, "a text, never served by fetch")
	elsewhere := signKind(t, other, message.KindImageChunk, []byte{3})
	st := mapStore{msgs: map[message.ID]*message.Message{}, swap: map[message.ID]*message.Message{}}
	for _, m := range []*message.Message{chunk1, chunk2, text, elsewhere} {
		st.msgs[m.ID] = m
	}
	server, client := newHost(t), newHost(t)
	srv, err := NewFetcher(server, FetchConfig{Store: st, Burst: 100 << 10, Rate: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cl, err := NewFetcher(client, FetchConfig{Store: mapStore{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	connect(t, client, server)
	ctx := context.Background()

	// In order; missing, other kinds and other groups' chunks answered nil.
	missing := message.ID{9}
	got, err := cl.Fetch(ctx, server.ID(), g, []message.ID{chunk2.ID, missing, text.ID, elsewhere.ID, chunk1.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{chunk2.Raw, nil, nil, nil, chunk1.Raw}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("answer %d: %d bytes, want %d", i, len(got[i]), len(want[i]))
		}
	}
	// The peer's budget (100 KiB, 1 B/s) is spent: the big chunk is now
	// missing here, the small one still fits.
	got, err = cl.Fetch(ctx, server.ID(), g, []message.ID{chunk1.ID, chunk2.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != nil || !bytes.Equal(got[1], chunk2.Raw) {
		t.Errorf("over budget: answers of %d and %d bytes, want 0 and %d", len(got[0]), len(got[1]), len(chunk2.Raw))
	}
	if served, refused := srv.Served(); served != 3 || refused != 1 {
		t.Errorf("served %d, refused %d; want 3 and 1", served, refused)
	}
	// A server that answers one ID with another message is caught.
	st.swap[chunk1.ID] = chunk2 // small enough for what is left of the budget
	if _, err := cl.Fetch(ctx, server.ID(), g, []message.ID{chunk1.ID}); !errors.Is(err, ErrFetch) {
		t.Errorf("a swapped answer: %v, want ErrFetch", err)
	}
	// Requests out of bounds are the caller's mistake.
	for _, n := range []int{0, MaxFetchIDs + 1} {
		if _, err := cl.Fetch(ctx, server.ID(), g, make([]message.ID, n)); err == nil || errors.Is(err, ErrFetch) {
			t.Errorf("a request of %d IDs: %v", n, err)
		}
	}
}
