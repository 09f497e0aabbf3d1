package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"starling/api"
	"starling/internal/testwait"
)

// runChat runs Run on a pipe for input and a buffer for output, and
// returns a function that types into it and one that waits for Run's end.
func runChat(t *testing.T, fake *fakeClient, group string) (typeIn func(string), wait func() error) {
	t.Helper()
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	done := make(chan error, 1)
	cfg := Config{
		Client: fake, Group: group, Input: r, Output: &bytes.Buffer{},
		StatusEvery: 10 * time.Millisecond, Retry: 10 * time.Millisecond,
		options: []tea.ProgramOption{tea.WithWindowSize(80, 24)},
	}
	go func() { done <- Run(t.Context(), cfg) }()
	typeIn = func(s string) {
		if _, err := io.WriteString(w, s); err != nil {
			t.Fatalf("type %q: %v", s, err)
		}
	}
	wait = func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10s of quitting")
			return nil
		}
	}
	return typeIn, wait
}

// waitTimeout bounds every wait for the chat program to react.
const waitTimeout = 10 * time.Second

// TestChatRunSendsAndQuits runs the whole program: keys typed on the input
// send a message, Ctrl-C quits, and Run returns nil having ended every
// goroutine it started (TestMain checks for leaks).
func TestChatRunSendsAndQuits(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	fake.sendRes = func(_, body string) (api.SendResponse, error) {
		return api.SendResponse{Message: text("lobby", me, 1, body), Peers: 1}, nil
	}
	typeIn, wait := runChat(t, fake, "party")
	typeIn("hello from the pipe\r")
	want := groupID("party") + ": hello from the pipe"
	testwait.Until(t, waitTimeout, "the typed line is sent", func() bool { return slices.Contains(fake.calls(&fake.sent), want) })
	typeIn("\x03") // Ctrl-C
	if err := wait(); err != nil {
		t.Fatalf("Run after Ctrl-C: %v", err)
	}
}

// TestChatRunReportsLostDaemon: a stream that fails for good leaves the chat
// running with a notice; quitting then returns ErrDaemonLost.
func TestChatRunReportsLostDaemon(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	gone := errors.New("the daemon for /tmp/home is not answering: connection refused")
	watched := make(chan struct{}, 100)
	fake.watch = func(context.Context, func(), func(api.Event) error) error {
		select {
		case watched <- struct{}{}:
		default:
		}
		return gone
	}
	typeIn, wait := runChat(t, fake, "")
	// It retries: a second attempt means the first failure was seen.
	for range 2 {
		select {
		case <-watched:
		case <-time.After(10 * time.Second):
			t.Fatal("the event stream was not retried")
		}
	}
	typeIn("/quit\r")
	err := wait()
	if !errors.Is(err, ErrDaemonLost) || !errors.Is(err, gone) {
		t.Fatalf("Run returned %v, want ErrDaemonLost wrapping %v", err, gone)
	}
}

func TestChatRunChecksBeforeTakingTheScreen(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	out := &bytes.Buffer{}
	err := Run(t.Context(), Config{Client: fake, Group: "nowhere", Input: &bytes.Buffer{}, Output: out})
	var apiErr *api.APIError
	if !errors.As(err, &apiErr) || out.Len() != 0 {
		t.Fatalf("Run with an unknown group: %v, output %q; want the daemon's error and nothing drawn", err, out)
	}
	fake.statusErr = fmt.Errorf("no daemon is running")
	if err := Run(t.Context(), Config{Client: fake, Input: &bytes.Buffer{}, Output: out}); err == nil || out.Len() != 0 {
		t.Fatalf("Run with no daemon: %v, output %q", err, out)
	}
	if err := Run(t.Context(), Config{}); err == nil {
		t.Fatal("Run without a client succeeded")
	}
}

// TestChatRunEndsWithContext: a signal (ctx cancelled) ends the chat quietly.
func TestChatRunEndsWithContext(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	ctx, cancel := context.WithCancel(t.Context())
	r, w := io.Pipe()
	defer w.Close()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Client: fake, Input: r, Output: &bytes.Buffer{}, options: []tea.ProgramOption{tea.WithWindowSize(80, 24)}})
	}()
	testwait.Until(t, waitTimeout, "the chat asks for history", func() bool { return len(fake.calls(&fake.cursors)) > 0 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after its context ended: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not end with its context")
	}
}
