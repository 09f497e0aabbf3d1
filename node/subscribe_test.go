package node_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"starling/message"
	"starling/node"
	"starling/store"
)

// next reads one event or fails after waitTimeout.
func next(t testing.TB, events <-chan store.Stored) store.Stored {
	t.Helper()
	select {
	case st, ok := <-events:
		if !ok {
			t.Fatal("the subscription ended early")
		}
		return st
	case <-time.After(waitTimeout):
	}
	t.Fatalf("no event after %s", waitTimeout)
	return store.Stored{}
}

// drain reads until the channel closes and returns what it held.
func drain(t testing.TB, events <-chan store.Stored) []store.Stored {
	t.Helper()
	var got []store.Stored
	timeout := time.After(waitTimeout)
	for {
		select {
		case st, ok := <-events:
			if !ok {
				return got
			}
			got = append(got, st)
		case <-timeout:
			t.Fatalf("the subscription did not end within %s", waitTimeout)
		}
	}
}

// A subscriber sees own and received messages in commit order. One that
// never reads is dropped with ErrLagged once its buffer is full, without
// disturbing the reader or the store. Cancelling the context ends a
// subscription with nil; shutting the node down ends it with ErrClosed.
func TestSubscribe(t *testing.T) {
	t.Parallel()
	virtual(t, testSubscribe)
}

func testSubscribe(t *testing.T) {
	const buffer = 2
	alice := startNode(t, "alice", func(c *node.Config) { c.SubscriberBuffer = buffer })
	bob := startNode(t, "bob")
	connect(t, alice, bob)
	alice.join(t, "lobby")
	bob.join(t, "lobby")
	waitTopicPeers(t, "lobby", alice, bob)

	ctx := context.Background()
	reader, readerErr := alice.Subscribe(ctx)
	sleeper, sleeperErr := alice.Subscribe(ctx)
	cancelCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	cancelled, cancelledErr := alice.Subscribe(cancelCtx)

	// Each step waits for the reader's event, so the reader never holds
	// more than one; the sleeper holds buffer and then overflows.
	steps := []struct {
		from   *testNode
		text   string
		origin store.Origin
	}{
		{alice, "first, from alice", store.OriginOwn},
		{bob, "second, from bob", store.OriginGossip},
		{alice, "third, from alice", store.OriginOwn},
		{bob, "fourth, from bob", store.OriginGossip},
	}
	var sent []*message.Message
	for i, s := range steps {
		m := s.from.send(t, "lobby", s.text)
		sent = append(sent, m)
		st := next(t, reader)
		if st.Msg.ID != m.ID || st.Origin != s.origin {
			t.Fatalf("event %d = %s (%s), want %s (%s)", i, st.Msg.ID.Short(), st.Origin, m.ID.Short(), s.origin)
		}
		if i == 0 {
			// Ended before the next message, so it holds the first at
			// most: its end is the cancel, not a lag.
			cancel()
			if got := drain(t, cancelled); len(got) > 1 {
				t.Errorf("the cancelled subscription held %d events", len(got))
			}
			if err := cancelledErr(); err != nil {
				t.Errorf("the cancelled subscription ended with %v, want nil", err)
			}
		}
	}

	got := drain(t, sleeper)
	if len(got) != buffer {
		t.Errorf("the sleeper held %d events, want %d", len(got), buffer)
	}
	for i, st := range got {
		if st.Msg.ID != sent[i].ID {
			t.Errorf("the sleeper's event %d = %s, want %s", i, st.Msg.ID.Short(), sent[i].ID.Short())
		}
	}
	if err := sleeperErr(); !errors.Is(err, node.ErrLagged) {
		t.Errorf("the sleeper ended with %v, want %v", err, node.ErrLagged)
	}

	if n, err := alice.Count(groupID(t, "lobby")); err != nil || n != len(sent) {
		t.Errorf("Count = %d, %v; want %d: the lagging subscriber must not cost messages", n, err, len(sent))
	}
	if err := readerErr(); err != nil {
		t.Errorf("the reader's subscription: %v", err)
	}

	// A subscription open when the node shuts down ends with ErrClosed, and
	// one started afterwards is closed at once.
	last, lastErr := alice.Subscribe(ctx)
	if err := alice.stop(); err != nil {
		t.Fatal(err)
	}
	drain(t, last)
	if err := lastErr(); !errors.Is(err, node.ErrClosed) {
		t.Errorf("subscription at shutdown ended with %v, want %v", err, node.ErrClosed)
	}
	late, lateErr := alice.Subscribe(ctx)
	if got := drain(t, late); len(got) != 0 {
		t.Errorf("a subscription after shutdown got %d events", len(got))
	}
	if err := lateErr(); !errors.Is(err, node.ErrClosed) {
		t.Errorf("subscription after shutdown ended with %v, want %v", err, node.ErrClosed)
	}
}
