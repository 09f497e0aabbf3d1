package store

import (
	"bufio"
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"starling/message"
)

// killDirEnv selects the child mode of TestKill9 and names its store.
const killDirEnv = "STARLING_STORE_KILL_CHILD_DIR"

const (
	killRuns       = 20
	killMaxAcks    = 60               // the parent kills after 1..killMaxAcks acknowledgements
	killChildLimit = 20 * time.Second // a child that outlives this is killed and the test fails
)

// TestKill9 runs a child process that stores own messages in a loop and
// prints each ID once PutOwn has returned, kills it with SIGKILL at a random
// point, and checks that the reopened store holds every acknowledged message,
// in the outbox and the index, and passes Check. The runs share one
// directory, so each also recovers from the kills before it.
func TestKill9(t *testing.T) {
	if os.Getenv(killDirEnv) != "" {
		t.Skip("running as the child of TestKill9")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	acked := map[message.ID]bool{}
	for run := range killRuns {
		n := 1 + rng.IntN(killMaxAcks)
		for _, id := range runAndKill(t, dir, n) {
			acked[id] = true
		}
		s, err := Open(dir, Config{})
		if err != nil {
			t.Fatalf("run %d: reopen after kill: %v", run, err)
		}
		verifyAcked(t, s, acked, run)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("%d runs, %d acknowledged messages survived SIGKILL", killRuns, len(acked))
}

// runAndKill starts the child on dir, reads acknowledgements until it has
// want of them and kills the child with SIGKILL.
func runAndKill(t *testing.T, dir string, want int) []message.ID {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), killChildLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestKill9Child$", "-test.count=1")
	cmd.Env = append(os.Environ(), killDirEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ids []message.ID
	sc := bufio.NewScanner(stdout)
	for len(ids) < want && sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "ack ")
		if !ok {
			continue
		}
		id, err := message.ParseID(line)
		if err != nil {
			t.Errorf("child printed %q: %v", sc.Text(), err)
			continue
		}
		ids = append(ids, id)
	}
	// SIGKILL at once; the child may be anywhere in its next PutOwn.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	cmd.Wait() // reaps the child; its error is the kill
	if ctx.Err() != nil {
		t.Fatalf("child ran past %v; stderr:\n%s", killChildLimit, stderr.String())
	}
	if len(ids) < want {
		t.Fatalf("child stopped after %d of %d acknowledgements; stderr:\n%s", len(ids), want, stderr.String())
	}
	return ids
}

func verifyAcked(t *testing.T, s *Store, acked map[message.ID]bool, run int) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Errorf("run %d: %v", run, err)
	}
	out, err := s.Outbox()
	if err != nil {
		t.Fatalf("run %d: outbox: %v", run, err)
	}
	inOutbox := map[message.ID]bool{}
	for _, m := range out {
		inOutbox[m.ID] = true
	}
	indexed := map[message.ID]bool{}
	for _, g := range killGroups {
		items, err := s.Items(g)
		if err != nil {
			t.Fatalf("run %d: items: %v", run, err)
		}
		for _, it := range items {
			indexed[it.ID] = true
		}
	}
	lost := 0
	for id := range acked {
		has, err := s.Has(id)
		if err != nil || !has || !inOutbox[id] || !indexed[id] {
			lost++
			if lost <= 5 {
				t.Errorf("run %d: acknowledged message %s: stored %v (%v), in outbox %v, indexed %v",
					run, id.Short(), has, err, inOutbox[id], indexed[id])
			}
		}
	}
	if lost > 0 {
		t.Errorf("run %d: %d of %d acknowledged messages lost or damaged", run, lost, len(acked))
	}
}

var killGroups = []message.GroupID{groupID("k1"), groupID("k2"), groupID("k3")}

// TestKill9Child is the child of TestKill9; it does nothing in a normal run.
func TestKill9Child(t *testing.T) {
	dir := os.Getenv(killDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9")
	}
	_, key, err := ed25519.GenerateKey(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(killChildLimit)
	for i := 0; i < 100_000 && time.Now().Before(deadline); i++ {
		m := sign(t, key, killGroups[i%len(killGroups)], message.TimeMS(time.Now()), fmt.Sprintf("kill test %d", i))
		if _, err := s.PutOwn(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		// Printed only after PutOwn returned: an acknowledgement.
		if _, err := fmt.Fprintf(os.Stdout, "ack %s\n", m.ID); err != nil {
			return // the parent is gone
		}
	}
}
