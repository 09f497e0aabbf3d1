package main

// The web UI end to end: two daemons on 127.0.0.1, each with its web UI, and
// Debian's Chromium (driven by chromedp) on each. It types in one browser
// and waits for the text in the other, follows the delivery state, checks
// that a hostile message stays text, and saves screenshots, the phone
// layout among them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"starling/api"
	"starling/internal/headless"
	"starling/internal/testwait"
	"starling/webui"
)

const (
	// browserTimeout bounds the whole browser session.
	browserTimeout = 3 * time.Minute
)

// newBrowser starts a headless Chromium with a fresh profile, kept off the
// network: no background requests, no QUIC, no updates, no sync.
func newBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-proxy-server", true),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc) // waits until the browser has exited
	return allocCtx
}

// tab is one browser tab on one node's web UI.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
}

// newTab opens a tab: in a new browser when parent is newBrowser's context,
// else in parent's browser.
func newTab(t *testing.T, parent context.Context, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent)
	t.Cleanup(cancel)
	return &tab{t: t, name: name, ctx: ctx}
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s's browser: %v", b.name, err)
	}
}

// eval runs a JavaScript expression in the tab.
func eval[T any](b *tab, js string) (T, error) {
	return chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
}

// waitJS polls a JavaScript expression until it is true.
func (b *tab) waitJS(what, js string) {
	b.t.Helper()
	testwait.UntilNil(b.t, meetTimeout, b.name+": "+what, func() error {
		ok, err := eval[bool](b, js)
		if err != nil {
			return err
		}
		if !ok {
			notice, _ := eval[string](b, `document.getElementById('notice').textContent`)
			return fmt.Errorf("not yet (the page's notice: %q)", notice)
		}
		return nil
	})
}

// texts returns the texts of the conversation shown.
func (b *tab) texts() []string {
	b.t.Helper()
	got, err := eval[[]string](b, `[...document.querySelectorAll('#messages .msg .text')].map((e) => e.textContent)`)
	if err != nil {
		b.t.Fatalf("%s: read the conversation: %v", b.name, err)
	}
	return got
}

func (b *tab) waitText(text string) {
	b.t.Helper()
	testwait.UntilNil(b.t, meetTimeout, fmt.Sprintf("%s shows %q", b.name, text), func() error {
		if got := b.texts(); !slices.Contains(got, text) {
			return fmt.Errorf("the conversation shows %q", got)
		}
		return nil
	})
}

func (b *tab) send(text string) {
	b.t.Helper()
	b.do(chromedp.SendKeys(chromedp.CSS("#input"), text), chromedp.Click(chromedp.CSS("#send")))
}

func (b *tab) screenshot(dir, name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("%s: screenshot: %v", b.name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// jsString quotes s for JavaScript (JSON is a subset).
func jsString(s string) string { return fmt.Sprintf("%q", s) }

var sentToRE = regexp.MustCompile(`^sent to [1-9]\d* peers?`)

func TestBrowserTwoNodes(t *testing.T) {
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

	aliceLink := webLink(t, aliceOut)
	bobLink := webLink(t, bobOut)
	// Bob's browser comes the way `starling open` sends it: through the
	// private page that forwards to the link.
	bobPage := openedPage(t, bob, bobLink, fakeOpener(t))

	a := newTab(t, newBrowser(t, chromium), "alice")
	a.do(chromedp.Navigate(aliceLink))
	b := newTab(t, a.ctx, "bob") // a second tab in the browser that is now running
	b.do(chromedp.Navigate(bobPage))
	for _, tb := range []*tab{a, b} {
		tb.waitJS("the page is live in lobby with its peer", `document.getElementById('st-conn').textContent === 'live' && `+
			`document.getElementById('group-name').textContent === 'lobby' && location.hash === '' && `+
			`document.getElementById('st-peers').textContent === '1 peer' && document.getElementById('cutoff').hidden`)
	}

	text := fmt.Sprintf("hello from alice's browser at %s", time.Now().Format(time.TimeOnly))
	a.send(text)
	b.waitText(text)
	// The up arrow brings back what was sent.
	a.waitJS("the input is empty after sending", `document.getElementById('input').value === ''`)
	a.do(chromedp.SendKeys(chromedp.CSS("#input"), kb.ArrowUp))
	a.waitJS("the up arrow recalls the message", `document.getElementById('input').value === `+jsString(text))
	a.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('input').value = ''`))
	testwait.UntilNil(t, meetTimeout, "alice's browser shows the message as sent to bob", func() error {
		d, err := eval[string](a, `(() => { const m = [...document.querySelectorAll('#messages .msg.own')].find((e) => `+
			`e.querySelector('.text').textContent === `+jsString(text)+`); return m ? m.querySelector('.delivery')?.textContent || '' : 'not shown'; })()`)
		if err != nil {
			return err
		}
		if !sentToRE.MatchString(d) {
			return fmt.Errorf("delivery state %q", d)
		}
		return nil
	})

	// A message is text, whatever it looks like.
	hostile := `<img src=x onerror="window.pwned=1"><b>bold?</b>`
	b.send(hostile)
	a.waitText(hostile)
	if n, err := eval[int](a, `document.querySelectorAll('#messages img, #messages b').length + (window.pwned ? 100 : 0)`); err != nil || n != 0 {
		t.Errorf("a message became markup in alice's browser (%d elements, err %v)", n, err)
	}

	// A group joined elsewhere appears, with its unread count.
	for _, h := range []*testHome{alice, bob} {
		h.ok("join", "side")
	}
	alice.waitPeers("side", bobID.PeerID)
	bob.waitPeers("side", aliceID.PeerID)
	bob.ok("send", "side", "over here")
	a.waitJS("the side group shows 1 unread", `document.querySelector('#groups button[title^="side "] .unread')?.textContent === '1'`)

	a.screenshot(shots, "alice-desktop.png")

	// The phone layout: the group list becomes a drawer.
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	b.waitJS("the phone layout hides the group list", `getComputedStyle(document.getElementById('drawer')).visibility === 'hidden' && `+
		`getComputedStyle(document.getElementById('open-drawer')).display !== 'none'`)
	if w, err := eval[int](b, `document.documentElement.scrollWidth`); err != nil || w > 390 {
		t.Errorf("the phone layout is %d px wide (err %v), wider than the 390 px screen", w, err)
	}
	b.waitText(text)
	b.screenshot(shots, "bob-phone.png")
	b.do(chromedp.Click(chromedp.CSS("#open-drawer")))
	b.waitJS("the drawer opens", `getComputedStyle(document.getElementById('drawer')).visibility === 'visible' && `+
		`document.getElementById('drawer').getBoundingClientRect().left === 0`)
	b.screenshot(shots, "bob-phone-drawer.png")

	// Alice creates a private group in her browser and shows its invite.
	a.do(chromedp.Click(chromedp.CSS("#open-create")), chromedp.SendKeys(chromedp.CSS("#create-name"), "crew"),
		chromedp.Click(chromedp.CSS(`#create-form button[value=create]`)))
	a.waitJS("crew is open", `document.getElementById('group-name').textContent === 'crew'`)
	a.do(chromedp.Click(chromedp.CSS("#open-invite")))
	a.waitJS("the invite shows its link and QR code", `document.getElementById('invite-link').value.startsWith('starling://join?') && `+
		`document.getElementById('invite-qr').complete && document.getElementById('invite-qr').naturalWidth > 0`)
	link, err := eval[string](a, `document.getElementById('invite-link').value`)
	if err != nil {
		t.Fatal(err)
	}
	a.screenshot(shots, "alice-invite.png")

	// Bob joins by pasting the link.
	b.do(chromedp.Click(chromedp.CSS("#open-join")), chromedp.SetValue(chromedp.CSS("#join-input"), link),
		chromedp.Click(chromedp.CSS("#join-submit")))
	b.waitJS("bob is in crew", `document.getElementById('group-name').textContent === 'crew'`)

	// Alice mutes bob from his name on one of his messages: his messages
	// leave her view.
	a.do(chromedp.Click(chromedp.CSS(`#invite-dialog button[value=close]`)),
		chromedp.Click(chromedp.CSS(`#groups button[title^="lobby "]`)))
	// Issue 18: an open channel's QR code encoded the bare word "lobby".
	// It is a link that joins the channel now.
	a.do(chromedp.Click(chromedp.CSS("#open-invite")))
	a.waitJS("lobby's invite is a link to the channel", `document.getElementById('invite-link').value.startsWith('starling://join?n=lobby&') && `+
		`document.getElementById('invite-qr').complete && document.getElementById('invite-qr').naturalWidth > 0`)
	a.do(chromedp.Click(chromedp.CSS(`#invite-dialog button[value=close]`)))
	a.waitJS("lobby shows bob's messages", `[...document.querySelectorAll('#messages .author')].some((e) => e.textContent === 'bob')`)
	a.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#messages .author')].find((e) => e.textContent === 'bob').click()`))
	a.waitJS("bob's card opens", `document.getElementById('author-dialog').open`)
	a.do(chromedp.Click(chromedp.CSS("#author-mute")))
	a.waitJS("bob's messages are hidden", `!document.getElementById('author-dialog').open && `+
		`![...document.querySelectorAll('#messages .author')].some((e) => e.textContent === 'bob')`)

	// Alice removes bob from crew: his page says who removed him and turns
	// its input off. His node publishes his profile in crew, which alice
	// needs to remove him, once it has caught up there.
	waitSynced(t, "crew", bob)
	waitInfo(t, alice, "crew", "alice knows bob's profile in crew", func(d groupDetailJSON) error {
		if len(d.Members) != 2 {
			return fmt.Errorf("members %+v", d.Members)
		}
		return nil
	})
	b.waitJS("bob's input is on in crew", `document.getElementById('refused').hidden && !document.getElementById('input').disabled`)
	alice.ok("group", "remove", "crew", bobID.Fingerprint)
	b.waitJS("bob's page shows the removal", `document.getElementById('group-name').textContent === 'crew' && `+
		`!document.getElementById('refused').hidden && document.getElementById('refused').textContent.startsWith(`+
		jsString("you were removed from crew by "+aliceID.Fingerprint+" at ")+`) && `+
		`document.getElementById('input').disabled && document.getElementById('send').disabled && `+
		`document.getElementById('input').placeholder === 'You can no longer post here' && document.getElementById('cutoff').hidden`)
	b.screenshot(shots, "bob-removed.png")
	// Back in lobby he posts as before.
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('#groups button[title^="lobby "]').click()`))
	b.waitJS("lobby has no banner and takes input", `document.getElementById('group-name').textContent === 'lobby' && `+
		`document.getElementById('refused').hidden && !document.getElementById('input').disabled`)

	if errors.Is(context.Cause(b.ctx), context.DeadlineExceeded) {
		t.Fatal("the browser session ran out of time")
	}
}

// conversationJS drives the page's own conversation module with messages in
// an awkward order and reports what it drew: the order by sent_at, the late
// markers (a live arrival in the middle, a catch-up arrival), a delivery
// update that came before its message, a deletion, a hidden author, and a
// nickname that tries to be markup.
const conversationJS = `(async () => {
  const { Conversation, newer } = await import('/js/conversation.js');
  const c = new Conversation({ id: 'g', name: 'g', kind: 'channel' },
    { me: { fingerprint: 'me' }, onAuthor() {}, onDelete() {} });
  document.getElementById('messages').replaceChildren(c.el);
  const at = (s) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
  const msg = (id, s, extra) => ({ id, group_id: 'g', author: 'a', name: '<i>eve</i>', kind: 'text',
    text: 'text ' + id, sent_at: at(s), received_at: at(60), late: false, ...extra });
  c.add(msg('b', 2), false);
  c.add(msg('c', 3), false);
  c.add(msg('a', 1), true);
  c.add(msg('d', 4), true);
  c.add(msg('e', 2.5, { late: true }), false);
  c.add(msg('z', 9, { author: 'spammer' }), false);
  c.deliver({ id: 'm', group_id: 'g', state: 'sent', peers: 2, relays: 0, at: at(7) });
  c.add(msg('m', 5, { author: 'me', delivery: { id: 'm', state: 'queued', peers: 0, relays: 0, at: '' } }), false);
  c.deliver({ id: 'm', group_id: 'g', state: 'relayed', peers: 2, relays: 1, at: at(8) });
  c.deliver({ id: 'm', group_id: 'g', state: 'sent', peers: 1, relays: 0, at: at(6) });
  c.add({ id: 'x', group_id: 'g', author: 'a', kind: 'delete', ref: 'c', text: 'spam', sent_at: at(10) }, true);
  c.add(msg('b', 2), true);
  c.hide('spammer');
  const ids = (sel) => [...c.el.querySelectorAll(sel)].map((e) => e.dataset.id);
  return {
    order: ids('.msg'),
    late: ids('.msg.late'),
    delivery: c.el.querySelector('[data-id=m] .delivery').textContent,
    deleted: c.el.querySelector('[data-id=c] .text').textContent,
    markup: c.el.querySelectorAll('i').length,
    nick: c.el.querySelector('[data-id=a] .author').textContent,
    newer: newer({ state: 'sent', peers: 1, relays: 0, at: '' }, { state: 'queued', peers: 0, relays: 0, at: at(1) }).state,
  };
})()`

// noAPI is an API that knows nothing: every request gets 404, and the
// event stream is refused.
type noAPI struct{}

func (noAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }

func (noAPI) Watch(context.Context, string, func(), func(api.Event) error) error {
	return errors.New("this test has no API")
}

// serveWebUI runs a web UI with cfg on 127.0.0.1 until the test ends.
func serveWebUI(t *testing.T, cfg webui.Config) (srv *webui.Server, addr string) {
	t.Helper()
	srv, err := webui.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return srv, ln.Addr().String()
}

// The conversation module, run in Chromium: no daemon, just the embedded
// page served by webui over an API that knows nothing.
func TestBrowserConversation(t *testing.T) {
	chromium := headless.Chromium(t)
	_, addr := serveWebUI(t, webui.Config{API: noAPI{}, APIToken: "unused"})
	page := newTab(t, newBrowser(t, chromium), "page")
	page.do(chromedp.Navigate("http://" + addr + "/"))
	raw, err := chromedp.Run(page.ctx, chromedp.Evaluate[[]byte](conversationJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run the conversation module: %v", err)
	}
	var got struct {
		Order, Late       []string
		Delivery, Deleted string
		Markup            int
		Nick, Newer       string
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if want := []string{"a", "b", "e", "c", "d", "m"}; !slices.Equal(got.Order, want) {
		t.Errorf("order %q, want %q (by sent_at, the spammer hidden)", got.Order, want)
	}
	if want := []string{"a", "e"}; !slices.Equal(got.Late, want) {
		t.Errorf("late %q, want %q", got.Late, want)
	}
	if got.Delivery != "sent to 2 peers, held by a relay" {
		t.Errorf("delivery %q, want the newest report", got.Delivery)
	}
	if got.Deleted != "message deleted: spam" {
		t.Errorf("deleted message shows %q", got.Deleted)
	}
	if got.Markup != 0 || got.Nick != "<i>eve</i>" {
		t.Errorf("a nickname became markup: %d elements, shown as %q", got.Markup, got.Nick)
	}
	if got.Newer != "queued" {
		t.Errorf("a timed report lost to the send's untimed answer: %q", got.Newer)
	}
}
