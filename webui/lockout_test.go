package webui

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Any web page can make the browser send requests here without the token:
// an <img> tag sends a GET with no Origin header, from the same address as
// the page that holds the token. Hundreds of them, on every guarded path,
// leave the page with the token its whole budget; they are refused, and
// bounded on their own.
func TestWebLockoutAttempt(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1000, 0) // no bucket refills unless the test says so
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	cfg := testConfig(newFakeAPI())
	cfg.RequestRate, cfg.RequestBurst, cfg.Now = 1, 5, clock
	addr, _ := serve(t, cfg)

	statuses := map[int]int{}
	for i := range 100 {
		path := []string{"/api/v1/status", "/api/v1/groups", "/ws", "/api/v1/groups/lobby/messages"}[i%4]
		var header map[string]string
		if i%10 == 9 {
			header = bearer(strings.Repeat("0", len(webToken))) // a guess
		}
		resp, _ := do(t, "GET", addr, "", path, "", header)
		statuses[resp.StatusCode]++
	}
	if statuses[http.StatusUnauthorized] != cfg.RequestBurst || statuses[http.StatusTooManyRequests] != 100-cfg.RequestBurst {
		t.Errorf("token-less requests got %v; want %d refused with 401, then 429 for the rest", statuses, cfg.RequestBurst)
	}

	status := func() int {
		resp, _ := do(t, "GET", addr, "", "/api/v1/status", "", bearer(webToken))
		return resp.StatusCode
	}
	for i := range cfg.RequestBurst {
		if got := status(); got != http.StatusOK {
			t.Fatalf("request %d with the token after the attack: %d, want 200", i+1, got)
		}
	}
	if got := status(); got != http.StatusTooManyRequests {
		t.Errorf("request past the burst with the token: %d, want 429 (its own budget holds)", got)
	}
	// Both budgets refill.
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if got := status(); got != http.StatusOK {
		t.Errorf("with the token after a second: %d, want 200", got)
	}
	if resp, _ := do(t, "GET", addr, "", "/api/v1/status", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the token after a second: %s, want 401", resp.Status)
	}
}
