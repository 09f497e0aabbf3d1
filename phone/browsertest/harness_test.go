package browsertest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/api"
	"starling/daemon"
	"starling/home"
	"starling/identity"
	"starling/internal/headless"
	"starling/internal/testwait"
	"starling/node"
	"starling/relay"
)

const (
	// waitTimeout bounds each wait for something the page, the network or a
	// daemon does: generous, since a 2-core machine under -race is slow.
	waitTimeout = 90 * time.Second
	// browserTimeout bounds a whole browser session.
	browserTimeout = 8 * time.Minute
)

// requireEngine skips a test that needs the Go engine when
// phone/assets has no starling.wasm (scripts/build-phone-wasm makes it);
// the daemons serve the page embedded in the binary (package phone).
func requireEngine(t *testing.T) {
	t.Helper()
	if !hasEngine(t) {
		t.Skip("phone/assets has no starling.wasm and wasm_exec.js (scripts/build-phone-wasm builds them)")
	}
}

func hasEngine(t *testing.T) bool {
	for _, f := range []string{"starling.wasm", "wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(assetsDir(t), f)); err != nil {
			return false
		}
	}
	return true
}

// assetsDir is phone/assets, which the tests serve.
func assetsDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "assets"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// daemonNode is one Starling daemon in this process: its node, its API
// client and what it listens on.
type daemonNode struct {
	t      *testing.T
	name   string
	home   home.Dir
	user   *identity.User
	key    crypto.PrivKey
	node   *node.Node
	client *api.Client
	stop   func()
	cfg    daemon.Config
	// listening is what the node listened on when it started: a restart
	// listens there again.
	listening []ma.Multiaddr
	started   daemon.Started
}

type daemonOpt func(*daemon.Config)

// asRelay makes the daemon an open organiser relay.
func asRelay(c *daemon.Config) { c.Relay = &daemon.Relay{ACL: relay.Open} }

// withPeers gives the daemon static peers.
func withPeers(ps ...*daemonNode) daemonOpt {
	return func(c *daemon.Config) {
		for _, p := range ps {
			c.Node.Peers = append(c.Node.Peers, peer.AddrInfo{ID: p.node.ID(), Addrs: p.tcpAddrs()})
		}
	}
}

// withJoin joins channels or invite links at start.
func withJoin(refs ...string) daemonOpt {
	return func(c *daemon.Config) { c.Join = append(c.Join, refs...) }
}

// startDaemon runs a daemon with a store in a fresh home, listening on
// TCP and WebSocket on 127.0.0.1; the WebSocket port serves the phone page.
func startDaemon(t *testing.T, name string, opts ...daemonOpt) *daemonNode {
	t.Helper()
	user, err := identity.NewUser(name)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := &daemonNode{t: t, name: name, home: home.Dir(t.TempDir()), user: user, key: key}
	d.cfg = daemon.Config{
		Home: d.home,
		// The page on the node's /ws listener, as `--phone` serves it.
		Phone: &daemon.Phone{},
		Node: node.Config{
			User:              user,
			TransportKey:      key,
			StoreDir:          d.home.Store(),
			DisableKnownPeers: true,
			ListenAddrs: []ma.Multiaddr{
				ma.StringCast("/ip4/127.0.0.1/tcp/0"),
				ma.StringCast("/ip4/127.0.0.1/tcp/0/ws"),
			},
		},
	}
	for _, o := range opts {
		o(&d.cfg)
	}
	d.start()
	return d
}

// start runs the daemon with d.cfg (again, after stop: a restart keeps
// the home, the store and the keys).
func (d *daemonNode) start() {
	t := d.t
	t.Helper()
	cfg := d.cfg
	ready := make(chan daemon.Started, 1)
	cfg.Ready = func(s daemon.Started) { ready <- s }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- daemon.Run(ctx, cfg) }()
	select {
	case s := <-ready:
		d.node = s.Node
		d.started = s
		d.listening = nil
		for _, a := range s.Node.Addrs() {
			bare, _ := ma.SplitLast(a) // without /p2p/ID
			if _, err := a.ValueForProtocol(ma.P_P2P); err != nil {
				bare = a
			}
			d.listening = append(d.listening, bare)
		}
	case err := <-done:
		cancel()
		t.Fatalf("daemon %s: %v", d.name, err)
	case <-time.After(waitTimeout):
		cancel()
		t.Fatalf("daemon %s did not start within %s", d.name, waitTimeout)
	}
	var once sync.Once
	d.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("daemon %s: %v", d.name, err)
				}
			case <-time.After(waitTimeout):
				t.Errorf("daemon %s did not stop within %s", d.name, waitTimeout)
			}
		})
	}
	t.Cleanup(d.stop)
	testwait.UntilNil(t, waitTimeout, d.name+"'s API answers", func() error {
		c, err := api.Dial(d.home)
		if err != nil {
			return err
		}
		if err := c.Ping(context.Background()); err != nil {
			c.Close()
			return err
		}
		d.client = c
		return nil
	})
}

// restart stops the daemon and starts it again on the same ports.
func (d *daemonNode) restart() {
	d.t.Helper()
	d.stop()
	d.cfg.Node.ListenAddrs = nil
	for _, a := range d.listening {
		if strings.HasPrefix(a.String(), "/ip4/127.0.0.1/tcp/") {
			d.cfg.Node.ListenAddrs = append(d.cfg.Node.ListenAddrs, a)
		}
	}
	d.start()
}

func (d *daemonNode) tcpAddrs() []ma.Multiaddr {
	var out []ma.Multiaddr
	for _, a := range d.listening {
		if _, err := a.ValueForProtocol(ma.P_WS); err != nil && strings.HasPrefix(a.String(), "/ip4/127.0.0.1/tcp/") {
			out = append(out, a)
		}
	}
	return out
}

// wsAddr is the daemon's /ws listen address.
func (d *daemonNode) wsAddr() ma.Multiaddr {
	for _, a := range d.listening {
		if _, err := a.ValueForProtocol(ma.P_WS); err == nil {
			return a
		}
	}
	d.t.Fatalf("%s listens on no /ws address: %v", d.name, d.node.Addrs())
	return nil
}

// wsPeerAddr is the /ws address with /p2p/ID, as a phone dials it.
func (d *daemonNode) wsPeerAddr() string {
	return fmt.Sprintf("%s/p2p/%s", d.wsAddr(), d.node.ID())
}

// pageURL is the phone page on the daemon's /ws port, under a host name
// (host.test, mapped to 127.0.0.1 by newBrowser): a page from a name that
// is not localhost is not a secure context, like one from http://LAN-IP.
func (d *daemonNode) pageURL() string {
	port, err := d.wsAddr().ValueForProtocol(ma.P_TCP)
	if err != nil {
		d.t.Fatal(err)
	}
	return fmt.Sprintf("http://%s.test:%s/", d.name, port)
}

// newBrowser starts a headless Chromium with a fresh profile, kept off the
// network, where every *.test name is 127.0.0.1.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(headless.Chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("host-resolver-rules", "MAP *.test 127.0.0.1"),
	)
	opts = append(opts, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	// The browser itself, started now so that phones are contexts in it.
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return bctx
}

// phone is one attendee: a phone-sized browser context with its own
// storage (cookies, IndexedDB), one tab on the page.
type phone struct {
	t    *testing.T
	name string
	ctx  context.Context
	logs *consoleLog
}

// newPhone opens a phone-sized context with its own storage in browser.
func newPhone(t *testing.T, browser context.Context, name string) *phone {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &phone{t: t, name: name, ctx: ctx, logs: &consoleLog{}}
	// The first Do opens the tab, on ctx itself: a tab opened under a
	// shorter-lived context would close with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: open a tab: %v", name, err)
	}
	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	// No transitions: a click lands where the element is, not where it
	// was a frame ago (the drawer slides in otherwise).
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	}); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go p.logs.follow(ctx)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s's console:\n%s", name, p.logs.String())
		}
	})
	return p
}

// do runs actions, each within waitTimeout.
func (p *phone) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	for i, a := range actions {
		ctx, cancel := context.WithTimeout(p.ctx, waitTimeout)
		err := chromedp.Do(ctx, a)
		cancel()
		if err != nil {
			p.t.Fatalf("%s: action %d of %d: %v", p.name, i+1, len(actions), err)
		}
	}
}

// open navigates to url.
func (p *phone) open(url string) {
	p.t.Helper()
	p.do(chromedp.Navigate(url))
}

// eval runs a JavaScript expression (awaiting a promise) on the phone.
func eval[T any](p *phone, js string) (T, error) {
	return chromedp.Run(p.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

func mustEval[T any](p *phone, js string) T {
	p.t.Helper()
	v, err := eval[T](p, js)
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, js, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is true on the phone.
func (p *phone) waitJS(what, js string) {
	p.t.Helper()
	testwait.UntilNil(p.t, waitTimeout, p.name+": "+what, func() error {
		ok, err := eval[bool](p, js)
		if err != nil {
			return err
		}
		if !ok {
			shown, _ := eval[string](p, `[...document.querySelectorAll('#fatal,#notice,#refused')].filter(e => !e.hidden).map(e => e.textContent).join(' | ')`)
			return fmt.Errorf("not yet (the page says %q)", shown)
		}
		return nil
	})
}

// screenshot saves the phone's screen as NAME.png in the artifacts.
func (p *phone) screenshot(name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.name, err)
	}
	path := filepath.Join(headless.ArtifactDir(p.t, "phone"), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// consoleLog keeps what a page wrote to its console.
type consoleLog struct {
	mu    sync.Mutex
	lines []string
}

func (c *consoleLog) follow(ctx context.Context) {
	for m, err := range chromedp.Console(ctx) {
		if err != nil {
			return
		}
		c.mu.Lock()
		c.lines = append(c.lines, m.String())
		if len(c.lines) > 400 {
			c.lines = c.lines[len(c.lines)-400:]
		}
		c.mu.Unlock()
	}
}

func (c *consoleLog) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

// jsString quotes s for JavaScript (JSON is a subset).
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// reload reloads the page and waits for it to load.
func reload() chromedp.Action[chromedp.Void] { return chromedp.Reload() }

// waitFor waits for a Go condition with the tests' generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, waitTimeout, what, cond)
}
