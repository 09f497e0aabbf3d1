package daemon_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"image/png"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/transport/websocket"
	ma "github.com/multiformats/go-multiaddr"

	"starling/daemon"
	"starling/internal/testwait"
	"starling/phone"
)

func fetch(t *testing.T, c *http.Client, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestPhonePage: a daemon with --phone serves the page and node.json on
// the WebSocket port it was given, names itself there, and writes the door
// poster for its group into the home.
func TestPhonePage(t *testing.T) {
	cfg := config(t, "relay")
	var out syncBuffer
	cfg.Out = &out
	cfg.Join = []string{"lobby"}
	cfg.Phone = &daemon.Phone{Listen: "127.0.0.1:0", Host: "127.0.0.1", Event: "Test Night"}
	s, stop := startOnce(t, cfg)
	if s.Phone == nil || !strings.HasPrefix(s.Phone.Page, "http://127.0.0.1:") || strings.HasSuffix(s.Phone.Page, ":0/") {
		t.Fatalf("started %+v; out:\n%s", s.Phone, out.String())
	}
	c := &http.Client{Timeout: time.Minute}
	resp, page := fetch(t, c, s.Phone.Page)
	if resp.StatusCode != 200 || !strings.Contains(string(page), "<title>Starling") {
		t.Fatalf("the page: %d %.200s", resp.StatusCode, page)
	}
	_, b := fetch(t, c, s.Phone.Page+"node.json")
	var info phone.NodeInfo
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	if info.Fingerprint != string(cfg.Node.User.Fingerprint()) || info.PeerID != s.Node.ID().String() || info.TLS {
		t.Fatalf("node.json %+v", info)
	}
	port := strings.TrimSuffix(strings.TrimPrefix(s.Phone.Page, "http://127.0.0.1:"), "/")
	found := false
	for _, a := range info.Addrs {
		found = found || strings.Contains(a, "/tcp/"+port+"/ws/p2p/")
	}
	if !found {
		t.Fatalf("node.json's addresses %v lack the page's /ws port %s", info.Addrs, port)
	}
	if !strings.Contains(s.Phone.Poster, s.Phone.Page+"#starling://join?n=lobby&r=/ip4/127.0.0.1/tcp/"+port+"/ws/p2p/") {
		t.Fatalf("the poster's link %q", s.Phone.Poster)
	}
	for _, name := range []string{"phone-poster.png", "phone-poster.svg"} {
		if _, err := os.Stat(filepath.Join(string(cfg.Home), name)); err != nil {
			t.Errorf("the poster: %v", err)
		}
	}
	resp, b = fetch(t, c, s.Phone.Page+"poster.png")
	if _, err := png.Decode(strings.NewReader(string(b))); err != nil || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("/poster.png: %v, %v", resp.Header, err)
	}
	if resp, _ := fetch(t, c, s.Phone.Page+"sw.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a service worker over plain http: %d", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// testCA makes a certificate authority and a certificate it signs for
// phone.test and 127.0.0.1, written as PEM files; it returns their paths
// and a pool that trusts the authority.
func testCA(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Starling test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "phone.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"phone.test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(ca)
	return certFile, keyFile, pool
}

// TestPhonePageTLS: with a certificate from a test CA the page is served
// over https with its service worker, node.json names the wss address,
// and a WebSocket client that trusts the CA connects to the node there.
func TestPhonePageTLS(t *testing.T) {
	certFile, keyFile, pool := testCA(t)
	if _, err := daemon.LoadTLS(certFile, filepath.Join(t.TempDir(), "none.pem")); err == nil {
		t.Fatal("LoadTLS without a key file")
	}
	tc, err := daemon.LoadTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, "relay")
	cfg.Join = []string{"lobby"}
	cfg.Phone = &daemon.Phone{Listen: "127.0.0.1:0", Host: "phone.test", TLS: tc}
	s, stop := startOnce(t, cfg)
	if !strings.HasPrefix(s.Phone.Page, "https://phone.test:") || !strings.Contains(s.Phone.Poster, "/dns/phone.test/tcp/") || !strings.Contains(s.Phone.Poster, "/tls/ws/p2p/") {
		t.Fatalf("started %+v", s.Phone)
	}
	port := strings.TrimSuffix(strings.TrimPrefix(s.Phone.Page, "https://phone.test:"), "/")
	dialer := &net.Dialer{Timeout: 30 * time.Second}
	c := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, "127.0.0.1:"+port) // phone.test is the venue's name for it
		},
	}}
	resp, page := fetch(t, c, s.Phone.Page)
	if resp.StatusCode != 200 || resp.TLS == nil || !strings.Contains(string(page), "<title>Starling") {
		t.Fatalf("the page over https: %d", resp.StatusCode)
	}
	resp, sw := fetch(t, c, s.Phone.Page+"sw.js")
	if resp.StatusCode != 200 || !strings.Contains(string(sw), "caches.open") {
		t.Fatalf("/sw.js: %d %.100s", resp.StatusCode, sw)
	}
	if _, err := (&http.Client{Timeout: time.Minute}).Get("https://127.0.0.1:" + port + "/"); err == nil {
		t.Fatal("a client that does not trust the test CA got the page")
	}
	_, b := fetch(t, c, s.Phone.Page+"node.json")
	var info phone.NodeInfo
	if err := json.Unmarshal(b, &info); err != nil || !info.TLS || len(info.Addrs) == 0 {
		t.Fatalf("node.json %s, %v", b, err)
	}
	for _, a := range info.Addrs {
		if !strings.Contains(a, "/tls/ws") && !strings.Contains(a, "/wss") {
			t.Fatalf("node.json names %s, which an https page cannot dial", a)
		}
	}
	// A browser's part: connect over wss, trusting the test CA.
	h, err := libp2p.New(libp2p.NoListenAddrs, libp2p.Transport(websocket.New, websocket.WithTLSClientConfig(&tls.Config{RootCAs: pool})))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	wss := ma.StringCast("/ip4/127.0.0.1/tcp/" + port + "/tls/ws")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: s.Node.ID(), Addrs: []ma.Multiaddr{wss}}); err != nil {
		t.Fatalf("a wss connection to the node: %v", err)
	}
	h.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// startOnce is start whose stop may be called again (it then returns nil),
// and is called at cleanup if the test did not.
func startOnce(t *testing.T, cfg daemon.Config) (daemon.Started, func() error) {
	t.Helper()
	s, stop := start(t, cfg)
	var once sync.Once
	var err error
	stopOnce := func() error {
		once.Do(func() { err = stop() })
		return err
	}
	t.Cleanup(func() { stopOnce() })
	return s, stopOnce
}

// TestPhonePeersCounted: a relay's metrics count the peers that reach it
// only over WebSocket (a phone's browser) apart from the others (a laptop
// over TCP).
func TestPhonePeersCounted(t *testing.T) {
	cfg := config(t, "relay")
	cfg.Relay = &daemon.Relay{Metrics: "127.0.0.1:0"}
	cfg.Phone = &daemon.Phone{Listen: "127.0.0.1:0", Host: "127.0.0.1"}
	s, stop := startOnce(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	phoneHost, err := libp2p.New(libp2p.NoListenAddrs, libp2p.Transport(websocket.New))
	if err != nil {
		t.Fatal(err)
	}
	defer phoneHost.Close()
	laptop, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer laptop.Close()
	var ws, tcp []ma.Multiaddr
	for _, a := range s.Node.Host().Addrs() {
		if _, err := a.ValueForProtocol(ma.P_WS); err == nil {
			ws = append(ws, a)
		} else if _, err := a.ValueForProtocol(ma.P_TCP); err == nil {
			tcp = append(tcp, a)
		}
	}
	if err := phoneHost.Connect(ctx, peer.AddrInfo{ID: s.Node.ID(), Addrs: ws}); err != nil {
		t.Fatalf("the phone connects over ws: %v", err)
	}
	if err := laptop.Connect(ctx, peer.AddrInfo{ID: s.Node.ID(), Addrs: tcp}); err != nil {
		t.Fatalf("the laptop connects over tcp: %v", err)
	}
	metric := func(name string) string {
		_, b := fetch(t, &http.Client{Timeout: time.Minute}, "http://"+s.Metrics.String()+"/metrics")
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				return v
			}
		}
		return ""
	}
	testwait.UntilNil(t, time.Minute, "the metrics count one phone of two peers", func() error {
		if p, ph := metric("starling_peers"), metric("starling_phone_peers"); p != "2" || ph != "1" {
			return fmt.Errorf("starling_peers %q, starling_phone_peers %q", p, ph)
		}
		return nil
	})
	phoneHost.Close()
	laptop.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
