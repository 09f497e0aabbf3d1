package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"starling/internal/testwait"
)

// reactionJSON is a text's reactions as `log --json` and `react --json`
// print them.
type reactionJSON struct {
	Emoji string `json:"emoji"`
	Count int    `json:"count"`
	Mine  bool   `json:"mine"`
}

// logEntry is what this test reads of `log --json`.
type logEntry struct {
	ID          string         `json:"id"`
	Ref         string         `json:"ref"`
	Text        string         `json:"text"`
	Reactions   []reactionJSON `json:"reactions"`
	MentionsYou bool           `json:"mentions_you"`
}

func (h *testHome) entries(group string) map[string]logEntry {
	h.t.Helper()
	out := map[string]logEntry{}
	for line := range strings.Lines(h.ok("log", group, "--json", "--limit", "0").stdout) {
		var e logEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			h.t.Fatal(err)
		}
		out[e.ID] = e
	}
	return out
}

// send --reply and react with the real binary between two daemons: the
// reply carries its ref, a reaction counts once however often it is sent,
// --remove takes it back, `log` shows both, and bad input is a one-line
// error.
func TestConversationCLI(t *testing.T) {
	ms := startLine(t, "lobby", "alice", "bob")
	alice, bob := ms[0].h.in(t), ms[1].h.in(t)
	awaitMesh(t, "lobby", alice, bob)

	hello := alice.sendNow("lobby", "lunch at noon, @bob?")
	if err := waitMessage(t, meetTimeout, "lobby", hello, bob); err != nil {
		t.Fatal(err)
	}
	r := bob.ok("send", "lobby", "yes!", "--reply", hello[:10])
	m := sentRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("send --reply printed:\n%s", r)
	}
	reply := m[2]
	if e := bob.entries("lobby"); e[reply].Ref != hello || !e[hello].MentionsYou {
		t.Errorf("bob's log: reply %+v, mention %+v", e[reply], e[hello])
	}

	r = bob.ok("react", "lobby", hello[:8], "👍")
	if !strings.Contains(r.stdout, "reacted 👍 to "+hello[:8]) || !strings.Contains(r.stdout, "👍 1 (yours: 👍)") {
		t.Errorf("react printed:\n%s", r)
	}
	if r = bob.ok("react", "lobby", hello, "👍"); !strings.Contains(r.stdout, "already; nothing sent") {
		t.Errorf("the same reaction again printed:\n%s", r)
	}
	alice.ok("react", "lobby", hello, "👍")
	testwait.UntilNil(t, meetTimeout, "alice to count two 👍", func() error {
		if rs := alice.entries("lobby")[hello].Reactions; len(rs) != 1 || rs[0].Count != 2 || !rs[0].Mine {
			return fmt.Errorf("reactions %+v", rs)
		}
		return nil
	})
	human := alice.ok("log", "lobby").stdout
	if !strings.Contains(human, "    👍 2 (yours: 👍)") || !strings.Contains(human, "↪ "+hello[:8]+" yes!") {
		t.Errorf("log for people lacks the reactions or the reply mark:\n%s", human)
	}

	if r = bob.ok("react", "lobby", hello, "👍", "--remove"); !strings.Contains(r.stdout, "took back your 👍") {
		t.Errorf("react --remove printed:\n%s", r)
	}
	testwait.UntilNil(t, meetTimeout, "alice to count one 👍", func() error {
		if rs := alice.entries("lobby")[hello].Reactions; len(rs) != 1 || rs[0].Count != 1 {
			return fmt.Errorf("reactions %+v", rs)
		}
		return nil
	})

	checkOneLineError(t, bob.run("react", "lobby", hello, "ok"), 1, "is not one emoji")
	checkOneLineError(t, bob.run("react", "lobby", "0000000000", "👍"), 1, "no text whose ID starts with 0000000000")
	checkOneLineError(t, bob.run("send", "lobby", "x", "--reply", "12"), 1, "first 8 or more")
	ms[1].d.stop()
	checkOneLineError(t, bob.run("react", "lobby", hello, "👍"), 1, "react needs a running node")
}
