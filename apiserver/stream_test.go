package apiserver_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"starling/api"
	"starling/group"
	"starling/internal/testwait"
	"starling/store"
)

// stream runs Client.Events in a goroutine that the test joins.
type stream struct {
	got    chan api.Message
	done   chan error
	cancel context.CancelFunc
}

func startStream(t testing.TB, s *testServer, ref string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := &stream{got: make(chan api.Message, 64), done: make(chan error, 1), cancel: cancel}
	go func() {
		st.done <- s.client.Events(ctx, ref, nil, func(m api.Message) error {
			st.got <- m
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-st.done
	})
	return st
}

func (st *stream) next(t testing.TB) api.Message {
	t.Helper()
	select {
	case m := <-st.got:
		return m
	case err := <-st.done:
		t.Fatalf("the stream ended: %v", err)
	case <-time.After(waitTimeout):
		t.Fatalf("no event within %s", waitTimeout)
	}
	return api.Message{}
}

func (st *stream) end(t testing.TB) error {
	t.Helper()
	select {
	case err := <-st.done:
		st.done <- err // for the cleanup
		return err
	case <-time.After(waitTimeout):
		t.Fatalf("the stream did not end within %s", waitTimeout)
	}
	return nil
}

// subscription waits for the server to subscribe to the backend.
func (b *fakeBackend) subscription(t testing.TB) *fakeSub {
	t.Helper()
	select {
	case s := <-b.subscribed:
		return s
	case <-time.After(waitTimeout):
		t.Fatalf("the server did not subscribe within %s", waitTimeout)
	}
	return nil
}

// stored signs a text message for the named channel as the backend's
// store would hand it to a subscriber.
func stored(t testing.TB, b *fakeBackend, channel, text string) store.Stored {
	t.Helper()
	gid, _, err := group.OpenChannelID(channel)
	if err != nil {
		t.Fatal(err)
	}
	m, err := signText(b.user, gid, text, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return store.Stored{Msg: m, Origin: store.OriginGossip, ReceivedAt: time.Now()}
}

func TestEventsGroupFilterAndEnd(t *testing.T) {
	b := newFakeBackend(t)
	for _, name := range []string{"lobby", "talks"} {
		if _, err := b.Join(context.Background(), name); err != nil {
			t.Fatal(err)
		}
	}
	s := startServer(t, b)
	st := startStream(t, s, "lobby")
	sub := b.subscription(t)

	// talks comes first; if the filter let it through, it would be the
	// first event.
	talks, lobby1, lobby2 := stored(t, b, "talks", "elsewhere"), stored(t, b, "lobby", "here"), stored(t, b, "lobby", "here \u200b again")
	for _, m := range []store.Stored{talks, lobby1, lobby2} {
		sub.send(m)
	}
	for _, want := range []store.Stored{lobby1, lobby2} {
		got := st.next(t)
		text, _ := want.Msg.Text()
		if got.ID != want.Msg.ID.String() || got.Group != "lobby" || got.Text != text.Text || got.Origin != "gossip" {
			t.Errorf("event = %+v, want %s in lobby", got, want.Msg.ID.Short())
		}
	}

	sub.end(errors.New("subscriber fell behind"))
	err := st.end(t)
	if !errors.Is(err, api.ErrStreamEnded) || !strings.Contains(err.Error(), "fell behind") {
		t.Errorf("Events = %v, want %v with the reason", err, api.ErrStreamEnded)
	}
	select {
	case m := <-st.got:
		t.Errorf("an event after the lobby ones: %+v", m)
	default:
	}
}

func TestEventsAllGroups(t *testing.T) {
	b := newFakeBackend(t)
	if _, err := b.Join(context.Background(), "lobby"); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, b)
	st := startStream(t, s, "")
	sub := b.subscription(t)

	lobby, unknown := stored(t, b, "lobby", "joined"), stored(t, b, "talks", "not joined")
	sub.send(lobby)
	sub.send(unknown)
	if got := st.next(t); got.Group != "lobby" {
		t.Errorf("event group = %q, want lobby", got.Group)
	}
	// A group that is not joined (any more) is named by its ID.
	if got := st.next(t); got.Group != unknown.Msg.Body.Group.String() || got.GroupID != got.Group {
		t.Errorf("event of an unjoined group: group %q, id %q; want the hex ID", got.Group, got.GroupID)
	}

	sub.end(nil)
	if err := st.end(t); !errors.Is(err, api.ErrStreamEnded) || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Events = %v, want %v", err, api.ErrStreamEnded)
	}
}

func TestEventsEnds(t *testing.T) {
	b := newFakeBackend(t)
	if _, err := b.Join(context.Background(), "lobby"); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, b)

	t.Run("unjoined group", func(t *testing.T) {
		err := s.client.Events(context.Background(), "talks", nil, func(api.Message) error { return nil })
		var apiErr *api.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
			t.Errorf("Events(talks) = %v, want a 404 APIError", err)
		}
	})

	t.Run("client cancels", func(t *testing.T) {
		st := startStream(t, s, "lobby")
		sub := b.subscription(t)
		st.cancel()
		if err := st.end(t); !errors.Is(err, context.Canceled) {
			t.Errorf("Events = %v, want %v", err, context.Canceled)
		}
		// The server notices the client left and ends the subscription.
		testwait.Until(t, waitTimeout, "the server to end the subscription", func() bool {
			sub.mu.Lock()
			defer sub.mu.Unlock()
			return sub.done
		})
	})

	t.Run("callback fails", func(t *testing.T) {
		stop := errors.New("enough")
		done := make(chan error, 1)
		go func() {
			done <- s.client.Events(context.Background(), "", nil, func(api.Message) error { return stop })
		}()
		b.subscription(t).send(stored(t, b, "lobby", "one"))
		select {
		case err := <-done:
			if !errors.Is(err, stop) {
				t.Errorf("Events = %v, want the callback's error", err)
			}
		case <-time.After(waitTimeout):
			t.Fatal("Events did not return after its callback failed")
		}
	})

	t.Run("daemon shuts down", func(t *testing.T) {
		st := startStream(t, s, "")
		b.subscription(t)
		s.stop()
		if err := st.end(t); !errors.Is(err, api.ErrStreamEnded) {
			t.Errorf("Events = %v, want %v", err, api.ErrStreamEnded)
		}
	})
}
