package catchup

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"starling/message"
	"starling/sim/memnet/memtest"
	"starling/store"
)

// One Sync leaves both sides with the union, whatever the sets look like;
// the Result counts what moved, and a second Sync moves nothing.
func TestSyncSets(t *testing.T) {
	g := poolGroup
	for _, tc := range []struct {
		name                   string
		common, client, server int
		sameTime               bool
	}{
		{"both empty", 0, 0, 0, false},
		{"disjoint", 0, 100, 120, false},
		{"overlapping", 200, 30, 40, false},
		{"identical", 300, 0, 0, false},
		{"client empty, server 5000", 0, 0, 5000, false},
		{"client 5000, server empty", 0, 5000, 0, false},
		{"5000 each, 1% differing", 4950, 50, 50, false},
		{"5000 each, 1% differing, ten timestamps", 4950, 50, 50, true},
	} {
		t.Run(tc.name, virtual(func(t *testing.T) {
			ms := pool(t, "spread", tc.common+tc.client+tc.server, spread)
			if tc.sameTime {
				ms = pool(t, "same time", tc.common+tc.client+tc.server, sameTime)
			}
			common, onClient, onServer := ms[:tc.common], ms[tc.common:tc.common+tc.client], ms[tc.common+tc.client:]
			client, server := pair(t, Config{}, Config{}, g)
			client.put(t, append(slices.Clone(common), onClient...)...)
			server.put(t, append(slices.Clone(common), onServer...)...)

			res := client.sync(t, server.h.ID(), g)
			if res.Fetched != tc.server || res.Pushed != tc.client || res.Ignored != 0 || !res.Complete {
				t.Errorf("result = %+v, want %d fetched, %d pushed, none ignored, complete", res, tc.server, tc.client)
			}
			if res.Peer != server.h.ID() || res.Group != g || res.Rounds < 1 || res.BytesSent == 0 || res.BytesReceived == 0 {
				t.Errorf("result = %+v: wrong peer, group or counters", res)
			}
			want := idsOf(common, onClient, onServer)
			for name, n := range map[string]*node{"client": client, "server": server} {
				if diff := cmp.Diff(want, n.ids(t, g)); diff != "" {
					t.Errorf("%s does not hold the union (-want +got):\n%s", name, diff)
				}
				n.storeOK(t)
			}

			again := client.sync(t, server.h.ID(), g)
			if again.Fetched != 0 || again.Pushed != 0 || again.Batches != 0 || !again.Complete {
				t.Errorf("second sync = %+v, want nothing transferred", again)
			}
			if p := append(client.pen.peers(), server.pen.peers()...); len(p) != 0 {
				t.Errorf("honest peers penalised: %v", p)
			}
		}))
	}
}

// A need larger than BatchSize takes several Wants, and pushes are batched
// the same way.
func TestSyncBatches(t *testing.T) { memtest.Run(t, testSyncBatches) }

func testSyncBatches(t *testing.T) {
	g := groupID("batches")
	client, server := pair(t, Config{BatchSize: 16}, Config{}, g)
	server.put(t, gen(t, g, "server", 100, spread)...)
	client.put(t, gen(t, g, "client", 50, spread)...)

	res := client.sync(t, server.h.ID(), g)
	// ceil(100/16) Wants and ceil(50/16) pushes.
	if res.Fetched != 100 || res.Pushed != 50 || res.Batches != 7+4 {
		t.Errorf("result = %+v, want 100 fetched, 50 pushed in 11 batches", res)
	}
	if got := len(server.ids(t, g)); got != 150 {
		t.Errorf("server holds %d messages, want 150", got)
	}
}

// Large messages split batches by bytes: the server answers a Want with as
// many as fit in its frames, the client asks again for the rest, and pushes
// are cut the same way.
func TestSyncBatchesByBytes(t *testing.T) { memtest.Run(t, testSyncBatchesByBytes) }

func testSyncBatchesByBytes(t *testing.T) {
	g := groupID("big")
	big := func(tag string, n int) []*message.Message {
		ms := make([]*message.Message, n)
		for i := range ms {
			ms[i] = sign(t, g, spread(i), tag+strings.Repeat("x", message.MaxTextSize-100))
		}
		return ms
	}
	small := Config{MaxFrame: minFrame, BatchSize: 16}
	client, server := pair(t, small, small, g)
	fromServer, fromClient := big("s", 20), big("c", 20)
	server.put(t, fromServer...)
	client.put(t, fromClient...)

	res := client.sync(t, server.h.ID(), g)
	// Without the byte limit this would be 2 Wants and 2 pushes.
	if res.Fetched != 20 || res.Pushed != 20 || res.Batches <= 4 {
		t.Errorf("result = %+v, want 20 fetched and 20 pushed in more than 4 batches", res)
	}
	want := idsOf(fromServer, fromClient)
	if diff := cmp.Diff(want, server.ids(t, g)); diff != "" {
		t.Errorf("server (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, client.ids(t, g)); diff != "" {
		t.Errorf("client (-want +got):\n%s", diff)
	}
}

// A client that stops at its round limit transfers what it found and says
// the result is incomplete; further Syncs finish the job.
func TestSyncIncomplete(t *testing.T) { memtest.Run(t, testSyncIncomplete) }

func testSyncIncomplete(t *testing.T) {
	g := poolGroup
	client, server := pair(t, Config{MaxRounds: 2}, Config{}, g)
	client.svc.sketch.offer = legacyOnly // Negentropy's rounds; riblt's come all or nothing
	all := pool(t, "spread", 5000, spread)
	server.put(t, all...)

	first := client.sync(t, server.h.ID(), g)
	if first.Complete || first.Fetched == 0 || first.Fetched == len(all) {
		t.Fatalf("first sync = %+v, want an incomplete, partial transfer", first)
	}
	total := first.Fetched
	for i := 0; i < 20 && total < len(all); i++ {
		res := client.sync(t, server.h.ID(), g)
		if res.Fetched == 0 {
			t.Fatalf("sync %d made no progress: %+v", i+2, res)
		}
		total += res.Fetched
	}
	if diff := cmp.Diff(idsOf(all), client.ids(t, g)); diff != "" {
		t.Errorf("client after repeated syncs (-want +got):\n%s", diff)
	}
}

// Messages that Check ignores (here: dated past the allowed clock skew) are
// skipped without blame, and the rest of the session goes on.
func TestSyncIgnored(t *testing.T) { memtest.Run(t, testSyncIgnored) }

func testSyncIgnored(t *testing.T) {
	g := groupID("ignored")
	client, server := pair(t, Config{}, Config{}, g)
	future := sign(t, g, message.TimeMS(time.Now().Add(time.Hour)), "from the future")
	ok := gen(t, g, "ok", 5, spread)
	server.put(t, append(ok, future)...)

	res := client.sync(t, server.h.ID(), g)
	if res.Fetched != 5 || res.Ignored != 1 {
		t.Errorf("result = %+v, want 5 fetched, 1 ignored", res)
	}
	if diff := cmp.Diff(idsOf(ok), client.ids(t, g)); diff != "" {
		t.Errorf("client (-want +got):\n%s", diff)
	}
	if p := client.pen.peers(); len(p) != 0 {
		t.Errorf("server penalised for a message the client only ignored: %v", p)
	}
}

// Either side refuses a group it has not joined, without blame.
func TestSyncNotInGroup(t *testing.T) { memtest.Run(t, testSyncNotInGroup) }

func testSyncNotInGroup(t *testing.T) {
	a, b := groupID("a"), groupID("b")
	client := newNode(t, Config{}, a, b)
	server := newNode(t, Config{}, a)
	connect(t, client.h, server.h)
	ctx := context.Background()

	if _, err := client.svc.Sync(ctx, server.h.ID(), groupID("c")); !errors.Is(err, ErrNotInGroup) || errors.Is(err, ErrRemote) {
		t.Errorf("sync of a group the client has not joined: %v, want local ErrNotInGroup", err)
	}
	_, err := client.svc.Sync(ctx, server.h.ID(), b)
	if !errors.Is(err, ErrNotInGroup) || !errors.Is(err, ErrRemote) {
		t.Errorf("sync of a group the server has not joined: %v, want ErrNotInGroup from the peer", err)
	}
	if p := append(client.pen.peers(), server.pen.peers()...); len(p) != 0 {
		t.Errorf("penalised for a group mismatch: %v", p)
	}
	client.sync(t, server.h.ID(), a)
}

func TestNewConfig(t *testing.T) {
	h := newHost(t)
	st, err := store.Open("", store.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	base := Config{Store: st, Joined: func(message.GroupID) bool { return true }, Judge: CheckFunc(check(time.Now))}
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"no store", func(c *Config) { c.Store = nil }},
		{"no joined", func(c *Config) { c.Joined = nil }},
		{"no judge", func(c *Config) { c.Judge = nil }},
		{"frame too small for an envelope", func(c *Config) { c.MaxFrame = message.MaxEnvelopeSize }},
		{"frame above the protocol limit", func(c *Config) { c.MaxFrame = MaxFrameSize + 1 }},
		{"negentropy limit too small", func(c *Config) { c.FrameSizeLimit = 1000 }},
		{"negentropy limit beyond the frame", func(c *Config) { c.FrameSizeLimit = MaxFrameSize }},
		{"batch above the protocol limit", func(c *Config) { c.BatchSize = MaxBatchSize + 1 }},
		{"negative batch", func(c *Config) { c.BatchSize = -1 }},
		{"negative timeout", func(c *Config) { c.IOTimeout = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.edit(&cfg)
			if svc, err := New(h, cfg); err == nil {
				_ = svc.Close()
				t.Error("New accepted the config")
			}
		})
	}
	svc, err := New(h, base)
	if err != nil {
		t.Fatalf("New with defaults: %v", err)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
}
