package main

import (
	"os"
	"path/filepath"
	"starling/internal/headless"
	"testing"

	"github.com/chromedp/chromedp"
)

// Pictures in the web UI, in Chromium: alice picks a camera photo (with
// EXIF and GPS) with the picture button, typing its caption first; both
// pages show it inline, loaded from a blob: URL (the API's answer, fetched
// with the token), and bob's page fetched it from his node, which fetched
// the chunks from alice's.
func TestBrowserImage(t *testing.T) {
	chromium := headless.Chromium(t)
	shots := headless.ArtifactDir(t, "browser")
	alice, bob := initHome(t, "alice"), initHome(t, "bob")
	_, aliceID, aliceOut := alice.startDaemon("up", "--listen", "/ip4/127.0.0.1/tcp/0", "--web", "127.0.0.1:0")
	_, bobID, bobOut := bob.startDaemon("up", "--listen", "/ip4/127.0.0.1/tcp/0", "--web", "127.0.0.1:0",
		"--peer", aliceID.addr(t, "/ip4/127.0.0.1/tcp/"))
	for _, h := range []*testHome{alice, bob} {
		h.ok("join", "lobby")
	}
	alice.waitPeers("lobby", bobID.PeerID)
	bob.waitPeers("lobby", aliceID.PeerID)
	awaitMesh(t, "lobby", alice, bob)

	photo := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(photo, cameraPhoto(t), 0o644); err != nil {
		t.Fatal(err)
	}
	a := newTab(t, newBrowser(t, chromium), "alice")
	a.do(chromedp.Navigate(webLink(t, aliceOut)))
	b := newTab(t, a.ctx, "bob")
	b.do(chromedp.Navigate(webLink(t, bobOut)))
	for _, tb := range []*tab{a, b} {
		tb.waitJS("the page is live in lobby", `document.getElementById('st-conn').textContent === 'live' && `+
			`document.getElementById('group-name').textContent === 'lobby' && !document.getElementById('input').disabled`)
	}
	a.do(chromedp.SendKeys(chromedp.CSS("#input"), "the map"))
	a.do(chromedp.SetUploadFiles(chromedp.CSS("#image-file"), []string{photo}))
	shown := `(() => { const img = document.querySelector('#messages .msg figure.picture img.full');
		return !!img && img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:') &&
			[...document.querySelectorAll('#messages .msg .text')].some((e) => e.textContent === 'the map'); })()`
	for _, tb := range []*tab{a, b} {
		tb.waitJS("the picture inline with its caption", shown)
	}
	if v, err := eval[string](a, `document.getElementById('input').value`); err != nil || v != "" {
		t.Errorf("the caption stays in alice's input: %q, %v", v, err)
	}
	b.screenshot(shots, "picture.png")
}
