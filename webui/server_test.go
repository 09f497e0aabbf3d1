package webui

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// A request whose Host is not this server's loopback address (DNS
// rebinding: a page on evil.example resolved to 127.0.0.1) gets 403, for
// the page and for the API even with the right token.
func TestWebForeignHost(t *testing.T) {
	addr, _ := serve(t, testConfig(newFakeAPI()))
	_, port, _ := net.SplitHostPort(addr)
	for _, tc := range []struct {
		host string
		want int
	}{
		{addr, http.StatusOK},
		{"localhost:" + port, http.StatusOK},
		{"LOCALHOST:" + port, http.StatusOK},
		{"[::1]:" + port, http.StatusOK},
		{"evil.example:" + port, http.StatusForbidden},
		{"evil.example", http.StatusForbidden},
		{"127.0.0.1", http.StatusForbidden}, // port 80 is not this port
		{"127.0.0.1:1", http.StatusForbidden},
		{"192.168.1.20:" + port, http.StatusForbidden},
	} {
		for _, path := range []string{"/", "/api/v1/status"} {
			resp, body := do(t, "GET", addr, tc.host, path, "", bearer(webToken))
			if resp.StatusCode != tc.want {
				t.Errorf("GET %s with Host %q: %s, want %d: %s", path, tc.host, resp.Status, tc.want, body)
			}
			if tc.want == http.StatusForbidden {
				errorOf(t, body)
				if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "evil") {
					t.Errorf("the refusal's CSP names the foreign host: %q", csp)
				}
			}
		}
	}
}

// The API and the QR code need the web token; the API sees the API token
// and a loopback Host instead, and none of the browser's own headers.
func TestWebTokenRequired(t *testing.T) {
	api := newFakeAPI()
	addr, _ := serve(t, testConfig(api))
	for _, tc := range []struct {
		name   string
		header map[string]string
	}{
		{"no token", nil},
		{"wrong token", bearer(strings.Repeat("0", len(webToken)))},
		{"API token", bearer(apiToken)},
		{"token prefix", bearer(webToken[:32])},
		{"not bearer", map[string]string{"Authorization": webToken}},
	} {
		for _, path := range []string{"/api/v1/status", "/ui/v1/qr"} {
			method := map[string]string{"/api/v1/status": "GET", "/ui/v1/qr": "POST"}[path]
			resp, body := do(t, method, addr, "", path, `{"text":"x"}`, tc.header)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s, %s %s: %s, want 401: %s", tc.name, method, path, resp.Status, body)
			}
		}
	}
	h := bearer(webToken)
	h["Cookie"] = "session=browser"
	resp, body := do(t, "GET", addr, "", "/api/v1/status", "", h)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with the token: %s: %s", resp.Status, body)
	}
	got := api.last(t)
	if got.Path != "/v1/status" || got.Host != "127.0.0.1" || got.Auth != "Bearer "+apiToken || got.Cookie != "" {
		t.Errorf("the API saw %+v; want /v1/status on 127.0.0.1 with the API token and no cookie", got)
	}
}

// Paths keep their escapes (a group named "a/b?c"), queries pass, bodies
// are capped.
func TestWebProxy(t *testing.T) {
	api := newFakeAPI()
	addr, _ := serve(t, testConfig(api))
	resp, body := do(t, "POST", addr, "", "/api/v1/groups/a%2Fb%3Fc/messages?limit=5", `{"text":"hi"}`, bearer(webToken))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s", resp.Status, body)
	}
	var echo seen
	if err := json.Unmarshal([]byte(body), &echo); err != nil {
		t.Fatal(err)
	}
	if echo.Method != "POST" || echo.Path != "/v1/groups/a%2Fb%3Fc/messages" || echo.Query != "limit=5" || echo.Body != `{"text":"hi"}` {
		t.Errorf("the API saw %+v", echo)
	}
	resp, body = do(t, "POST", addr, "", "/api/v1/groups/lobby/messages", strings.Repeat("x", maxBody+1), bearer(webToken))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over %d bytes: %s, want 413: %s", maxBody, resp.Status, body)
	}
}

// Every answer carries the security headers; the CSP allows no inline
// script and no framing.
func TestWebSecurityHeaders(t *testing.T) {
	addr, _ := serve(t, testConfig(newFakeAPI()))
	for _, path := range []string{"/", "/js/main.js", "/api/v1/status", "/nothing"} {
		resp, _ := do(t, "GET", addr, "", path, "", bearer(webToken))
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self';", "frame-ancestors 'none'", "object-src 'none'", "connect-src 'self' ws://" + addr + ";"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe code: %q", path, csp)
		}
		for k, v := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", path, k, h.Get(k), v)
			}
		}
	}
	// A cross-origin request that carries the token (as a script on another
	// site could, through a misconfigured proxy) is refused anyway.
	h := bearer(webToken)
	h["Origin"] = "http://evil.example"
	if resp, body := do(t, "POST", addr, "", "/api/v1/groups", `{"name":"x"}`, h); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST: %s, want 403: %s", resp.Status, body)
	}
}

// Past its burst a client gets 429 until its bucket refills; another
// client is not affected.
func TestWebRateLimit(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	cfg := testConfig(newFakeAPI())
	cfg.RequestRate, cfg.RequestBurst, cfg.Now = 1, 3, clock
	addr, _ := serve(t, cfg)
	status := func() int {
		resp, _ := do(t, "GET", addr, "", "/api/v1/status", "", bearer(webToken))
		return resp.StatusCode
	}
	for i := range 3 {
		if got := status(); got != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i+1, got)
		}
	}
	if got := status(); got != http.StatusTooManyRequests {
		t.Fatalf("request past the burst: %d, want 429", got)
	}
	// The page itself is not counted.
	if resp, _ := do(t, "GET", addr, "", "/", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("the page while limited: %s", resp.Status)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if got := status(); got != http.StatusOK {
		t.Errorf("after a second: %d, want 200", got)
	}

	l := newLimiter(1, 1, clock)
	if !l.allow("a") || l.allow("a") || !l.allow("b") {
		t.Error("one client's limit held back another")
	}
}

// The limiter forgets refilled buckets when it is full, and refuses new
// clients while every bucket is in use.
func TestWebRateLimitClients(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLimiter(1, 2, func() time.Time { return now })
	for i := range maxClients {
		if !l.allow(net.IPv4(10, 0, byte(i>>8), byte(i)).String()) {
			t.Fatalf("client %d refused", i)
		}
	}
	if l.allow("10.9.9.9") {
		t.Fatal("a new client was let in while every bucket was in use")
	}
	now = now.Add(2 * time.Second)
	if !l.allow("10.9.9.9") {
		t.Fatal("a new client was refused after the buckets refilled")
	}
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets kept, want only the new client's", len(l.buckets))
	}
}

// In LAN mode the page is public but the API and the socket need the
// token; Host must be the LAN address the request arrived on. Without LAN
// mode, nothing is served on a LAN address. (No traffic leaves loopback:
// the requests go to the handler directly, as if they had arrived on a LAN
// address.)
func TestWebLANMode(t *testing.T) {
	lanAddr := &net.TCPAddr{IP: net.IPv4(192, 168, 1, 20), Port: 8080}
	request := func(s *Server, method, host, path string, header map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://"+host+path, nil)
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, net.Addr(lanAddr)))
		r.RemoteAddr = "192.168.1.33:50000"
		for k, v := range header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	upgrade := map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
		"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "http://192.168.1.20:8080", "Sec-WebSocket-Protocol": Protocol}

	cfg := testConfig(newFakeAPI())
	cfg.LAN = true
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	host := "192.168.1.20:8080"
	for _, tc := range []struct {
		name         string
		method, host string
		path         string
		header       map[string]string
		want         int
	}{
		{"page", "GET", host, "/", nil, http.StatusOK},
		{"API without token", "GET", host, "/api/v1/status", nil, http.StatusUnauthorized},
		{"API with wrong token", "GET", host, "/api/v1/status", bearer(strings.Repeat("f", 64)), http.StatusUnauthorized},
		{"API with token", "GET", host, "/api/v1/status", bearer(webToken), http.StatusOK},
		{"socket without token", "GET", host, "/ws", upgrade, http.StatusUnauthorized},
		{"QR without token", "POST", host, "/ui/v1/qr", nil, http.StatusUnauthorized},
		{"loopback Host on a LAN address", "GET", "127.0.0.1:8080", "/", nil, http.StatusForbidden},
		{"foreign Host", "GET", "phone.example:8080", "/api/v1/status", bearer(webToken), http.StatusForbidden},
	} {
		if w := request(s, tc.method, tc.host, tc.path, tc.header); w.Code != tc.want {
			t.Errorf("LAN mode, %s: %d, want %d: %s", tc.name, w.Code, tc.want, w.Body)
		}
	}

	off, err := New(testConfig(newFakeAPI()))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/api/v1/status"} {
		if w := request(off, "GET", host, path, bearer(webToken)); w.Code != http.StatusForbidden {
			t.Errorf("loopback mode, %s on a LAN address: %d, want 403", path, w.Code)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := off.Serve(context.Background(), lanListener{ln, lanAddr}); err == nil || !strings.Contains(err.Error(), "--web-lan") {
		t.Errorf("Serve on a LAN address without LAN mode: %v, want a refusal that names --web-lan", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve left the refused listener open: %v", err)
	}
}

// lanListener is a loopback listener that claims a LAN address.
type lanListener struct {
	net.Listener
	addr net.Addr
}

func (l lanListener) Addr() net.Addr { return l.addr }

func TestWebCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:0": true, "localhost:8080": true, "[::1]:0": true, "127.0.0.2:1": true,
		"0.0.0.0:0": false, "192.168.1.2:80": false, ":8080": false, "example.com:80": false, "127.0.0.1": false,
	} {
		if err := CheckLoopback(addr); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v", addr, err)
		}
	}
}

func TestWebNewConfig(t *testing.T) {
	if _, err := New(Config{APIToken: apiToken}); err == nil {
		t.Error("New without an API handler succeeded")
	}
	if _, err := New(Config{API: newFakeAPI()}); err == nil {
		t.Error("New without an API token succeeded")
	}
	if _, err := New(Config{API: newFakeAPI(), APIToken: apiToken, Token: "short"}); err == nil {
		t.Error("New with a short token succeeded")
	}
	a, err := New(Config{API: newFakeAPI(), APIToken: apiToken})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{API: newFakeAPI(), APIToken: apiToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Token()) != 64 || a.Token() == b.Token() {
		t.Errorf("generated tokens %q and %q: want 64 random hex digits each", a.Token(), b.Token())
	}
}
