//go:build linux

package store

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"starling/message"
)

// The child of TestDiskFullTmpfs runs the mode in tmpfsModeEnv on the
// store in tmpfsDirEnv.
const (
	tmpfsModeEnv = "STARLING_STORE_TMPFS_MODE"
	tmpfsDirEnv  = "STARLING_STORE_TMPFS_DIR"
	// tmpfsSize holds the hard floor (87 MiB at the smallest memtable),
	// the child's Floor (tmpfsOwnRoom above), the reserve (11 MiB) and
	// about 16 MiB of messages.
	tmpfsSize    = 120 << 20
	tmpfsOwnRoom = 4 << 20
	// tmpfsControlSize is the control's tmpfs: it needs no floors.
	tmpfsControlSize = 32 << 20
	tmpfsChildLimit  = 3 * time.Minute
	floodText        = 16000 // bytes of text per flood message, about the most a message holds
)

// TestDiskFullTmpfs floods a store on a real, small tmpfs in a child
// process until the disk is below Floor, then stores own messages until it
// is below the hard floor: the child must stay up, say why it refuses, and
// close cleanly. A second child reopens the store and finds every
// acknowledged message, read-only since the disk is below the hard floor.
// Then the test fills the tmpfs to the last byte itself: a third child opens
// the store read-only all the same, reads everything and refuses writes;
// once the filler is gone and the filesystem has grown, a fourth writes
// again. A control
// child floods a store with the floors turned off and dies of SIGBUS in
// Badger's memory-mapped writes, which is what this all prevents.
func TestDiskFullTmpfs(t *testing.T) {
	if os.Getenv(tmpfsModeEnv) != "" {
		t.Skip("running as a child of TestDiskFullTmpfs")
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; CI runs as root (the simulated disks of TestDisk* run everywhere)")
	}
	mnt := mountTmpfs(t, tmpfsSize)
	dir := filepath.Join(mnt, "store")

	lowest := watchFree(t, mnt)
	out := runTmpfsChild(t, "flood", dir)
	low := lowest()
	acked := parseIDs(t, out, "ack ")
	own := parseIDs(t, out, "ownack ")
	for id := range own {
		acked[id] = true
	}
	if len(acked) == len(own) || len(own) == 0 {
		t.Fatalf("flood child stored %d received and %d own messages:\n%s", len(acked)-len(own), len(own), tail(out))
	}
	for _, want := range []string{"received refused: low:", "own refused: full:", "messages from others are refused", "nothing new is saved"} {
		if !strings.Contains(out, want) {
			t.Errorf("flood child did not say %q:\n%s", want, tail(out))
		}
	}
	hard, _ := floorsOf(Config{MemTableSize: MinMemTableSize})
	t.Logf("flood: %d received and %d own messages acknowledged before the floors; the least free space seen was %s "+
		"(hard floor %s); %s", len(acked)-len(own), len(own), Bytes(low), Bytes(hard), lineWith(out, "own refused"))

	// Each verifying child that finds room stores one own message more.
	wrote := 0
	verify := func() string {
		out := runTmpfsChild(t, "verify", dir)
		checkAllThere(t, out, acked, len(own)+wrote)
		if strings.Contains(out, "write ok") {
			wrote++
		}
		return out
	}
	verify()
	filler := fillDisk(t, mnt)
	out = verify()
	if !strings.Contains(out, "state read-only") || !strings.Contains(out, "write refused") {
		t.Errorf("child on a full disk did not open read-only and refuse writes:\n%s", tail(out))
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// The flood left the disk at the hard floor: grow the filesystem, as
	// someone who frees space would.
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_REMOUNT, fmt.Sprintf("size=%d", 2*tmpfsSize)); err != nil {
		t.Fatal(err)
	}
	out = verify()
	if !strings.Contains(out, "write ok") {
		t.Errorf("child with space again could not write:\n%s", tail(out))
	}

	// The control: the same flood without floors.
	out, err := tmpfsChild("unguarded", filepath.Join(mountTmpfs(t, tmpfsControlSize), "store"))
	if err == nil || !strings.Contains(out, "SIGBUS") {
		t.Errorf("the unguarded flood was expected to die of SIGBUS; it ended with %v:\n%s", err, tail(out))
	} else {
		t.Logf("control: the unguarded flood died as expected: %s", lineWith(out, "SIGBUS"))
	}
}

// TestDiskFullTmpfsChild is the child's side of TestDiskFullTmpfs.
func TestDiskFullTmpfsChild(t *testing.T) {
	mode, dir := os.Getenv(tmpfsModeEnv), os.Getenv(tmpfsDirEnv)
	if mode == "" {
		t.Skip("run by TestDiskFullTmpfs")
	}
	cfg := Config{MemTableSize: MinMemTableSize, Disk: DiskConfig{CheckInterval: 100 * time.Millisecond}}
	hard, _ := floorsOf(cfg)
	cfg.Disk.Floor = hard + tmpfsOwnRoom
	if mode == "unguarded" {
		cfg.Disk.FreeSpace = func(string) (int64, error) { return -1, nil }
	}
	s, err := Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	d := s.Disk()
	fmt.Printf("state %s %s\n", d.Label(), d.Reason())
	switch mode {
	case "flood", "unguarded":
		floodChild(t, s)
	case "verify":
		verifyChild(t, s)
	}
}

func floodChild(t *testing.T, s *Store) {
	ctx := context.Background()
	g := groupID("tmpfs")
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	text := strings.Repeat("a flood of received messages ", floodText/29+1)[:floodText]
	deadline := time.Now().Add(tmpfsChildLimit / 2)
	// Received messages from eight writers, until a run of refusals.
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			key := keyFrom(fmt.Sprint("flooder ", w))
			refusals := 0
			for i := 0; refusals < 20 && i < 20000 && time.Now().Before(deadline); i++ {
				m := sign(t, key, g, uint64(1_700_000_000_000+i*8+w), text)
				_, err := s.Put(ctx, m, OriginGossip)
				switch {
				case err == nil:
					refusals = 0
					say("ack %s", m.ID)
				case errors.Is(err, ErrDiskFull):
					refusals++
					if refusals == 1 {
						say("received refused: %s: %v", s.Disk().Label(), err)
					}
				default:
					t.Errorf("put: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Then the user's own messages, until the hard floor.
	for i := 0; i < 20000 && time.Now().Before(deadline); i++ {
		m := sign(t, testKey, g, uint64(1_800_000_000_000+i), text)
		if _, err := s.PutOwn(ctx, m); err != nil {
			if !errors.Is(err, ErrDiskFull) {
				t.Errorf("own: %v", err)
			}
			say("own refused: %s: %v", s.Disk().Label(), err)
			return
		}
		say("ownack %s", m.ID)
	}
	t.Error("the disk never filled")
}

func verifyChild(t *testing.T, s *Store) {
	g := groupID("tmpfs")
	q := Query{Group: g, Limit: MaxQueryLimit}
	for {
		p, err := s.History(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range p.Messages {
			fmt.Printf("has %s\n", st.Msg.ID)
		}
		if q.Cursor = p.Next; q.Cursor == "" {
			break
		}
	}
	out, err := s.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("outbox %d\n", len(out))
	m := sign(t, keyFrom(fmt.Sprint(time.Now().UnixNano())), g, uint64(time.Now().UnixMilli()), "after")
	if _, err := s.PutOwn(context.Background(), m); err != nil {
		if !errors.Is(err, ErrDiskFull) {
			t.Error(err)
		}
		fmt.Printf("write refused: %v\n", err)
	} else {
		fmt.Printf("write ok\n")
	}
}

// watchFree samples the free space of the filesystem holding dir every
// millisecond until the returned function is called, which returns the
// least it saw.
func watchFree(t *testing.T, dir string) func() int64 {
	var least atomic.Int64
	least.Store(math.MaxInt64)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if free, err := statfsFree(dir); err == nil && free < least.Load() {
				least.Store(free)
			}
		}
	})
	var once sync.Once
	done := func() int64 {
		once.Do(func() { close(stop); wg.Wait() })
		return least.Load()
	}
	t.Cleanup(func() { done() })
	return done
}

// mountTmpfs mounts a tmpfs of size bytes on a fresh directory, unmounted
// at cleanup.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); the simulated disks of TestDisk* cover the floors", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	return mnt
}

// fillDisk writes a file until the filesystem has no byte left, as another
// program might.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for size := len(chunk); size > 0; {
		if _, err := f.Write(chunk[:size]); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			size /= 2
		}
	}
	if free, err := statfsFree(dir); err != nil || free != 0 {
		t.Fatalf("after filling the disk: %d bytes free, %v", free, err)
	}
	return name
}

func tmpfsChild(mode, dir string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tmpfsChildLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestDiskFullTmpfsChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), tmpfsModeEnv+"="+mode, tmpfsDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func runTmpfsChild(t *testing.T, mode, dir string) string {
	t.Helper()
	out, err := tmpfsChild(mode, dir)
	if err != nil {
		t.Fatalf("%s child failed: %v\n%s", mode, err, tail(out))
	}
	return out
}

func parseIDs(t *testing.T, out, prefix string) map[message.ID]bool {
	t.Helper()
	ids := map[message.ID]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		h, ok := strings.CutPrefix(sc.Text(), prefix)
		if !ok {
			continue
		}
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != len(message.ID{}) {
			t.Fatalf("bad line %q", sc.Text())
		}
		ids[message.ID(b)] = true
	}
	return ids
}

// checkAllThere checks that a verifying child read every acknowledged
// message, and an outbox of the own messages acknowledged so far.
func checkAllThere(t *testing.T, out string, acked map[message.ID]bool, outbox int) {
	t.Helper()
	has := parseIDs(t, out, "has ")
	lost := 0
	for id := range acked {
		if !has[id] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d acknowledged messages lost of %d", lost, len(acked))
	}
	if !strings.Contains(out, fmt.Sprintf("outbox %d\n", outbox)) {
		t.Errorf("the outbox lost own messages (%d acknowledged): %s", outbox, lineWith(out, "outbox"))
	}
}

func lineWith(out, s string) string {
	for line := range strings.Lines(out) {
		if strings.Contains(line, s) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

func tail(out string) string {
	if len(out) > 4000 {
		return "..." + out[len(out)-4000:]
	}
	return out
}
