package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A value damaged on disk: `log` reads past it and says so, `store check`
// names it and fails, `--repair` quarantines it and keeps everything else,
// and the check refuses to run beside a node.
func TestStoreCheck(t *testing.T) {
	h := initHome(t, "alice")
	h.ok("join", "lobby")
	texts := []string{"one", "two", "three, to be damaged on disk", "four", "five"}
	ids := map[string]string{}
	for _, text := range texts {
		id, _ := h.send("lobby", text)
		ids[text] = id
	}
	flipInTables(t, filepath.Join(h.dir, "store"), texts[2])

	r := h.ok("log", "lobby", "--limit", "0")
	for i, text := range texts {
		if strings.Contains(r.stdout, text) != (i != 2) {
			t.Errorf("log past the damage:\n%s", r)
			break
		}
	}
	if !strings.Contains(r.stderr, "skipped 1 damaged message") || !strings.Contains(r.stderr, "store check --repair") {
		t.Errorf("log did not warn about the damaged message:\n%s", r)
	}

	for _, quick := range []string{"--quick=false", "--quick"} {
		r = h.run("store", "check", quick)
		if r.code != 1 || !strings.Contains(r.stdout, "problems   1\n  quarantine message "+ids[texts[2]][:8]+": envelope has id") ||
			r.stderr != "starling: the store has 1 problem; `starling store check --repair` quarantines what is damaged and keeps the rest\n" {
			t.Errorf("store check does not name the damaged message and fail:\n%s", r)
		}
	}

	r = h.ok("store", "check", "--repair")
	if !strings.Contains(r.stdout, "repaired   3 records moved into quarantine, 0 messages reindexed; 0 problems left") {
		t.Errorf("repair (the record, its index and outbox entries):\n%s", r)
	}
	r = h.ok("store", "check", "--quarantine")
	if !strings.Contains(r.stdout, "problems   none") || !strings.Contains(r.stdout, "3 in quarantine") ||
		!strings.Contains(r.stdout, "m/"+ids[texts[2]]) {
		t.Errorf("check after repair:\n%s", r)
	}
	r = h.ok("log", "lobby", "--limit", "0")
	if r.stderr != "" || strings.Count(r.stdout, "\n") != 4 {
		t.Errorf("log after repair:\n%s", r)
	}

	d, id := h.up("--listen", "/ip4/127.0.0.1/tcp/0")
	r = h.run("store", "check")
	checkOneLineError(t, r, 1, "a node is running for "+h.dir+" (peer "+id.PeerID+"); stop it")
	d.stop()
}

// flipInTables flips a byte of text where it stands in the store's tables.
func flipInTables(t *testing.T, dir, text string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if i := bytes.Index(data, []byte(text)); i >= 0 {
			data[i] ^= 0x20
			if err := os.WriteFile(f, data, 0o600); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("%q is in no table of %s", text, dir)
}
