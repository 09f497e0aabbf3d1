//go:build !js

package engine

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"starling/catchup"
	"starling/group"
	"starling/message"
	"starling/sim/memnet/memtest"
	"starling/store"
)

// TestCatchupWithDaemonServer runs the engine's session against the
// daemon's own catch-up service (package catchup over libp2p, a store),
// as a phone catches up with a relay: the phone's engine learns a short
// link's genesis and the history, and pushes its profile, which the
// daemon's store then holds.
func TestCatchupWithDaemonServer(t *testing.T) {
	memtest.Run(t, func(t *testing.T) {
		owner := newOwner(t, "olga", group.KindOpen)
		for _, s := range []string{"one", "two", "three"} {
			owner.post(t, s)
		}
		st, err := store.Open("", store.Config{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, m := range owner.msgs {
			if _, err := st.Put(ctx, m, store.OriginOwn); err != nil {
				t.Fatal(err)
			}
		}
		relay := newHost(t)
		svc, err := catchup.New(relay, catchup.Config{
			Store:  st,
			Joined: func(g message.GroupID) bool { return g == owner.st.ID() },
			Judge: catchup.CheckFunc(func(_ peer.ID, g message.GroupID, raw []byte) (*message.Message, message.Verdict, error) {
				m, err := message.Verify(raw, time.Now())
				if err != nil {
					return nil, message.VerdictOf(err), err
				}
				_, v, err := owner.st.Check(m, time.Now())
				return m, v, err
			}),
		})
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		phone := newHost(t)
		if err := phone.Connect(ctx, peer.AddrInfo{ID: relay.ID(), Addrs: relay.Addrs()}); err != nil {
			t.Fatal(err)
		}

		e := New(nil)
		mustIdentity(t, e, "pat")
		j := mustJoin(t, e, owner.link(t))
		all, last := streamSync(ctx, t, e, phone, relay.ID(), j.Group.ID)
		// The texts and profile come in the genesis's batch, so they are
		// judged before it is known (ignored, as the daemon counts them)
		// and accepted once it is, as they waited for it.
		if !last.Done || last.Result.Fetched+last.Result.Ignored != len(owner.msgs) || len(all.Stored) != len(owner.msgs)+1 { // and the phone's profile
			t.Fatalf("first session: %+v, stored %d %q; want %d", last.Result, len(all.Stored), texts(all.Stored), len(owner.msgs))
		}
		got := texts(all.Stored)
		slices.Sort(got)
		if !slices.Equal(got, []string{"one", "three", "two"}) {
			t.Fatalf("texts %q", got)
		}
		if len(all.Publish) != 1 {
			t.Fatalf("publish %d, want the phone's profile", len(all.Publish))
		}
		profile, _ := message.Decode(all.Publish[0].Raw)
		_, last = streamSync(ctx, t, e, phone, relay.ID(), j.Group.ID)
		if !last.Done || last.Result.Pushed != 1 {
			t.Fatalf("second session: %+v; want the profile pushed", last.Result)
		}
		if ok, err := st.Has(profile.ID); !ok || err != nil {
			t.Fatalf("the daemon's store does not hold the pushed profile: %v", err)
		}
		// A session for a group the relay does not carry ends with its
		// refusal, as a clear error.
		other := newOwner(t, "oscar", group.KindOpen)
		j2 := mustJoin(t, e, other.link(t))
		_, last = streamSync(ctx, t, e, phone, relay.ID(), j2.Group.ID)
		if last.Error == "" || !contains(last.Error, "not in group") {
			t.Fatalf("a group the relay does not carry: %+v", last)
		}
	})
}

func newHost(t *testing.T) host.Host {
	t.Helper()
	h, err := libp2p.New(append(memtest.HostOptions(t, "127.0.0.1"), libp2p.DisableRelay())...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// streamSync runs one session over a libp2p stream, as the page does.
func streamSync(ctx context.Context, t *testing.T, e *Engine, h host.Host, p peer.ID, groupID string) (changes, Fed) {
	t.Helper()
	s, err := h.NewStream(ctx, p, CatchupProtocol)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	started, err := e.SyncStart(groupID)
	if err != nil {
		t.Fatal(err)
	}
	defer e.SyncClose(started.Session)
	all := newChanges()
	out := started.Out
	buf := make([]byte, 4096)
	for {
		if len(out) > 0 {
			if _, err := s.Write(out); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.Read(buf)
		if n == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return all, Fed{Error: "the stream ended", Code: CodeProtocol}
			}
			return all, Fed{Error: err.Error()}
		}
		f := e.SyncFeed(started.Session, buf[:n])
		all.Stored = append(all.Stored, f.Stored...)
		all.Publish = append(all.Publish, f.Publish...)
		all.Changed = append(all.Changed, f.Changed...)
		out = f.Out
		if f.Done || f.Error != "" {
			if len(f.Out) > 0 {
				s.Write(f.Out)
			}
			return all, f
		}
	}
}
