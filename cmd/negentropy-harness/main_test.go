package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildHarness compiles this command into a temporary directory.
func buildHarness(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH to build the harness")
	}
	bin := filepath.Join(t.TempDir(), "negentropy-harness")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is one running harness, spoken to line by line.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	in     *bufio.Writer
	stdin  io.WriteCloser
	out    *bufio.Reader
	stderr strings.Builder
}

func startHarness(t *testing.T, ctx context.Context, bin, name string, frameSizeLimit int) *proc {
	t.Helper()
	p := &proc{t: t, name: name, cmd: exec.CommandContext(ctx, bin)}
	p.cmd.Env = append(os.Environ(), fmt.Sprintf("FRAMESIZELIMIT=%d", frameSizeLimit))
	p.cmd.Stderr = &p.stderr
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.in = bufio.NewWriter(p.stdin)
	p.out = bufio.NewReaderSize(stdout, 1<<20)
	t.Cleanup(func() { p.stop() })
	return p
}

func (p *proc) send(line string) {
	p.t.Helper()
	if _, err := p.in.WriteString(line + "\n"); err != nil {
		p.t.Fatalf("%s: write: %v", p.name, err)
	}
}

func (p *proc) flush() {
	p.t.Helper()
	if err := p.in.Flush(); err != nil {
		p.t.Fatalf("%s: flush: %v (stderr: %s)", p.name, err, p.stderr.String())
	}
}

func (p *proc) recv() string {
	p.t.Helper()
	p.flush()
	line, err := p.out.ReadString('\n')
	if err != nil {
		p.t.Fatalf("%s: read: %v (stderr: %s)", p.name, err, p.stderr.String())
	}
	return strings.TrimSuffix(line, "\n")
}

// stop closes stdin, which ends the harness, and returns its exit error.
func (p *proc) stop() error {
	p.stdin.Close()
	return p.cmd.Wait()
}

type conformance struct {
	recs           int
	p1, p2, p3     int // weights: only in harness 1, only in 2, in both (as test/fuzz.pl)
	limit1, limit2 int
}

// TestHarnessesReconcile is the reference repository's test/fuzz.pl in Go:
// random items spread over two harness processes, harness 1 initiates, the
// driver relays messages until harness 1 prints done, and the have and need
// lines must add up to both sides holding the union, each ID reported once.
func TestHarnessesReconcile(t *testing.T) {
	bin := buildHarness(t)
	cases := []conformance{
		{recs: 10000, p1: 1, p2: 1, p3: 98},
		{recs: 10000, p1: 1, p2: 0, p3: 0},
		{recs: 10000, p1: 0, p2: 1, p3: 0},
		{recs: 10000, p1: 1, p2: 1, p3: 10},
		{recs: 20000, p1: 1, p2: 1, p3: 5, limit1: 60000, limit2: 500000}, // as test.pl's interop runs
		{recs: 5000, p1: 1, p2: 1, p3: 10, limit1: 4096, limit2: 4096},
		{recs: 5000, p1: 1, p2: 1, p3: 10, limit1: 4096},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("recs=%d/p=%d,%d,%d/limits=%d,%d", c.recs, c.p1, c.p2, c.p3, c.limit1, c.limit2), func(t *testing.T) {
			conform(t, bin, c, uint64(i))
		})
	}
}

func conform(t *testing.T, bin string, c conformance, seed uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h1 := startHarness(t, ctx, bin, "harness 1", c.limit1)
	h2 := startHarness(t, ctx, bin, "harness 2", c.limit2)

	rng := mrand.New(mrand.NewPCG(seed, 1))
	ids1, ids2 := map[string]bool{}, map[string]bool{}
	total := c.p1 + c.p2 + c.p3
	for range c.recs {
		created := 1677970534 + rng.IntN(c.recs)
		var raw [32]byte
		rand.Read(raw[:])
		id := hex.EncodeToString(raw[:])
		line := fmt.Sprintf("item,%d,%s", created, id)
		switch r := rng.IntN(total); {
		case r < c.p1:
			h1.send(line)
			ids1[id] = true
		case r < c.p1+c.p2:
			h2.send(line)
			ids2[id] = true
		default:
			h1.send(line)
			h2.send(line)
			ids1[id], ids2[id] = true, true
		}
	}
	h1.send("seal")
	h2.send("seal")
	h2.flush()
	h1.send("initiate")

	for rounds := 0; ; rounds++ {
		if rounds > 10000 {
			t.Fatal("no convergence after 10000 rounds")
		}
		line := h1.recv()
		action, arg, _ := strings.Cut(line, ",")
		switch action {
		case "have", "need":
			ids := map[string]map[string]bool{"have": ids2, "need": ids1}[action]
			if ids[arg] {
				t.Fatalf("duplicate insert of %s", line)
			}
			ids[arg] = true
			rounds--
			continue
		case "msg":
			checkFrame(t, "harness 1", arg, c.limit1)
			h2.send(line)
		case "done":
			if err := h1.stop(); err != nil {
				t.Fatalf("harness 1 exit: %v (stderr: %s)", err, h1.stderr.String())
			}
			if err := h2.stop(); err != nil {
				t.Fatalf("harness 2 exit: %v (stderr: %s)", err, h2.stderr.String())
			}
			if len(ids1) != len(ids2) {
				t.Fatalf("after reconciliation: %d ids vs %d", len(ids1), len(ids2))
			}
			for id := range ids1 {
				if !ids2[id] {
					t.Fatalf("%s not in ids2", id)
				}
			}
			return
		default:
			t.Fatalf("unexpected line from harness 1: %q", line)
		}
		answer := h2.recv()
		if !strings.HasPrefix(answer, "msg,") {
			t.Fatalf("unexpected line from harness 2: %q", answer)
		}
		checkFrame(t, "harness 2", strings.TrimPrefix(answer, "msg,"), c.limit2)
		h1.send(answer)
	}
}

func checkFrame(t *testing.T, who, hexMsg string, limit int) {
	t.Helper()
	if limit != 0 && len(hexMsg)/2 > limit {
		t.Fatalf("%s sent %d bytes, over its frame size limit %d", who, len(hexMsg)/2, limit)
	}
}

// TestHarnessProtocolVersion is the reference's test/protoversion.pl for
// version 1: a server asked in another version answers with its own version
// byte and then answers version 1 as usual; a client told that the peer
// needs another version stops with an error.
func TestHarnessProtocolVersion(t *testing.T) {
	bin := buildHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := strings.Repeat("ee", 32)

	server := startHarness(t, ctx, bin, "server", 0)
	server.send("item,12345," + id)
	server.send("seal")
	server.send("msg,62aabbccddeeff")
	if got := server.recv(); got != "msg,61" {
		t.Fatalf("answer to version 2: %q, want msg,61", got)
	}
	server.send("msg,6100000200") // full range, empty IdList
	if got, want := server.recv(), "msg,6100000201"+id; got != want {
		t.Fatalf("answer to version 1: %q, want %q", got, want)
	}

	client := startHarness(t, ctx, bin, "client", 0)
	client.send("seal")
	client.send("initiate")
	if got := client.recv(); got != "msg,6100000200" {
		t.Fatalf("empty client's first message: %q", got)
	}
	client.send("msg,62")
	client.flush()
	if err := client.stop(); err == nil || !strings.Contains(client.stderr.String(), "protocol version") {
		t.Fatalf("client given version 2: exit %v, stderr %q; want a protocol version error", err, client.stderr.String())
	}
}
