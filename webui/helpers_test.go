package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"starling/api"
)

// Every test must leave no goroutine behind: Serve joins its sockets and
// the in-process API streams.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	apiToken = "api-token-0123456789abcdef0123456789abcdef"
	webToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	// waitFor bounds every wait in these tests; they end as soon as the
	// condition holds.
	waitFor = 10 * time.Second
)

// seen is one request the fake API answered.
type seen struct {
	Method, Path, Query, Host, Auth, Cookie, Body string
}

// fakeAPI answers like the local API: its handler only to its token and a
// loopback Host, echoing each request; Watch streams whatever the test
// pushes on events, or refuses with refuse.
type fakeAPI struct {
	events  chan api.Event
	refuse  error // what Watch fails with at once, if set
	mu      sync.Mutex
	seen    []seen
	watched []string // the refs of every Watch
}

func newFakeAPI() *fakeAPI { return &fakeAPI{events: make(chan api.Event, 16)} }

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	s := seen{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Host: r.Host,
		Auth: r.Header.Get("Authorization"), Cookie: r.Header.Get("Cookie"), Body: string(body)}
	f.mu.Lock()
	f.seen = append(f.seen, s)
	f.mu.Unlock()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, err)
	case r.Host != "127.0.0.1" || s.Auth != "Bearer "+apiToken:
		writeError(w, http.StatusUnauthorized, errors.New("missing or wrong API token"))
	default:
		writeJSON(w, http.StatusOK, s)
	}
}

// Watch sends what the test pushes on f.events until ctx ends; an Event
// with no field set ends the stream as the API ends it, with a reason.
func (f *fakeAPI) Watch(ctx context.Context, ref string, opened func(), fn func(api.Event) error) error {
	f.mu.Lock()
	f.watched = append(f.watched, ref)
	refuse := f.refuse
	f.mu.Unlock()
	if refuse != nil {
		return refuse
	}
	opened()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e := <-f.events:
			if e.Name() == "" {
				return fmt.Errorf("%w: subscriber too slow", api.ErrStreamEnded)
			}
			if err := fn(e); err != nil {
				return err
			}
		}
	}
}

func (f *fakeAPI) last(t *testing.T) seen {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) == 0 {
		t.Fatal("the API saw no request")
	}
	return f.seen[len(f.seen)-1]
}

// testConfig is a config over a with the known web token.
func testConfig(a API) Config {
	return Config{API: a, APIToken: apiToken, Token: webToken}
}

// serve runs a server on 127.0.0.1 until the test ends and returns its
// address; cleanup checks that Serve returns cleanly.
func serve(t *testing.T, cfg Config) (string, *Server) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr, stop := startServe(t, s)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return addr, s
}

// startServe runs s on 127.0.0.1; stop ends it and returns Serve's error,
// failing the test if Serve does not return in time.
func startServe(t *testing.T, s *Server) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var once sync.Once
	var serveErr error
	return ln.Addr().String(), func() error {
		once.Do(func() {
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(waitFor):
				t.Errorf("Serve did not return within %s of its context's end", waitFor)
			}
		})
		return serveErr
	}
}

// do sends one request to addr with the given Host and headers.
func do(t *testing.T, method, addr, host, path, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{Proxy: nil}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Timeout: waitFor, Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// errorOf decodes an error body.
func errorOf(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
		t.Fatalf("body is not an error object: %q", body)
	}
	return e.Error
}
