package netlab

import (
	"context"
	"errors"
	"fmt"
	"go.uber.org/goleak"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The scenarios and the topology, in real namespaces. These tests need
// root, iproute2 and nftables; without them they skip and say why.

// binDir holds the starling binary that the scenario tests build once.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "netlab-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "netlab test:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		// Every goroutine a test starts ends with it.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "netlab test:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var (
	canLabOnce sync.Once
	canLabErr  error
)

// needLab skips the test unless this machine can run a lab: root, the
// tools, and an `ip netns add` that works.
func needLab(t *testing.T) {
	t.Helper()
	canLabOnce.Do(func() {
		if canLabErr = Check(); canLabErr != nil {
			return
		}
		ns := fmt.Sprintf("%s%d-0-probe", namePrefix, os.Getpid())
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			canLabErr = fmt.Errorf("ip netns add failed: %v: %s", err, strings.TrimSpace(string(out)))
			return
		}
		if out, err := exec.Command("ip", "netns", "delete", ns).CombinedOutput(); err != nil {
			canLabErr = fmt.Errorf("ip netns delete failed: %v: %s", err, strings.TrimSpace(string(out)))
		}
	})
	if canLabErr != nil {
		t.Skipf("SKIP: the network lab cannot run here: %v", canLabErr)
	}
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// starlingBin builds cmd/starling once for all tests, unless the
// environment names a binary to test in NETLAB_STARLING.
func starlingBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("NETLAB_STARLING"); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildBin, buildErr = BuildStarling(ctx, binDir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// newLab returns a lab that is closed at cleanup; the close must succeed.
func newLab(t *testing.T, cfg Config) *Lab {
	t.Helper()
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close the lab: %v", err)
		}
		if left := l.leftovers(); len(left) > 0 {
			t.Errorf("namespaces remain after Close: %q", left)
		}
	})
	return l
}

// TestScenarios runs every scenario, in parallel: each has its own
// namespaces. A relay scenario skips when the binary has no `relay`.
func TestScenarios(t *testing.T) {
	needLab(t)
	bin := starlingBin(t)
	for _, s := range Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			if s.NeedsRelay {
				if err := RelayAvailable(t.Context(), bin); err != nil {
					t.Skipf("SKIP: %v", err)
				}
			}
			logs := t.TempDir()
			start := time.Now()
			err := s.Run(t.Context(), Config{Starling: bin, LogDir: logs, Logger: testLogger(t)})
			t.Logf("%s took %s", s.Name, time.Since(start).Round(100*time.Millisecond))
			if err != nil {
				t.Errorf("scenario %s: %v", s.Name, err)
				dumpLogs(t, logs)
			}
		})
	}
}

// dumpLogs prints the end of every daemon log in dir.
func dumpLogs(t *testing.T, dir string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, f := range files {
		t.Logf("--- %s (last 40 lines):\n%s", filepath.Base(f), logTail(f, 40))
	}
}

// listen opens a TCP listener on the host's address and port inside its
// namespace, closed at cleanup; accepted connections are closed at once.
func listen(t *testing.T, h *Host) net.Listener {
	t.Helper()
	ln := listenIn(t, h)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln
}

// listenIn opens a TCP listener on the host's address and port inside its
// namespace.
func listenIn(t *testing.T, h *Host) net.Listener {
	t.Helper()
	var ln net.Listener
	err := inNamespace(h.ns, func() error {
		var err error
		ln, err = net.Listen("tcp", netip.AddrPortFrom(h.addr, port).String())
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", h.name, err)
	}
	return ln
}

// reachMatrix reports, for every ordered pair of hosts, whether the first
// reaches the second's listener, as "h1>h2" entries in order. A pair in
// want has reachTimeout to connect and any other pair a second: a busy
// machine makes a connection late, never one that should fail succeed, so
// only a pair that should connect needs the time.
func reachMatrix(t *testing.T, want []string, hosts ...*Host) []string {
	t.Helper()
	var pairs [][2]*Host
	for _, from := range hosts {
		for _, to := range hosts {
			if from != to {
				pairs = append(pairs, [2]*Host{from, to})
			}
		}
	}
	ok := make([]bool, len(pairs))
	var wg sync.WaitGroup
	for i, p := range pairs {
		timeout := time.Second
		if slices.Contains(want, p[0].name+">"+p[1].name) {
			timeout = reachTimeout
		}
		wg.Go(func() {
			ok[i] = p[0].Dial(t.Context(), netip.AddrPortFrom(p[1].addr, port), timeout) == nil
		})
	}
	wg.Wait()
	var reach []string
	for i, p := range pairs {
		if ok[i] {
			reach = append(reach, p[0].name+">"+p[1].name)
		}
	}
	return reach
}

// TestFilters checks each segment filter with plain TCP listeners: what it
// must drop, and what it must let through.
func TestFilters(t *testing.T) {
	needLab(t)
	l := newLab(t, Config{Starling: os.Args[0], Logger: testLogger(t)})
	ctx := t.Context()
	seg, err := l.AddSegment(ctx, "lan", "10.30.0.0/24")
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := addHosts(ctx, seg, "h", 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		listen(t, h)
	}
	h1, h2, h3 := hosts[0], hosts[1], hosts[2]
	everyone := []string{"h1>h2", "h1>h3", "h2>h1", "h2>h3", "h3>h1", "h3>h2"}
	steps := []struct {
		name  string
		apply func() error
		want  []string
	}{
		{"no filter", func() error { return nil }, everyone},
		{"isolate h1 and h2", func() error { return seg.Isolate(ctx, h1, h2) }, []string{"h1>h3", "h2>h3", "h3>h1", "h3>h2"}},
		{"lift the isolation", func() error { return seg.Isolate(ctx) }, everyone},
		{"partition h1 | h2 h3", func() error { return seg.Partition(ctx, []*Host{h1}, []*Host{h2, h3}) }, []string{"h2>h3", "h3>h2"}},
		{"heal", func() error { return seg.Heal(ctx) }, everyone},
		{"lose every frame", func() error { return seg.SetLoss(ctx, 100) }, nil},
		{"lose none", func() error { return seg.SetLoss(ctx, 0) }, everyone},
	}
	for _, st := range steps {
		if err := st.apply(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := reachMatrix(t, st.want, hosts...); !slices.Equal(got, st.want) {
			t.Errorf("%s: reachable %q, want %q", st.name, got, st.want)
		}
	}
	if n, err := seg.Dropped(ctx); err != nil || n != 0 {
		t.Errorf("Dropped after the filters were lifted = %d, %v; want 0 (the counters restart with the rules)", n, err)
	}
	if err := seg.SetLoss(ctx, 101); err == nil {
		t.Error("SetLoss(101) succeeded, want an error")
	}
	if err := seg.Isolate(ctx, &Host{name: "stranger"}); err == nil {
		t.Error("Isolate accepted a host of another segment")
	}
}

// TestNAT checks the NAT: the inside reaches the outside, seen as the NAT's
// outside address; the outside cannot reach in; two sites cannot reach each
// other directly.
func TestNAT(t *testing.T) {
	needLab(t)
	l := newLab(t, Config{Starling: os.Args[0], Logger: testLogger(t)})
	ctx := t.Context()
	public, err := l.AddSegment(ctx, "public", publicSubnet)
	if err != nil {
		t.Fatal(err)
	}
	var clients []*Host
	var nats []*NAT
	for _, site := range []string{"a", "b"} {
		seg, err := l.AddSegment(ctx, "site-"+site, "192.168."+strconv.Itoa(len(nats)+1)+".0/24")
		if err != nil {
			t.Fatal(err)
		}
		n, err := l.AddNAT(ctx, "nat-"+site, seg, public)
		if err != nil {
			t.Fatal(err)
		}
		nats = append(nats, n)
		c, err := seg.AddHost(ctx, site+"1")
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		if _, err := l.AddNAT(ctx, "nat-late-"+site, seg, public); err == nil {
			t.Error("a second NAT on a segment with hosts was accepted")
		}
	}
	server, err := public.AddHost(ctx, "server")
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t, server)
	for _, c := range clients {
		listen(t, c)
	}
	want := []string{"a1>server", "b1>server"}
	if got := reachMatrix(t, want, append(clients, server)...); !slices.Equal(got, want) {
		t.Errorf("reachable %q, want %q", got, want)
	}

	// The server sees the NAT's outside address as the source.
	ln.Close()
	var seen netip.Addr
	srv := listenOnce(t, server, &seen)
	if err := clients[0].Dial(ctx, netip.AddrPortFrom(server.addr, port), reachTimeout); err != nil {
		t.Fatal(err)
	}
	<-srv
	if seen != nats[0].Outside() {
		t.Errorf("the server saw a1's connection from %s, want the NAT's outside address %s", seen, nats[0].Outside())
	}
}

// listenOnce accepts one connection on the host's port and stores its
// source address; the channel closes when it has.
func listenOnce(t *testing.T, h *Host, from *netip.Addr) <-chan struct{} {
	t.Helper()
	ln := listenIn(t, h)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		*from = c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
		c.Close()
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return done
}

// TestSweep checks that a namespace named after a process that no longer
// runs is removed, and one of a running process is not.
func TestSweep(t *testing.T) {
	needLab(t)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := fmt.Sprintf("%s%d-1-stale", namePrefix, dead.Process.Pid)
	alive := fmt.Sprintf("%s%d-1-alive", namePrefix, os.Getppid())
	for _, ns := range []string{stale, alive} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "delete", ns).Run() })
	}
	Sweep(testLogger(t))
	names := listNamespaces()
	if slices.Contains(names, stale) {
		t.Errorf("Sweep left %s, whose process is gone", stale)
	}
	if !slices.Contains(names, alive) {
		t.Errorf("Sweep removed %s, whose process runs", alive)
	}
}

// TestClosedLab checks that a closed lab builds nothing more.
func TestClosedLab(t *testing.T) {
	needLab(t)
	l, err := New(Config{Starling: os.Args[0]})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if _, err := l.AddSegment(t.Context(), "lan", "10.40.0.0/24"); !errors.Is(err, ErrClosed) {
		t.Errorf("AddSegment on a closed lab: %v, want ErrClosed", err)
	}
}

// testLogger sends the lab's steps to the test's output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// TestDialKeepsChildrenAlive: the children have the kernel kill them when
// the thread that started them exits, so the threads Dial borrows must
// survive it. Children started from many threads, then many Dials at once:
// every child must still run.
func TestDialKeepsChildrenAlive(t *testing.T) {
	needLab(t)
	l := newLab(t, Config{Starling: os.Args[0], Logger: testLogger(t)})
	seg, err := l.AddSegment(t.Context(), "lan", "10.50.0.0/24")
	if err != nil {
		t.Fatal(err)
	}
	h, err := seg.AddHost(t.Context(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	listen(t, h)
	children := make([]*exec.Cmd, 16)
	var wg sync.WaitGroup
	for i := range children {
		wg.Go(func() {
			c := exec.Command("sleep", "60")
			c.SysProcAttr = childAttrs()
			if err := c.Start(); err != nil {
				t.Error(err)
				return
			}
			children[i] = c
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range children {
			if c != nil {
				c.Process.Kill()
				c.Wait()
			}
		}
	})
	for range 64 {
		wg.Go(func() {
			if err := h.Dial(t.Context(), netip.AddrPortFrom(h.addr, port), reachTimeout); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, c := range children {
		if c == nil {
			continue
		}
		// Signal 0 checks for the process; a killed child is a zombie until
		// reaped, so look at its state too.
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.Process.Pid))
		if err != nil || strings.Contains(string(stat), ") Z ") {
			t.Errorf("child %d (pid %d) died while Dial ran: %v %s", i, c.Process.Pid, err, stat)
		}
	}
}
