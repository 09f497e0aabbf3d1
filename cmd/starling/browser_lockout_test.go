package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"starling/internal/headless"
	"starling/webui"
)

// lockoutImages is how many <img> tags the attacker's page holds: more
// than the web UI's default burst of 60.
const lockoutImages = 150

// The web UI lockout, tried as an attacker would, in Chromium: a page on
// another origin (another port of 127.0.0.1) holds 150 <img> tags that
// point at the web UI's API. The browser sends them without the token and
// without an Origin header, from the same address as the web UI's own
// page. Afterwards the web UI's page, with the token, still gets through;
// without it, it is refused, its budget spent by the images.
func TestBrowserLockoutAttempt(t *testing.T) {
	chromium := headless.Chromium(t)
	// Buckets all but never refill during the test: what the images spend
	// stays spent.
	srv, web := serveWebUI(t, webui.Config{API: noAPI{}, APIToken: "unused", RequestRate: 1e-6})

	var page strings.Builder
	page.WriteString(`<!doctype html><title>free stickers</title><script>window.answered = 0;</script>`)
	for i := range lockoutImages {
		// Each URL differs: a document loads the same image URL once.
		fmt.Fprintf(&page, `<img src="http://%s/api/v1/status?n=%d" onload="answered++" onerror="answered++">`, web, i)
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(page.String()))
	}))
	t.Cleanup(evil.Close)

	browser := newBrowser(t, chromium)
	attacker := newTab(t, browser, "attacker")
	attacker.do(chromedp.Navigate(evil.URL))
	attacker.waitJS("every image request answered", fmt.Sprintf("window.answered === %d", lockoutImages))

	user := newTab(t, attacker.ctx, "user") // a tab in the same browser
	user.do(chromedp.Navigate("http://" + web + "/"))
	status := func(token string) int {
		t.Helper()
		js := `fetch('/api/v1/status', {headers: {Authorization: 'Bearer ' + ` + jsString(token) + `}}).then((r) => r.status)`
		got, err := chromedp.Run(user.ctx, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("fetch from the web UI's page: %v", err)
		}
		return got
	}
	// noAPI answers 404 to whatever gets past the guard.
	if got := status(srv.Token()); got != http.StatusNotFound {
		t.Errorf("the web UI's page with the token after the attack: %d, want it through to the API (404 here), not 429", got)
	}
	if got := status("not-the-token"); got != http.StatusTooManyRequests {
		t.Errorf("without the token after the attack: %d, want 429 (the images spent that budget)", got)
	}
}
