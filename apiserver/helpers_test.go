package apiserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"starling/api"
	"starling/apiserver"
	"starling/home"
	"starling/node"
)

// TestMain fails the package if a goroutine outlives the tests: servers,
// nodes and HTTP connections are all closed in t.Cleanup.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait.
const waitTimeout = 30 * time.Second

// testServer is a Server on a loopback port, published in a temporary home
// so that api.Dial finds it.
type testServer struct {
	// stop shuts the server down and waits for Serve; t.Cleanup calls it
	// too.
	stop   func()
	url    string
	token  string
	home   home.Dir
	client *api.Client
	http   *http.Client
}

// startServer serves b; a node's services are served with it, and with
// gives a fake's.
func startServer(t testing.TB, b apiserver.Backend, with ...func(*apiserver.Config)) *testServer {
	t.Helper()
	token, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	cfg := apiserver.Config{Backend: b, Token: token}
	if n, ok := b.(*node.Node); ok {
		cfg.Alerts, cfg.Pictures, cfg.Conversation = n.Alerts(), n.Pictures(), n.Conversation()
		cfg.Moderation, cfg.People = n.Moderation(), n.Conversation()
	} else if m, ok := b.(apiserver.Moderation); ok {
		cfg.Moderation = m
	}
	for _, f := range with {
		f(&cfg)
	}
	srv, err := apiserver.New(cfg)
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
	transport := &http.Transport{Proxy: nil}
	stop := sync.OnceFunc(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		transport.CloseIdleConnections()
	})
	t.Cleanup(stop)

	dir := home.Dir(t.TempDir())
	ep := api.Endpoint{Addr: ln.Addr().String(), PID: os.Getpid(), Started: time.Now()}
	if err := api.Publish(dir, ep, token); err != nil {
		t.Fatal(err)
	}
	c, err := api.Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{stop: stop, url: "http://" + ep.Addr, token: token, home: dir, client: c, http: &http.Client{Transport: transport}}
}

// request sends an authorised request (edit may change it) and returns the
// status and body.
func (s *testServer) request(t testing.TB, method, path, body string, edit ...func(*http.Request)) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, e := range edit {
		e(req)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" && resp.StatusCode != http.StatusOK {
		t.Errorf("%s %s answered %d with Content-Type %q, want JSON", method, path, resp.StatusCode, ct)
	}
	return resp.StatusCode, b
}

// get sends an authorised request, requires status 200 and decodes the
// answer into out.
func (s *testServer) get(t testing.TB, method, path, body string, out any) {
	t.Helper()
	status, b := s.request(t, method, path, body)
	if status != http.StatusOK {
		t.Fatalf("%s %s = %d %s", method, path, status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %s: %v in %s", method, path, err, b)
	}
}

// requireError checks that a request fails with status and a JSON error
// body whose text contains want.
func (s *testServer) requireError(t testing.TB, status int, want, method, path, body string, edit ...func(*http.Request)) {
	t.Helper()
	got, b := s.request(t, method, path, body, edit...)
	var e api.Error
	if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
		t.Errorf("%s %s: body %q is not a JSON error (%v)", method, path, b, err)
	}
	if got != status {
		t.Errorf("%s %s = %d (%s), want %d", method, path, got, e.Error, status)
	}
	if !strings.Contains(e.Error, want) {
		t.Errorf("%s %s: error %q does not mention %q", method, path, e.Error, want)
	}
}

func withHeader(key, value string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(key, value) }
}

func withHost(host string) func(*http.Request) {
	return func(r *http.Request) { r.Host = host }
}
