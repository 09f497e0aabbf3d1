package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"
	"go.uber.org/goleak"

	"starling/api"
	"starling/daemon"
	"starling/home"
	"starling/identity/transportkey"
	"starling/internal/testwait"
	"starling/node"
	"starling/relay"
	"starling/webui"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// config is a daemon on loopback with derived keys and a store on disk in
// a fresh home.
func config(t *testing.T, name string) daemon.Config {
	t.Helper()
	u, tk, err := transportkey.Derive(name)
	if err != nil {
		t.Fatal(err)
	}
	dir := home.Dir(t.TempDir())
	return daemon.Config{
		Home: dir,
		Node: node.Config{
			User: u, TransportKey: tk, StoreDir: dir.Store(),
			ListenAddrs: []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")},
		},
	}
}

// syncBuffer is the daemon's Out, read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the daemon until the returned stop is called; stop returns
// what Run returned. It waits for Ready.
func start(t *testing.T, cfg daemon.Config) (daemon.Started, func() error) {
	t.Helper()
	ready := make(chan daemon.Started, 1)
	cfg.Ready = func(s daemon.Started) { ready <- s }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- daemon.Run(ctx, cfg) }()
	select {
	case s := <-ready:
		return s, func() error {
			cancel()
			select {
			case err := <-done:
				return err
			case <-time.After(time.Minute):
				t.Fatal("Run did not return within a minute of its context ending")
				return nil
			}
		}
	case err := <-done:
		cancel()
		t.Fatalf("Run ended before it was ready: %v", err)
	case <-time.After(time.Minute):
		cancel()
		t.Fatal("the daemon was not ready within a minute")
	}
	return daemon.Started{}, nil
}

// A daemon serves its API and web UI, records both in the home, joins its
// groups, and when its context ends stops everything, removes its
// records and leaves no goroutine behind (TestMain).
func TestRunServesAndStops(t *testing.T) {
	cfg := config(t, "alice")
	var out syncBuffer
	cfg.Out = &out
	cfg.Web = &daemon.Web{Addr: "127.0.0.1:0"}
	cfg.Join = []string{"lobby"}
	s, stop := start(t, cfg)

	c, err := api.Dial(cfg.Home)
	if err != nil {
		t.Fatalf("the API's endpoint: %v", err)
	}
	defer c.Close()
	testwait.UntilNil(t, time.Minute, "the API answers", func() error { return c.Ping(context.Background()) })
	if !daemon.Running(context.Background(), cfg.Home) {
		t.Error("Running says no daemon runs")
	}
	rec, err := webui.ReadRecord(cfg.Home)
	if err != nil || s.Web == nil || rec.Local != s.Web.Local {
		t.Fatalf("web UI record %+v, %v; started %+v", rec, err, s.Web)
	}
	testwait.UntilNil(t, time.Minute, "the web UI answers", func() error { return rec.Ping(context.Background()) })
	for _, want := range []string{"starling up: alice", "api http://" + s.API.String(), "joined lobby", "web http://" + rec.Local} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("start-up report lacks %q:\n%s", want, out.String())
		}
	}

	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := os.Stat(cfg.Home.APIEndpoint()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the API's endpoint outlived the daemon: %v", err)
	}
	if _, err := os.Stat(cfg.Home.WebUI()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the web UI's record outlived the daemon: %v", err)
	}
	if _, err := net.DialTimeout("tcp", s.API.String(), time.Second); err == nil {
		t.Error("the API still listens after Run returned")
	}
}

// Whatever fails at start fails before the node runs, says which address
// it was, and undoes what had started: no records left, the store's lock
// released (a second daemon starts on the same home).
func TestStartFailuresUndo(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	for _, tc := range []struct {
		name  string
		setup func(*daemon.Config)
		check func(t *testing.T, err error)
	}{{
		name:  "api address taken",
		setup: func(c *daemon.Config) { c.APIAddr = taken.Addr().String() },
		check: wantListen("api"),
	}, {
		name:  "web address taken",
		setup: func(c *daemon.Config) { c.Web = &daemon.Web{Addr: taken.Addr().String()} },
		check: wantListen("web"),
	}, {
		name: "metrics address taken",
		setup: func(c *daemon.Config) {
			c.Relay = &daemon.Relay{ACL: relay.Open, Metrics: taken.Addr().String()}
		},
		check: wantListen("metrics"),
	}, {
		name:  "bad group to join",
		setup: func(c *daemon.Config) { c.Join = []string{"not a name!"} },
		check: func(t *testing.T, err error) {
			if err == nil || !strings.Contains(err.Error(), "not a name!") {
				t.Errorf("Run = %v, want the bad group named", err)
			}
		},
	}, {
		name:  "web address not loopback",
		setup: func(c *daemon.Config) { c.Web = &daemon.Web{Addr: "0.0.0.0:0"} },
		check: func(t *testing.T, err error) {
			if err == nil {
				t.Error("Run with a web UI on every interface: no error")
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, "bob")
			tc.setup(&cfg)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := daemon.Run(ctx, cfg)
			tc.check(t, err)
			for _, f := range []string{cfg.Home.APIEndpoint(), cfg.Home.WebUI()} {
				if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s left behind: %v", f, err)
				}
			}
			// The node was closed: the store opens again.
			again := config(t, "bob")
			again.Home, again.Node.StoreDir = cfg.Home, cfg.Node.StoreDir
			_, stop := start(t, again)
			if err := stop(); err != nil {
				t.Errorf("a daemon on the same home afterwards: %v", err)
			}
		})
	}
}

func wantListen(what string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var le *daemon.ListenError
		if !errors.Is(err, daemon.ErrListen) || !errors.As(err, &le) || le.What != what {
			t.Errorf("Run = %v, want a ListenError for %s", err, what)
		}
	}
}

// A second daemon on a home whose daemon runs is refused before it opens
// anything.
func TestRefusesSecondDaemon(t *testing.T) {
	cfg := config(t, "carol")
	_, stop := start(t, cfg)
	defer stop()
	second := cfg
	second.Node.StoreDir = "" // not the lock: the running daemon is what refuses it
	if err := daemon.Run(context.Background(), second); !errors.Is(err, daemon.ErrRunning) {
		t.Errorf("a second daemon: %v, want %v", err, daemon.ErrRunning)
	}
	if !daemon.Running(context.Background(), cfg.Home) {
		t.Error("the first daemon's records were disturbed")
	}
}

// An organiser relay serves its metrics, which read the node too.
func TestRelayMetrics(t *testing.T) {
	cfg := config(t, "relay")
	cfg.Relay = &daemon.Relay{ACL: relay.Invite, Metrics: "127.0.0.1:0"}
	var out syncBuffer
	cfg.Out = &out
	s, stop := start(t, cfg)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	if !strings.Contains(out.String(), "starling relay: relay") || !strings.Contains(out.String(), "relay acl invite") {
		t.Errorf("start-up report:\n%s", out.String())
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	var body string
	testwait.UntilNil(t, time.Minute, "the metrics answer", func() error {
		resp, err := client.Get("http://" + s.Metrics.String() + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		body = string(b)
		return err
	})
	for _, want := range []string{"starling_relay_reservations", "starling_peers", "starling_relay_acl_refused_reservations_total", "starling_alert_acks_total"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
