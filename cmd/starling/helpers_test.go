package main

// Helpers for the end-to-end tests: they build the real starling binary once
// and run it as people do, one process per command, with daemons in the
// background. Every wait polls until a deadline.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"starling/home"
	"starling/internal/testwait"
)

const (
	// commandTimeout bounds one client command; a hung command fails the test.
	commandTimeout = 30 * time.Second
	// meetTimeout bounds waits for daemons to start, meet and gossip. The
	// waits end as soon as the condition holds; the bound only matters when
	// something is broken (or the machine is very busy running every
	// package's tests at once).
	meetTimeout = 45 * time.Second
	// stopTimeout bounds a daemon's clean exit after SIGTERM.
	stopTimeout = 20 * time.Second
)

// starlingBin is the binary TestMain builds.
var starlingBin string

func TestMain(m *testing.M) {
	code := buildAndRun(m)
	if code == 0 {
		// Every goroutine a test starts ends with it.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "starling e2e:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// buildAndRun builds the binary (without -race: it runs as a separate
// process, and the race detector would only slow it down) into a temporary
// directory that it removes after the tests.
func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "starling-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "starling e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	starlingBin = filepath.Join(dir, "starling")
	if out, err := exec.Command("go", "build", "-o", starlingBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "starling e2e: go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// testHome is one Starling home directory, optionally inside a network
// namespace that every command for it runs in.
type testHome struct {
	t           *testing.T
	dir         string
	ns          string
	logs        string // where daemons' output goes, outside the home
	fingerprint string // as init printed it
}

// newHome returns an empty, uninitialised home.
func newHome(t *testing.T) *testHome {
	t.Helper()
	return &testHome{t: t, dir: t.TempDir(), logs: t.TempDir()}
}

// initHome returns a home initialised with the given name.
func initHome(t *testing.T, name string) *testHome {
	t.Helper()
	h := newHome(t)
	r := h.ok("init", "--name", name)
	m := regexp.MustCompile(`(?m)^fingerprint ([a-z2-7 ]+)$`).FindStringSubmatch(r.stdout)
	if !strings.HasPrefix(r.stdout, name+"\n") || m == nil {
		t.Fatalf("init printed no name and fingerprint:\n%s", r)
	}
	h.fingerprint = m[1]
	return h
}

// in returns the home for use in subtest t: failures go to t.
func (h *testHome) in(t *testing.T) *testHome {
	c := *h
	c.t = t
	return &c
}

func (h *testHome) endpointFile() string { return home.Dir(h.dir).APIEndpoint() }

// command builds `starling --home DIR args...`, under `ip netns exec` when
// the home lives in a namespace. It refuses to build an `up` outside a
// namespace that would start mDNS: multicast from the host's interfaces is
// traffic these tests must never send.
func (h *testHome) command(ctx context.Context, args ...string) *exec.Cmd {
	h.t.Helper()
	if h.ns == "" && slices.Contains(args, "up") && !slices.Contains(args, "--no-mdns") {
		h.t.Fatalf("test bug: `up` outside a network namespace needs --no-mdns: %q", args)
	}
	name, full := starlingBin, append([]string{"--home", h.dir}, args...)
	if h.ns != "" {
		name, full = "ip", append([]string{"netns", "exec", h.ns, starlingBin}, full...)
	}
	cmd := exec.CommandContext(ctx, name, full...)
	// Its own process group keeps a terminal's Ctrl-C for `go test` alone;
	// the parent-death signal ends it if the test binary dies without
	// cleaning up. `ip netns exec` execs starling in place, so the PID we
	// hold is starling's either way.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// result is what one finished command did.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("starling %q: exit %d\nstdout:\n%s\nstderr:\n%s", r.args, r.code, r.stdout, r.stderr)
}

// runInput runs one command to its end with stdin as input.
func (h *testHome) runInput(stdin string, args ...string) result {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := h.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		h.t.Fatalf("starling %q did not finish within %s\n%s", args, commandTimeout, r)
	case errors.As(err, &exit) && exit.Exited():
		r.code = exit.ExitCode()
	case err != nil:
		h.t.Fatalf("starling %q: %v\n%s", args, err, r)
	}
	return r
}

// run runs one command to its end with empty input.
func (h *testHome) run(args ...string) result {
	h.t.Helper()
	return h.runInput("", args...)
}

// ok runs a command that must succeed.
func (h *testHome) ok(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("want exit 0:\n%s", r)
	}
	return r
}

// decode runs a command that must succeed and decodes its JSON output.
func (h *testHome) decode(v any, args ...string) {
	h.t.Helper()
	r := h.ok(args...)
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		h.t.Fatalf("decode the output of %q: %v\n%s", args, err, r.stdout)
	}
}

// The JSON the CLI prints, spelled out here rather than borrowed from the
// api package so that a renamed field fails these tests.
type (
	idJSON struct {
		PeerID      string   `json:"peer_id"`
		Addrs       []string `json:"addrs"`
		Fingerprint string   `json:"fingerprint"`
		Name        string   `json:"name"`
	}
	peerJSON struct {
		PeerID string   `json:"peer_id"`
		Addrs  []string `json:"addrs"`
		Groups []string `json:"groups"`
	}
	logLine struct {
		ID      string `json:"id"`
		Group   string `json:"group"`
		GroupID string `json:"group_id"`
		Author  string `json:"author"`
		Name    string `json:"name"`
		SentAt  string `json:"sent_at"`
		Text    string `json:"text"`
		Origin  string `json:"origin"`
	}
)

// logFields are the fields every line of `log --json` must carry.
var logFields = []string{"id", "group", "group_id", "author", "name", "sent_at", "text", "origin"}

// log returns a group's whole history from `log GROUP --json --limit 0`.
func (h *testHome) log(group string) []logLine {
	h.t.Helper()
	r := h.ok("log", group, "--json", "--limit", "0")
	var out []logLine
	for line := range strings.Lines(r.stdout) {
		var fields map[string]any
		if err := json.Unmarshal([]byte(line), &fields); err != nil {
			h.t.Fatalf("log --json printed a line that is not JSON: %v\n%q", err, line)
		}
		for _, f := range logFields {
			if _, ok := fields[f].(string); !ok {
				h.t.Fatalf("log --json line lacks the string field %q: %s", f, line)
			}
		}
		var m logLine
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// sentRE matches what `send` prints on success, with the message ID.
var sentRE = regexp.MustCompile(`^(sent|queued) ([0-9a-f]{64})(?: to (\d+) peers in (.+)|: no peer in (.+) yet; it goes out when one is there)\n$`)

// send sends text and returns the message ID and whether it was queued.
func (h *testHome) send(group, text string) (id string, queued bool) {
	h.t.Helper()
	r := h.ok("send", group, text)
	m := sentRE.FindStringSubmatch(r.stdout)
	if m == nil {
		h.t.Fatalf("unexpected output from send:\n%s", r)
	}
	if got := m[4] + m[5]; got != group {
		h.t.Fatalf("send to %q reported group %q", group, got)
	}
	return m[2], m[1] == "queued"
}

// sendNow sends text through a daemon that has a peer in the group.
func (h *testHome) sendNow(group, text string) string {
	h.t.Helper()
	id, queued := h.send(group, text)
	if queued {
		h.t.Fatalf("send %q to %s was queued, but the daemon has peers there", text, group)
	}
	return id
}

// daemonProc is a running `starling up`.
type daemonProc struct {
	h      *testHome
	cmd    *exec.Cmd
	stderr string        // path of its captured stderr
	done   chan struct{} // closed once the process is reaped
}

// up starts a daemon for the home with the given flags and waits until its
// API answers. Outside a namespace it always passes --no-mdns. The daemon
// is killed (by its PID) at cleanup if it still runs.
func (h *testHome) up(flags ...string) (*daemonProc, idJSON) {
	h.t.Helper()
	d, id, _ := h.startDaemon("up", flags...)
	return d, id
}

// startDaemon is up for any daemon subcommand (up, relay); it also returns
// the path of the file the daemon's stdout goes to.
func (h *testHome) startDaemon(sub string, flags ...string) (*daemonProc, idJSON, string) {
	h.t.Helper()
	args := append([]string{sub}, flags...)
	if h.ns == "" && !slices.Contains(args, "--no-mdns") {
		args = append(args, "--no-mdns")
	}
	stdout, err := os.CreateTemp(h.logs, sub+"-*.stdout")
	if err != nil {
		h.t.Fatal(err)
	}
	stderr, err := os.Create(strings.TrimSuffix(stdout.Name(), ".stdout") + ".stderr")
	if err != nil {
		h.t.Fatal(err)
	}
	d := &daemonProc{h: h, cmd: h.command(context.Background(), args...), stderr: stderr.Name(), done: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = stdout, stderr
	err = d.cmd.Start()
	stdout.Close()
	stderr.Close()
	if err != nil {
		h.t.Fatalf("start starling %s: %v", sub, err)
	}
	go func() {
		d.cmd.Wait()
		close(d.done)
	}()
	h.t.Cleanup(func() {
		d.kill()
		if h.t.Failed() {
			h.t.Logf("stderr of starling %q (pid %d):\n%s", args, d.cmd.Process.Pid, d.log())
		}
	})

	var id idJSON
	testwait.UntilNil(h.t, meetTimeout, "the daemon's API answers", func() error {
		if d.exited() {
			h.t.Fatalf("starling %s exited early: %s\n%s", sub, d.cmd.ProcessState, d.log())
		}
		r := h.run("id", "--json")
		if r.code != 0 {
			return errors.New(r.stderr)
		}
		return json.Unmarshal([]byte(r.stdout), &id)
	})
	return d, id, stdout.Name()
}

func (d *daemonProc) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// log returns what the daemon wrote on stderr so far.
func (d *daemonProc) log() string {
	b, _ := os.ReadFile(d.stderr)
	return string(b)
}

// stop sends SIGTERM and checks that the daemon exits 0 within stopTimeout
// and removes its API endpoint file.
func (d *daemonProc) stop() {
	t := d.h.t
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-d.done:
	case <-time.After(stopTimeout):
		t.Fatalf("starling up (pid %d) did not exit within %s of SIGTERM\n%s", d.cmd.Process.Pid, stopTimeout, d.log())
	}
	if code := d.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("starling up exited %d after SIGTERM, want 0\n%s", code, d.log())
	}
	if _, err := os.Stat(d.h.endpointFile()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the daemon left %s behind after a clean stop (stat: %v)", d.h.endpointFile(), err)
	}
}

// kill sends SIGKILL unless the daemon has exited, and waits until it is
// reaped.
func (d *daemonProc) kill() {
	if !d.exited() {
		// Process.Signal goes through a pidfd, so it cannot hit another
		// process that reused the PID.
		d.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-d.done
}

// addr returns the daemon's loopback multiaddr with /p2p/ from id.
func (id idJSON) addr(t *testing.T, prefix string) string {
	t.Helper()
	for _, a := range id.Addrs {
		if strings.HasPrefix(a, prefix) && strings.HasSuffix(a, "/p2p/"+id.PeerID) {
			return a
		}
	}
	t.Fatalf("no address starting %s and ending in /p2p/%s among %q", prefix, id.PeerID, id.Addrs)
	return ""
}

// waitPeers waits until h's daemon lists every peer ID in want as connected
// and, unless group is empty, in group.
func (h *testHome) waitPeers(group string, want ...string) {
	h.t.Helper()
	h.waitPeersWithin(meetTimeout, group, want...)
}

// waitPeersWithin is waitPeers with its own bound.
func (h *testHome) waitPeersWithin(timeout time.Duration, group string, want ...string) {
	h.t.Helper()
	testwait.UntilNil(h.t, timeout, fmt.Sprintf("%s lists its peers in %q", h.dir, group), func() error {
		var peers []peerJSON
		h.decode(&peers, "peers", "--json")
		for _, id := range want {
			i := slices.IndexFunc(peers, func(p peerJSON) bool { return p.PeerID == id })
			if i < 0 {
				return fmt.Errorf("peer %s not connected; peers: %+v", id, peers)
			}
			if group != "" && !slices.Contains(peers[i].Groups, group) {
				return fmt.Errorf("peer %s not in %s yet: %+v", id, group, peers[i])
			}
		}
		return nil
	})
}

// waitMessage waits until every home's log of group holds the message id.
func waitMessage(t *testing.T, timeout time.Duration, group, id string, homes ...*testHome) error {
	t.Helper()
	return testwait.Poll(timeout, func() error {
		for _, h := range homes {
			if !slices.ContainsFunc(h.log(group), func(m logLine) bool { return m.ID == id }) {
				return fmt.Errorf("%s does not hold %s", h.dir, id)
			}
		}
		return nil
	})
}

// awaitMesh makes sure that a message from any of homes reaches all of them:
// each sends a probe and waits until all hold it, sending a fresh probe when
// one does not arrive. Peers that list each other in a group may still lack
// the GossipSub mesh, which forms a heartbeat or so later, and a relaying
// node forwards only along its mesh. It returns the probes' IDs.
func awaitMesh(t *testing.T, group string, homes ...*testHome) map[string]bool {
	t.Helper()
	probes := map[string]bool{}
	deadline := time.Now().Add(meetTimeout)
	for i, h := range homes {
		for attempt := 1; ; attempt++ {
			id := h.sendNow(group, fmt.Sprintf("probe %d from node %d", attempt, i+1))
			probes[id] = true
			err := waitMessage(t, 5*time.Second, group, id, homes...)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a probe from node %d still reaches not every node after %s: %v", i+1, meetTimeout, err)
			}
		}
	}
	return probes
}

// checkOneLineError checks a failed command: the exit status, nothing on
// stdout and exactly one line on stderr that contains hint.
func checkOneLineError(t *testing.T, r result, code int, hint string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d\n%s", r.code, code, r)
	}
	if r.stdout != "" {
		t.Errorf("printed on stdout:\n%s", r)
	}
	if !strings.HasPrefix(r.stderr, "starling: ") || !strings.HasSuffix(r.stderr, "\n") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr is not one line starting with `starling: `:\n%s", r)
	}
	if !strings.Contains(r.stderr, hint) {
		t.Errorf("stderr does not say %q:\n%s", hint, r)
	}
}

// checkLog checks that h's lobby holds exactly the messages ids.
func checkLog(t *testing.T, h *testHome, ids ...string) {
	t.Helper()
	var got []string
	for _, m := range h.in(t).log("lobby") {
		got = append(got, m.ID)
	}
	slices.Sort(got)
	ids = slices.Sorted(slices.Values(ids))
	if !slices.Equal(got, ids) {
		b, _ := json.Marshal(map[string][]string{"got": got, "want": ids})
		t.Errorf("%s: lobby does not hold exactly the expected messages: %s", h.dir, b)
	}
}
