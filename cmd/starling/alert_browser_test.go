package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"starling/internal/headless"
	"starling/internal/testwait"
)

// An organiser's alert in the web UI, in Chromium: it is pinned in a
// banner above the conversation with a vibration (the page's
// navigator.vibrate, stubbed to record its pattern) and a beep where the
// browser allows, acknowledged (the organiser's reach counts the page's
// device), dismissed with its button, and still dismissed after a reload.
func TestBrowserAlert(t *testing.T) {
	chromium := headless.Chromium(t)
	shots := headless.ArtifactDir(t, "browser")
	alice, bob := initHome(t, "alice"), initHome(t, "bob")
	_, aliceID, aliceOut := alice.startDaemon("up", "--listen", "/ip4/127.0.0.1/tcp/0", "--web", "127.0.0.1:0")
	_, bobID, _ := bob.startDaemon("up", "--listen", "/ip4/127.0.0.1/tcp/0", "--peer", aliceID.addr(t, "/ip4/127.0.0.1/tcp/"))
	id := bob.createGroup("stage", "open")
	link, _ := bob.invite(id)
	alice.joinLink(link, "stage", id)
	alice.waitPeers("stage", bobID.PeerID)
	awaitMesh(t, "stage", alice, bob)

	a := newTab(t, newBrowser(t, chromium), "alice")
	a.do(chromedp.Navigate(webLink(t, aliceOut)))
	a.waitJS("the page is live in stage", `document.getElementById('st-conn').textContent === 'live' && `+
		`document.getElementById('group-name').textContent === 'stage'`)
	a.do(chromedp.Evaluate[chromedp.Void](`Object.defineProperty(navigator, 'vibrate', {configurable: true, value: (p) => { window.vibrated = JSON.stringify(p); return true; }})`))
	a.waitJS("no banner yet", `document.getElementById('alert-banner').hidden`)

	text := "Fire in hall B: leave by the north exit"
	bob.ok("alert", "stage", text, "--watch", "0")
	a.waitJS("the alert is pinned", `!document.getElementById('alert-banner').hidden && `+
		`document.getElementById('alert-text').textContent === `+jsString(text)+` && `+
		`document.getElementById('alert-head').textContent.startsWith('Alert in stage from bob at ')`)
	a.waitJS("it vibrated", `window.vibrated === '[250,120,250]' && document.getElementById('alert-banner').dataset.vibrate === 'ok'`)
	beep, err := eval[string](a, `document.getElementById('alert-banner').dataset.beep`)
	if err != nil || (beep != "played" && beep != "blocked") {
		t.Errorf("the beep: %q, %v", beep, err)
	}
	a.waitJS("the banner sits above the conversation", `document.getElementById('alert-banner').getBoundingClientRect().bottom <= document.getElementById('log').getBoundingClientRect().top + 1`)
	a.screenshot(shots, "alice-alert.png")
	testwait.UntilNil(t, meetTimeout, "bob to count alice's device", func() error {
		if out := bob.ok("alerts", "stage").stdout; !strings.Contains(out, "reached 2 of the 2 devices") {
			return fmt.Errorf("bob's alerts:\n%s", out)
		}
		return nil
	})

	a.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('alert-dismiss').click()`))
	a.waitJS("dismissed", `document.getElementById('alert-banner').hidden`)
	a.do(chromedp.Reload())
	a.waitJS("the page is live again", `document.getElementById('st-conn').textContent === 'live' && `+
		`document.getElementById('group-name').textContent === 'stage'`)
	a.waitJS("the history is read", `document.querySelectorAll('#messages .msg').length > 0`)
	if hidden, err := eval[bool](a, `document.getElementById('alert-banner').hidden`); err != nil || !hidden {
		t.Errorf("after a reload the dismissed alert is pinned again (hidden %v, %v)", hidden, err)
	}
}
