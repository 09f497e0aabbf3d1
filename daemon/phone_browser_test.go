package daemon_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"starling/daemon"
)

// chromiumPath is Debian's Chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// spkiHash is the base64 SHA-256 of a PEM certificate's public key, as
// Chromium's --ignore-certificate-errors-spki-list takes it: the browser
// then trusts that certificate, as a phone trusts one from a real CA.
func spkiHash(t *testing.T, certFile string) string {
	t.Helper()
	b, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// TestPhonePageOfflineOverTLS: served over https with a certificate the
// browser trusts, the page is a secure context, its service worker
// installs and caches the page's files, and with the node gone the page
// opens again from that cache.
func TestPhonePageOfflineOverTLS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("drives Debian's Chromium; this is not Linux")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is missing (apt-get install chromium; .ci/run installs it): %v", chromiumPath, err)
	}
	certFile, keyFile, _ := testCA(t)
	tc, err := daemon.LoadTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, "relay")
	cfg.Phone = &daemon.Phone{Listen: "127.0.0.1:0", Host: "phone.test", TLS: tc}
	s, stop := startOnce(t, cfg)

	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("host-resolver-rules", "MAP phone.test 127.0.0.1"),
		chromedp.Flag("ignore-certificate-errors-spki-list", spkiHash(t, certFile)),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()

	if _, err := chromedp.Run(browser, chromedp.Navigate(s.Phone.Page)); err != nil {
		t.Fatalf("open %s: %v", s.Phone.Page, err)
	}
	if secure := evalJS[bool](t, browser, "isSecureContext", `isSecureContext`); !secure {
		t.Fatal("the page over https with a trusted certificate is not a secure context")
	}
	cached := evalJS[bool](t, browser, "the service worker the page registers installs and caches the page", `(async () => {
		await navigator.serviceWorker.ready; // registered by the page, not by this test
		for (let i = 0; i < 600; i++) {
			for (const k of await caches.keys()) {
				const c = await caches.open(k);
				if (await c.match('/starling.wasm') && await c.match('/')) return true;
			}
			await new Promise(r => setTimeout(r, 100));
		}
		return false;
	})()`)
	if !cached {
		t.Fatal("the service worker did not cache the page and the engine within a minute")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// The node is gone: the page opens from the cache.
	if _, err := chromedp.Run(browser, chromedp.Navigate(s.Phone.Page)); err != nil {
		t.Fatalf("open %s with the node gone: %v", s.Phone.Page, err)
	}
	type offline struct {
		Title  string `json:"title"`
		Script bool   `json:"script"`
		Node   bool   `json:"node"`
		Wasm   bool   `json:"wasm"`
	}
	page := evalJS[offline](t, browser, "the page with the node gone", `(async () => ({
		title: document.title,
		script: document.querySelector('script[src="app.js"]') !== null,
		node: await fetch('/node.json').then(() => true, () => false),
		wasm: await fetch('/starling.wasm').then(r => r.ok, () => false),
	}))()`)
	if page.Title != "Starling" || !page.Script || page.Node || !page.Wasm {
		t.Fatalf("with the node gone: %+v (want the page and its engine from the cache, node.json not)", page)
	}
}

// evalJS evaluates a JavaScript expression, awaiting a promise.
func evalJS[T any](t *testing.T, ctx context.Context, what, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}
