package webui

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"starling/api"
	"starling/internal/testwait"
)

// dial opens the event socket as the page does: same origin, token as a
// subprotocol. protocols replaces the page's subprotocols when not nil.
func dial(t *testing.T, addr, origin string, protocols []string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	if protocols == nil {
		protocols = []string{Protocol, TokenProtocol + webToken}
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, resp, err := websocket.Dial(ctx, "ws://"+addr+"/ws", &websocket.DialOptions{HTTPHeader: h, Subprotocols: protocols})
	if c != nil {
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, resp, err
}

func readFrame(t *testing.T, c *websocket.Conn) Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read a frame: %v", err)
	}
	var f Frame
	if typ != websocket.MessageText || json.Unmarshal(b, &f) != nil {
		t.Fatalf("frame is not a JSON text message: %q", b)
	}
	return f
}

// A same-origin socket with the token says "open", then carries the API's
// events with their JSON untouched, and the end of the stream.
func TestWebSocketEvents(t *testing.T) {
	fake := newFakeAPI()
	addr, _ := serve(t, testConfig(fake))
	c, _, err := dial(t, addr, "http://"+addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subprotocol() != Protocol {
		t.Errorf("subprotocol %q, want %q (never the token)", c.Subprotocol(), Protocol)
	}
	if f := readFrame(t, c); f.Type != "open" {
		t.Fatalf("first frame %+v, want open", f)
	}
	fake.mu.Lock()
	watched := slices.Clone(fake.watched)
	fake.mu.Unlock()
	if !slices.Equal(watched, []string{""}) {
		t.Errorf("the socket watched %q, want every group, once", watched)
	}
	msg := api.Message{ID: "ab", GroupID: "cd", Text: "<img src=x onerror=alert(1)>\u2028", Kind: "text"}
	delivery := api.Delivery{ID: "ab", GroupID: "cd", State: "sent", Peers: 1}
	fake.events <- api.Event{Message: &msg}
	fake.events <- api.Event{Delivery: &delivery}
	for _, want := range []Frame{{Type: "message", Data: mustJSON(t, msg)}, {Type: "delivery", Data: mustJSON(t, delivery)}} {
		f := readFrame(t, c)
		if f.Type != want.Type || !jsonEqual(t, f.Data, want.Data) {
			t.Errorf("frame %s %s, want %s %s", f.Type, f.Data, want.Type, want.Data)
		}
	}
	fake.events <- api.Event{} // the API ends the stream: subscriber too slow
	if f := readFrame(t, c); f.Type != "end" || !strings.Contains(string(f.Data), "too slow") {
		t.Errorf("frame %+v, want end with the API's reason", f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("after the end: %v, want a normal close", err)
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// A socket from another origin is refused, with or without the token; so
// is one without the token or the subprotocol.
func TestWebSocketRefused(t *testing.T) {
	addr, _ := serve(t, testConfig(newFakeAPI()))
	for _, tc := range []struct {
		name      string
		origin    string
		protocols []string
		want      int
	}{
		{"cross-origin", "http://evil.example", nil, http.StatusForbidden},
		{"other loopback name", "http://localhost:" + strings.Split(addr, ":")[1], nil, http.StatusForbidden},
		{"https origin", "https://" + addr, nil, http.StatusForbidden},
		{"no token", "http://" + addr, []string{Protocol}, http.StatusUnauthorized},
		{"wrong token", "http://" + addr, []string{Protocol, TokenProtocol + strings.Repeat("1", 64)}, http.StatusUnauthorized},
	} {
		c, resp, err := dial(t, addr, tc.origin, tc.protocols)
		if err == nil {
			c.CloseNow()
			t.Errorf("%s: the socket opened", tc.name)
			continue
		}
		if resp == nil || resp.StatusCode != tc.want {
			t.Errorf("%s: %v (response %v), want status %d", tc.name, err, resp, tc.want)
		}
	}
	// With the token but without the starling subprotocol, the socket
	// closes at once.
	c, _, err := dial(t, addr, "http://"+addr, []string{TokenProtocol + webToken})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("without the subprotocol: %v, want a policy close", err)
	}
}

// Past MaxSockets a new socket gets 503; closing one frees its place.
func TestWebSocketLimit(t *testing.T) {
	cfg := testConfig(newFakeAPI())
	cfg.MaxSockets = 1
	addr, _ := serve(t, cfg)
	first, _, err := dial(t, addr, "http://"+addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	readFrame(t, first)
	if _, resp, err := dial(t, addr, "http://"+addr, nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("second socket: %v, want 503", err)
	}
	first.Close(websocket.StatusNormalClosure, "")
	var c *websocket.Conn
	testwait.UntilNil(t, waitFor, "a socket after the first closed", func() (err error) {
		c, _, err = dial(t, addr, "http://"+addr, nil)
		return err
	})
	readFrame(t, c)
}

// When the API refuses the event stream, the page hears why.
func TestWebSocketAPIRefuses(t *testing.T) {
	fake := newFakeAPI()
	// What api.Client.Watch says when the daemon refuses its token.
	fake.refuse = &api.APIError{Status: http.StatusUnauthorized, Message: "missing or wrong API token"}
	addr, _ := serve(t, testConfig(fake))
	c, _, err := dial(t, addr, "http://"+addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := readFrame(t, c)
	if f.Type != "end" || !strings.Contains(string(f.Data), "API token") {
		t.Fatalf("frame %+v, want end with the API's error", f)
	}
}

// Serve returns when its context ends, with a socket open: the socket's
// goroutines are joined.
func TestWebServeStopsWithSockets(t *testing.T) {
	s, err := New(testConfig(newFakeAPI()))
	if err != nil {
		t.Fatal(err)
	}
	addr, stop := startServe(t, s)
	c, _, err := dial(t, addr, "http://"+addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	readFrame(t, c)
	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, _, err := c.Read(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the socket stayed open after Serve returned: %v", err)
	}
}
