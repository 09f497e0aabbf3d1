//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"starling/internal/testwait"
)

// storeJSON is the store field of `status --json`.
type storeJSON struct {
	State          string `json:"state"`
	Reason         string `json:"reason"`
	FreeBytes      int64  `json:"free_bytes"`
	FloorBytes     int64  `json:"floor_bytes"`
	HardFloorBytes int64  `json:"hard_floor_bytes"`
	Refused        uint64 `json:"refused"`
}

func (h *testHome) storeStatus() storeJSON {
	h.t.Helper()
	var st struct {
		Store *storeJSON `json:"store"`
	}
	h.decode(&st, "status", "--json")
	if st.Store == nil {
		h.t.Fatal("status --json has no store field")
	}
	return *st.Store
}

// diskTmpfsSize holds the default hard floor (317 MiB), Floor (32 MiB
// above), the reserve file (56 MiB) and the home.
const diskTmpfsSize = 512 << 20

// TestDiskFullNode runs `starling up` with its home on a real tmpfs (as
// root) and fills it: with a file to just above Floor, then with messages
// from a peer. The node stays up and says why it refuses them (status, its
// log), still sends its own, stops cleanly and starts again keeping
// everything. With the disk filled to the last byte, it starts read-only
// with a one-line explanation, and status, log, groups and id --safety work
// with the node running and without it. Once the filesystem grows, it
// saves again and fetches what it refused.
func TestDiskFullNode(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; CI runs as root (store's TestDisk* simulate a full disk everywhere)")
	}
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", diskTmpfsSize)); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	alice := &testHome{t: t, dir: filepath.Join(mnt, "alice"), logs: t.TempDir()}
	alice.ok("init", "--name", "alice")
	bob := initHome(t, "bob")
	ad, aid := alice.up("--listen", "/ip4/127.0.0.1/tcp/0")
	bd, bid := bob.up("--listen", "/ip4/127.0.0.1/tcp/0", "--peer", aid.addr(t, "/ip4/127.0.0.1/tcp/"))
	alice.ok("join", "lobby")
	bob.ok("join", "lobby")
	bob.waitPeers("lobby", aid.PeerID)
	alice.waitPeers("lobby", bid.PeerID)
	first := bob.sendNow("lobby", "before the disk fills")
	if err := waitMessage(t, meetTimeout, "lobby", first, alice); err != nil {
		t.Fatal(err)
	}

	// Fill the disk to just above Floor, then let bob's messages cross it.
	st := alice.storeStatus()
	if st.State != "ok" || st.FloorBytes <= st.HardFloorBytes {
		t.Fatalf("store status before filling: %+v", st)
	}
	filler := filepath.Join(mnt, "filler")
	fill(t, filler, st.FreeBytes-st.FloorBytes-64<<10)
	text := strings.Repeat("flood ", 16000/6)
	var sent []string
	testwait.UntilNil(t, meetTimeout, "alice's disk to be low", func() error {
		if st = alice.storeStatus(); st.State == "low" {
			return nil
		}
		if len(sent) < 40 {
			sent = append(sent, bob.sendNow("lobby", fmt.Sprint(len(sent), text)))
		}
		return fmt.Errorf("state %s, %d free, floor %d, %d sent", st.State, st.FreeBytes, st.FloorBytes, len(sent))
	})
	if ad.exited() {
		t.Fatalf("alice's node died:\n%s", ad.log())
	}
	r := alice.ok("status")
	if !strings.Contains(r.stdout, "store      LOW: only ") || !strings.Contains(r.stdout, "messages from others are refused") {
		t.Errorf("status does not say why the node refuses messages:\n%s", r.stdout)
	}
	testwait.UntilNil(t, meetTimeout, "alice's log to say the disk is low", func() error {
		if !strings.Contains(ad.log(), "disk space is low") {
			return errors.New("not yet")
		}
		return nil
	})
	refused := bob.sendNow("lobby", "while alice's disk is low")
	own := alice.sendNow("lobby", "alice's own, on a low disk")
	if err := waitMessage(t, meetTimeout, "lobby", own, bob); err != nil {
		t.Fatal(err)
	}
	kept := alice.log("lobby")
	for _, m := range kept {
		if m.ID == refused {
			t.Errorf("alice stored bob's message while her disk was low")
		}
	}
	t.Logf("low after %d messages of 16 KB from bob: %s", len(sent), lineOf(r.stdout, "store "))

	// A clean stop and a start on the low disk keep everything. (Halfway
	// between the floors first: closing frees a little.)
	st = alice.storeStatus()
	fill(t, filler, st.FreeBytes-(st.FloorBytes+st.HardFloorBytes)/2)
	ad.stop()
	ad, _ = alice.up("--listen", "/ip4/127.0.0.1/tcp/0")
	if st := alice.storeStatus(); st.State != "low" {
		t.Errorf("after a restart on a low disk: %+v", st)
	}
	checkKept(t, alice, kept)

	// Filled to the last byte by another program while it runs (in one
	// go, so that the test knows what happens when): it stays up, saves
	// nothing, and turns read-only, using the room its reserve file gave
	// back to flush. Then the program takes that room too: the node still
	// serves every read and stops cleanly.
	grab(t, filler)
	testwait.UntilNil(t, meetTimeout, "alice's node to turn read-only", func() error {
		if st = alice.storeStatus(); st.State != "read-only" {
			return fmt.Errorf("state %s, %d free", st.State, st.FreeBytes)
		}
		return nil
	})
	r = alice.run("send", "lobby", "on a full disk")
	checkOneLineError(t, r, 1, "not enough free disk space")
	fill(t, filler, 1<<40)
	readOnlyCommands(t, alice, kept, true)
	if ad.exited() {
		t.Fatalf("alice's node died when the disk filled:\n%s", ad.log())
	}
	ad.stop()
	closedCleanly(t, alice, ad)

	// Not a byte left: every reading command still works without the
	// node; writing ones fail in one line, and so does `up`, which cannot
	// write its API endpoint.
	readOnlyCommands(t, alice, kept, false)
	r = alice.run("send", "lobby", "offline, on a full disk")
	checkOneLineError(t, r, 1, "not enough free disk space")
	fill(t, filler, 1<<40) // the pages of the API endpoint the node removed
	r = alice.run("up", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0")
	if last := lastLine(r.stderr); r.code != 1 || !strings.HasPrefix(last, "starling: ") || !strings.Contains(last, "no space left on device") {
		t.Errorf("up with not a byte left did not fail in one clear line:\n%s", r)
	}

	// With a little room, it starts read-only, in one line.
	if err := os.Truncate(filler, fileSize(t, filler)-4<<20); err != nil {
		t.Fatal(err)
	}
	ad, out := startReadOnly(t, alice)
	if lines := strings.Count(out, "store read-only:"); lines != 1 {
		t.Errorf("up printed %d read-only lines, want one:\n%s", lines, out)
	}
	t.Logf("up on a full disk: %s", lineOf(out, "store read-only"))
	readOnlyCommands(t, alice, kept, true)
	ad.stop()
	closedCleanly(t, alice, ad)

	// Room again: the node saves, and fetches what it refused.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_REMOUNT, fmt.Sprintf("size=%d", 2*diskTmpfsSize)); err != nil {
		t.Fatal(err)
	}
	ad, _ = alice.up("--listen", "/ip4/127.0.0.1/tcp/0", "--peer", bobAddr(t, bob))
	if st := alice.storeStatus(); st.State != "ok" {
		t.Errorf("with room again: %+v", st)
	}
	if err := waitMessage(t, meetTimeout, "lobby", refused, alice); err != nil {
		t.Errorf("alice did not catch up on what she refused: %v", err)
	}
	alice.sendNow("lobby", "back to normal")
	ad.stop()
	bd.stop()
}

// fill grows the file at path by up to n bytes, less if the disk fills.
func fill(t *testing.T, path string, n int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for size := int64(len(chunk)); n > 0 && size > 0; {
		k, err := f.Write(chunk[:min(size, n)])
		n -= int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			size /= 2
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

// grab allocates all the free space of path's filesystem to path at once.
func grab(t *testing.T, path string) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size := fileSize(t, path)
	if err := syscall.Fallocate(int(f.Fd()), 0, size, int64(st.Bavail)*st.Bsize); err != nil {
		t.Fatal(err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// startReadOnly starts alice's node on a full disk and returns what it
// printed.
func startReadOnly(t *testing.T, h *testHome) (*daemonProc, string) {
	t.Helper()
	d, _, stdout := h.startDaemon("up", "--listen", "/ip4/127.0.0.1/tcp/0")
	b, err := os.ReadFile(stdout)
	if err != nil {
		t.Fatal(err)
	}
	if st := h.storeStatus(); st.State != "read-only" || !strings.Contains(st.Reason, "read-only") {
		t.Errorf("status on a full disk: %+v", st)
	}
	return d, string(b)
}

// readOnlyCommands runs the commands that only read, with the node running
// or not, and checks that they work and that nothing kept was lost.
func readOnlyCommands(t *testing.T, h *testHome, kept []logLine, running bool) {
	t.Helper()
	r := h.ok("status")
	if !strings.Contains(r.stdout, "READ-ONLY: ") && !strings.Contains(r.stdout, "FULL: ") {
		t.Errorf("status (running %v) on a full disk does not say so:\n%s", running, r.stdout)
	}
	h.ok("groups")
	h.ok("id", "--safety")
	checkKept(t, h, kept)
}

// checkKept checks that every message kept is still in the log.
func checkKept(t *testing.T, h *testHome, kept []logLine) {
	t.Helper()
	has := map[string]bool{}
	for _, m := range h.log("lobby") {
		has[m.ID] = true
	}
	for _, m := range kept {
		if !has[m.ID] {
			t.Errorf("message %s (%q) was lost", m.ID[:8], m.Text[:min(len(m.Text), 30)])
		}
	}
}

// closedCleanly checks that a stopped node left no write-ahead log to
// replay: a store left so cannot be read on a full disk.
func closedCleanly(t *testing.T, h *testHome, d *daemonProc) {
	t.Helper()
	if wal, _ := filepath.Glob(filepath.Join(h.dir, "store", "*.mem")); len(wal) > 0 || strings.Contains(d.log(), "too full to close") {
		t.Fatalf("the store was not closed cleanly (left %v):\n%s", wal, d.log())
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func lineOf(out, prefix string) string {
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

func bobAddr(t *testing.T, bob *testHome) string {
	t.Helper()
	var id idJSON
	bob.decode(&id, "id", "--json")
	return id.addr(t, "/ip4/127.0.0.1/tcp/")
}
