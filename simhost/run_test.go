package simhost

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"starling/message"
	"starling/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeNode sends by recording, and streams what the test puts in stored.
type fakeNode struct {
	mu     sync.Mutex
	sends  []string // texts, in send order
	stored chan store.Stored
	end    error // what the subscription's errf returns
}

var errNoGroup = errors.New("no such group")

func (f *fakeNode) Send(_ context.Context, ref, text string) (*message.Message, int, error) {
	if ref == "nowhere" {
		return nil, 0, errNoGroup
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sends = append(f.sends, text)
	m := &message.Message{}
	m.ID[0] = byte(len(f.sends))
	m.Body.Group[0] = 0xaa
	return m, 1, nil
}

func (f *fakeNode) Subscribe(ctx context.Context) (<-chan store.Stored, func() error) {
	out := make(chan store.Stored)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case st, ok := <-f.stored:
				if !ok {
					return
				}
				out <- st
			}
		}
	}()
	return out, func() error { <-done; return f.end }
}

func TestRunPlaysScriptAndRecords(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		n := &fakeNode{stored: make(chan store.Stored)}
		var log bytes.Buffer
		start := time.Now().Add(time.Second) // the script's zero is ahead of Run
		cfg := Config{
			Node: n, Host: "attendee-0", Peer: "12D3KooWpeer", Start: start,
			Script: []Send{
				{At: time.Second, Group: "lobby", Msg: 0, Text: "a"},
				{At: 2 * time.Second, Group: "nowhere", Msg: 1, Text: "b"},
			},
			Events:   NewWriter(&log),
			Counters: func() Counters { return Counters{BytesIn: 10, QueueDrops: 2} },
		}
		done := make(chan error)
		go func() { done <- Run(ctx, cfg) }()

		time.Sleep(500 * time.Millisecond)
		m := &message.Message{}
		m.ID[0] = 0x42
		received := time.Now()
		n.stored <- store.Stored{Msg: m, Origin: store.OriginGossip, ReceivedAt: received}

		time.Sleep(5 * time.Second)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}

		events, err := ReadEvents(&log)
		if err != nil {
			t.Fatal(err)
		}
		kinds := make([]string, len(events))
		for i, e := range events {
			kinds[i] = e.Kind
		}
		want := []string{EventStart, EventStored, EventSent, EventSendFailed, EventStats}
		if len(kinds) != len(want) {
			t.Fatalf("events %q, want %q", kinds, want)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("events %q, want %q", kinds, want)
			}
		}
		if e := events[0]; e.Host != "attendee-0" || e.Peer != "12D3KooWpeer" || !e.Zero.Equal(start) {
			t.Errorf("start event %+v", e)
		}
		if e := events[1]; !e.T.Equal(received) || e.Origin != "gossip" || e.ID != m.ID.String() {
			t.Errorf("stored event %+v, want the message received at %s by gossip", e, received)
		}
		// On virtual time the sends start exactly at their times after the
		// script's start.
		var group message.GroupID
		group[0] = 0xaa
		if e := events[2]; *e.Msg != 0 || !e.T.Equal(start.Add(time.Second)) || e.Group != group.String() {
			t.Errorf("sent event %+v, want msg 0 at %s", e, start.Add(time.Second))
		}
		if e := events[3]; *e.Msg != 1 || !e.T.Equal(start.Add(2*time.Second)) || e.Error != errNoGroup.Error() {
			t.Errorf("send-failed event %+v, want msg 1 at %s", e, start.Add(2*time.Second))
		}
		if e := events[4]; e.Stats.BytesIn != 10 || e.Stats.QueueDrops != 2 {
			t.Errorf("stats event %+v", e.Stats)
		}
		if len(n.sends) != 1 || n.sends[0] != "a" {
			t.Errorf("sent %q, want [a]", n.sends)
		}
	})
}

// A script cut short by the end of the run sends nothing more, and a
// subscription that lost messages says so in the log.
func TestRunStopsAndReportsLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		errLagged := errors.New("subscriber fell behind")
		n := &fakeNode{stored: make(chan store.Stored), end: errLagged}
		var log bytes.Buffer
		cfg := Config{
			Node: n, Host: "h", Peer: "p",
			Script: []Send{{At: time.Hour, Group: "lobby", Msg: 0, Text: "late"}},
			Events: NewWriter(&log),
			Lost:   func(err error) bool { return errors.Is(err, errLagged) },
		}
		done := make(chan error)
		go func() { done <- Run(ctx, cfg) }()
		time.Sleep(time.Minute)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		events, err := ReadEvents(&log)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 || events[1].Kind != EventLost || events[1].Error != errLagged.Error() || !events[0].Zero.IsZero() {
			t.Errorf("events %+v, want start and lost", events)
		}
		if len(n.sends) != 0 {
			t.Errorf("sent %q after the run ended", n.sends)
		}
	})
}

func TestRunNeedsNode(t *testing.T) {
	if err := Run(t.Context(), Config{}); !errors.Is(err, ErrNoNode) {
		t.Errorf("err = %v, want ErrNoNode", err)
	}
}

// Before runs while the log records and before the script plays; when it
// fails, nothing is sent and Run says why once the run ends.
func TestRunBefore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, fail := range []bool{false, true} {
			ctx, cancel := context.WithCancel(t.Context())
			n := &fakeNode{stored: make(chan store.Stored)}
			var log bytes.Buffer
			errNoInvite := errors.New("no invite")
			cfg := Config{
				Node: n, Host: "h", Peer: "p", Events: NewWriter(&log),
				Script: []Send{{At: time.Second, Group: "crew", Msg: 0, Text: "a"}},
				Before: func(ctx context.Context) error {
					m := &message.Message{}
					m.ID[0] = 7
					n.stored <- store.Stored{Msg: m, Origin: store.OriginGossip, ReceivedAt: time.Now()}
					time.Sleep(5 * time.Second) // waiting for the invite
					if fail {
						return errNoInvite
					}
					return nil
				},
			}
			done := make(chan error)
			go func() { done <- Run(ctx, cfg) }()
			time.Sleep(10 * time.Second)
			cancel()
			err := <-done
			events, rerr := ReadEvents(&log)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if len(events) < 2 || events[1].Kind != EventStored {
				t.Errorf("fail %v: events %+v, want what was stored during Before recorded", fail, events)
			}
			switch {
			case fail && (!errors.Is(err, errNoInvite) || len(n.sends) != 0):
				t.Errorf("Before failed: Run = %v and sent %q; want its error and nothing sent", err, n.sends)
			case !fail && (err != nil || len(n.sends) != 1):
				t.Errorf("Before succeeded: Run = %v and sent %q; want the script played", err, n.sends)
			}
		}
	})
}
