package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"starling/internal/testwait"
)

// trickyText is one message made of what people use to slip past keyword
// filters, and what breaks naive line handling: zero-width space and joiner,
// a combining acute, a right-to-left override, an emoji ZWJ sequence, a tab
// and an embedded newline. It must come back byte for byte.
const trickyText = "zero\u200bwidth jo\u200dined cafe\u0301 \u202eevil\u202c family \U0001F469\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466 tab\there\nsecond line"

// controlText carries terminal escape sequences and a carriage return:
// exact in JSON, escaped when printed for people.
const controlText = "escape \x1b[31mred\x1b[0m and carriage\rreturn"

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// member is one node of a test network: its home, daemon and identity.
type member struct {
	name string
	h    *testHome
	d    *daemonProc
	id   idJSON
}

// startLine starts n daemons on 127.0.0.1 with the first as every other
// one's --peer, and joins all of them to group. GossipSub relays what node 2
// sends to node 3 through node 1.
func startLine(t *testing.T, group string, names ...string) []*member {
	t.Helper()
	var ms []*member
	for i, name := range names {
		m := &member{name: name, h: initHome(t, name)}
		flags := []string{"--listen", "/ip4/127.0.0.1/tcp/0"}
		if i > 0 {
			flags = append(flags, "--peer", ms[0].id.addr(t, "/ip4/127.0.0.1/tcp/"))
		}
		m.d, m.id = m.h.up(flags...)
		// init shows the fingerprint in groups for reading aloud.
		if m.id.Name != name || m.id.Fingerprint != strings.ReplaceAll(m.h.fingerprint, " ", "") {
			t.Fatalf("id --json of %s: %+v; init said fingerprint %q", name, m.id, m.h.fingerprint)
		}
		ms = append(ms, m)
	}
	for _, m := range ms {
		r := m.h.ok("join", group)
		if !strings.HasPrefix(r.stdout, "joined "+group+" (") {
			t.Fatalf("join printed %q", r.stdout)
		}
	}
	var others []string
	for _, m := range ms[1:] {
		others = append(others, m.id.PeerID)
		m.h.waitPeers(group, ms[0].id.PeerID)
	}
	ms[0].h.waitPeers(group, others...)
	return ms
}

func homesOf(ms []*member) []*testHome {
	var hs []*testHome
	for _, m := range ms {
		hs = append(hs, m.h)
	}
	return hs
}

func TestBinaryThreeNodes(t *testing.T) {
	start := time.Now()
	ms := startLine(t, "lobby", "alice", "bob", "carol")
	probes := awaitMesh(t, "lobby", homesOf(ms)...)

	sent := []struct {
		from int
		text string
		id   string
	}{
		{from: 0, text: "hello from alice"},
		{from: 1, text: trickyText},
		{from: 2, text: controlText},
	}
	for i := range sent {
		sent[i].id = ms[sent[i].from].h.sendNow("lobby", sent[i].text)
	}
	for _, s := range sent {
		if err := waitMessage(t, meetTimeout, "lobby", s.id, homesOf(ms)...); err != nil {
			t.Fatalf("message from %s did not reach every node: %v", ms[s.from].name, err)
		}
	}

	var groupID string
	for _, reader := range ms {
		log := reader.h.log("lobby")
		seen := map[string]int{}
		var last time.Time
		for _, m := range log {
			seen[m.ID]++
			sentAt, err := time.Parse(time.RFC3339, m.SentAt)
			if err != nil {
				t.Errorf("%s: sent_at %q is not RFC 3339: %v", reader.name, m.SentAt, err)
			}
			if sentAt.Before(last) {
				t.Errorf("%s: log is not oldest first at %s", reader.name, m.ID)
			}
			last = sentAt
			if !hex64.MatchString(m.ID) || !hex64.MatchString(m.GroupID) || m.Group != "lobby" {
				t.Errorf("%s: bad id, group or group_id: %+v", reader.name, m)
			}
			if groupID == "" {
				groupID = m.GroupID
			}
			if m.GroupID != groupID {
				t.Errorf("%s: group_id %s, elsewhere %s", reader.name, m.GroupID, groupID)
			}
			isSent := false
			for _, s := range sent {
				isSent = isSent || s.id == m.ID
			}
			if !isSent && !probes[m.ID] {
				t.Errorf("%s: log holds a message nobody sent: %+v", reader.name, m)
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s: %s is listed %d times", reader.name, id, n)
			}
		}
		for _, s := range sent {
			from := ms[s.from]
			i := indexOf(log, s.id)
			if i < 0 {
				t.Errorf("%s: message from %s missing", reader.name, from.name)
				continue
			}
			m := log[i]
			if m.Author != from.id.Fingerprint || m.Name != from.name {
				t.Errorf("%s: author %q name %q, want %q %q", reader.name, m.Author, m.Name, from.id.Fingerprint, from.name)
			}
			if m.Text != s.text {
				t.Errorf("%s: text from %s changed:\n got %q\nwant %q", reader.name, from.name, m.Text, s.text)
			}
			if sentAt, _ := time.Parse(time.RFC3339, m.SentAt); sentAt.Before(start.Add(-time.Minute)) || sentAt.After(time.Now().Add(time.Minute)) {
				t.Errorf("%s: sent_at %s is not around now", reader.name, m.SentAt)
			}
			// Live by gossip normally; by catch-up if gossip lost it.
			wantOrigin := []string{"gossip", "catchup"}
			if reader == from {
				wantOrigin = []string{"own"}
			}
			if !slices.Contains(wantOrigin, m.Origin) {
				t.Errorf("%s: origin %q of %s's message, want one of %q", reader.name, m.Origin, from.name, wantOrigin)
			}
		}
	}

	// For people, control characters are escaped and multi-line texts
	// indented; the invisible characters stay as they were sent.
	human := ms[0].h.ok("log", "lobby", "--limit", "0").stdout
	for _, want := range []string{`escape \x1b[31mred\x1b[0m and carriage\x0dreturn`, "tab\there\n    second line", "cafe\u0301 \u202eevil"} {
		if !strings.Contains(human, want) {
			t.Errorf("log for people lacks %q:\n%s", want, human)
		}
	}
	if strings.ContainsAny(human, "\x1b\r") {
		t.Errorf("log for people prints raw control characters:\n%q", human)
	}

	t.Run("chat", func(t *testing.T) { testChat(t, ms[2], ms[0]) })

	for _, m := range ms {
		m.d.stop()
	}
}

// testChat runs `starling chat` on one node through pipes: the lines it
// reads go out (an invalid one is refused with a note), and a message from
// another node is printed as it arrives.
func testChat(t *testing.T, chatter, other *member) {
	chatHome, otherHome := chatter.h.in(t), other.h.in(t)
	ctx, cancel := context.WithTimeout(context.Background(), meetTimeout)
	defer cancel()
	cmd := chatHome.command(ctx, "chat", "lobby", "--history", "1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-waited
	})

	testwait.UntilNil(t, meetTimeout, "chat shows the newest message", func() error {
		if stdout.String() == "" {
			return fmt.Errorf("no output yet; stderr %q", stderr.String())
		}
		return nil
	})
	if _, err := io.WriteString(stdin, "bad \xff byte\n\nhello from chat\n"); err != nil {
		t.Fatal(err)
	}
	testwait.UntilNil(t, meetTimeout, "the line typed into chat reaches "+other.name, func() error {
		for _, m := range otherHome.log("lobby") {
			if m.Text == "hello from chat" && m.Author == chatter.id.Fingerprint {
				return nil
			}
		}
		return fmt.Errorf("not there; chat stderr %q", stderr.String())
	})
	otherHome.sendNow("lobby", "reply to chat")
	testwait.UntilNil(t, meetTimeout, "chat prints the reply", func() error {
		if !strings.Contains(stdout.String(), "): reply to chat\n") {
			return fmt.Errorf("chat printed %q", stdout.String())
		}
		return nil
	})
	stdin.Close()
	select {
	case err := <-waited:
		waited <- err // for the cleanup
		if err != nil {
			t.Fatalf("chat ended with %v at end of input; stderr %q", err, stderr.String())
		}
	case <-ctx.Done():
		t.Fatalf("chat did not end at end of input")
	}
	if got, want := stderr.String(), "not sent: the text is not valid UTF-8; check your terminal's or script's encoding\n"; got != want {
		t.Errorf("chat stderr %q, want %q", got, want)
	}
	for _, m := range otherHome.log("lobby") {
		if strings.Contains(m.Text, "bad ") {
			t.Errorf("the invalid line went out as %q", m.Text)
		}
	}
}

func indexOf(log []logLine, id string) int {
	for i, m := range log {
		if m.ID == id {
			return i
		}
	}
	return -1
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestBinaryOfflineQueue(t *testing.T) {
	alice, bob := initHome(t, "alice"), initHome(t, "bob")

	// No daemon: join and send work on the store, and say so.
	if r := alice.ok("join", "lobby"); !strings.Contains(r.stdout, "your node takes part when you run `starling up`") {
		t.Errorf("offline join printed %q", r.stdout)
	}
	r := alice.ok("send", "lobby", "hi")
	m := sentRE.FindStringSubmatch(r.stdout)
	if m == nil || m[1] != "queued" {
		t.Fatalf("offline send did not say queued:\n%s", r)
	}
	id := m[2]
	if !strings.Contains(r.stderr, "no node is running") {
		t.Errorf("offline send did not explain the queue on stderr:\n%s", r)
	}
	var res struct {
		Message logLine `json:"message"`
		Peers   int     `json:"peers"`
		Queued  bool    `json:"queued"`
	}
	alice.decode(&res, "send", "lobby", "hi again", "--json")
	if !res.Queued || res.Peers != 0 || !hex64.MatchString(res.Message.ID) || res.Message.Text != "hi again" || res.Message.Group != "lobby" {
		t.Fatalf("offline send --json: %+v", res)
	}
	ids := []string{id, res.Message.ID}
	checkLog(t, alice, ids...)
	for _, m := range alice.log("lobby") {
		if m.Origin != "own" || m.Name != "alice" {
			t.Errorf("offline log line %+v, want origin own and name alice", m)
		}
	}
	var st struct {
		Running bool `json:"running"`
	}
	alice.decode(&st, "status", "--json")
	if st.Running {
		t.Errorf("status --json says running with no daemon")
	}

	bobD, bobID := bob.up("--listen", "/ip4/127.0.0.1/tcp/0")
	bob.ok("join", "lobby")
	aliceD, _ := alice.up("--listen", "/ip4/127.0.0.1/tcp/0", "--peer", bobID.addr(t, "/ip4/127.0.0.1/tcp/"))

	for _, id := range ids {
		if err := waitMessage(t, meetTimeout, "lobby", id, bob); err != nil {
			t.Fatalf("a queued message never reached bob: %v", err)
		}
	}
	checkLog(t, bob, ids...)
	for _, m := range bob.log("lobby") {
		// Gossip from alice's outbox usually wins; catch-up may get there first.
		if (m.Text != "hi" && m.Text != "hi again") || m.Name != "alice" || (m.Origin != "gossip" && m.Origin != "catchup") {
			t.Errorf("bob holds %+v", m)
		}
	}
	testwait.UntilNil(t, meetTimeout, "alice's outbox is empty", func() error {
		var st struct {
			Outbox int `json:"outbox"`
		}
		alice.decode(&st, "status", "--json")
		if st.Outbox != 0 {
			return fmt.Errorf("%d queued", st.Outbox)
		}
		return nil
	})

	// An on-demand catch-up finds nothing left to move, and status shows it.
	var syncs []struct {
		Group    string `json:"group"`
		Peer     string `json:"peer"`
		Fetched  int    `json:"fetched"`
		Pushed   int    `json:"pushed"`
		Complete bool   `json:"complete"`
		Error    string `json:"error"`
	}
	alice.decode(&syncs, "sync", "lobby", "--json")
	if len(syncs) != 1 || syncs[0].Group != "lobby" || syncs[0].Error != "" || !syncs[0].Complete ||
		syncs[0].Fetched != 0 || syncs[0].Pushed != 0 {
		t.Errorf("sync lobby --json = %+v; want one complete session with bob that moved nothing", syncs)
	}
	if r := alice.ok("status"); !strings.Contains(r.stdout, "caught up") {
		t.Errorf("status does not show the last catch-up:\n%s", r.stdout)
	}
	aliceD.stop()
	bobD.stop()
}

func TestBinaryRestartKeepsHistory(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(*daemonProc)
	}{
		{"SIGTERM", (*daemonProc).stop},
		// An acknowledged send is durable: kill -9 must not lose it.
		{"SIGKILL", (*daemonProc).kill},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := initHome(t, "alice")
			d, _ := h.up("--listen", "/ip4/127.0.0.1/tcp/0")
			h.ok("join", "lobby")
			id, _ := h.send("lobby", "kept across restarts")
			tc.stop(d)

			d, _ = h.up("--listen", "/ip4/127.0.0.1/tcp/0")
			log := h.log("lobby")
			if len(log) != 1 || log[0].ID != id || log[0].Text != "kept across restarts" {
				t.Fatalf("after a restart the log is %+v, want message %s", log, id)
			}
			d.stop()
			if log := h.log("lobby"); len(log) != 1 || log[0].ID != id {
				t.Fatalf("with no daemon the log is %+v, want message %s", log, id)
			}
		})
	}
}

// TestBinaryDemo runs the scripted three-node exchange, which checks itself.
func TestBinaryDemo(t *testing.T) {
	r := newHome(t).ok("demo", "--timeout", meetTimeout.String())
	if !strings.HasSuffix(r.stdout, "every node holds all 3 messages of #lobby. demo ok\n") {
		t.Errorf("demo did not end with its ok line:\n%s", r)
	}
}
