package browsertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"starling/daemon"
)

// testCert makes a certificate for relay.test signed by a fresh test CA
// and returns it as a tls.Config (through daemon.LoadTLS, as
// --tls-cert/--tls-key load it) and the base64 SHA-256 of its public key,
// which Chromium is told to trust.
func testCert(t *testing.T) (*tls.Config, string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Starling test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "relay.test"}, DNSNames: []string{"relay.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	if err := os.WriteFile(certFile, chain, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	tc, err := daemon.LoadTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(spki)
	return tc, base64.StdEncoding.EncodeToString(sum[:])
}

// TestPhoneOverHTTPS: with a certificate (--tls-cert/--tls-key) the relay
// serves the page over https and its WebSocket as wss; the page is a
// secure context, dials wss only, registers the service worker, and when
// the relay is gone a reload still opens the page from the worker's cache
// with the identity and history from IndexedDB.
func TestPhoneOverHTTPS(t *testing.T) {
	requireEngine(t)
	tc, spki := testCert(t)
	browser := newBrowser(t, chromedp.Flag("ignore-certificate-errors-spki-list", spki))
	relayNode := startDaemon(t, "relay", asRelay, func(c *daemon.Config) {
		c.Phone = &daemon.Phone{Listen: "127.0.0.1:0", Host: "relay.test", TLS: tc}
	})
	laptop := startDaemon(t, "laptop", withPeers(relayNode))
	if _, err := laptop.client.CreateGroup(t.Context(), "gala", "open", nil); err != nil {
		t.Fatal(err)
	}
	page := relayNode.started.Phone.Page
	if !strings.HasPrefix(page, "https://relay.test:") {
		t.Fatalf("the relay's page is at %q, want https://relay.test:PORT/", page)
	}
	port := strings.TrimSuffix(strings.TrimPrefix(page, "https://relay.test:"), "/")
	wss := "/dns/relay.test/tcp/" + port + "/tls/ws/p2p/" + relayNode.node.ID().String()
	link, err := laptop.client.Invite(t.Context(), "gala", []string{wss})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := relayNode.client.Join(t.Context(), link); err != nil {
		t.Fatal(err)
	}
	laptop.send("gala", "hello over wss")

	p := newPhone(t, browser, "phone")
	p.start(page+"#"+link, "hana")
	if !mustEval[bool](p, `isSecureContext`) {
		t.Fatal("the https page is not a secure context")
	}
	p.waitGroup("gala")
	p.waitText("hello over wss")
	conns := mustEval[[]string](p, `__phone.net.node.getConnections().map(c => c.remoteAddr.toString())`)
	if len(conns) == 0 || !slices.ContainsFunc(conns, func(a string) bool { return strings.Contains(a, "/tls/ws") || strings.Contains(a, "/wss") }) {
		t.Fatalf("the page's connections %q, want wss", conns)
	}
	p.waitJS("the service worker controls the page", `navigator.serviceWorker.controller != null`)
	p.screenshot("phone-https")

	// No network: the relay is gone, the page reopens from the cache.
	relayNode.stop()
	laptop.stop()
	p.do(reload())
	p.waitJS("the page is back without its node", `globalThis.__phone?.me != null`)
	p.waitText("hello over wss")
	p.waitJS("the page says it has no node", `document.getElementById('st-conn').classList.contains('bad')`)
	p.screenshot("phone-https-offline")
}
