package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"starling/identity/transportkey"
	"starling/internal/testwait"
	"starling/simhost"
)

// Two daemons as a simulation runs them (Shadow, the network lab): keys
// derived from their names, stores in memory, the channel joined at start;
// one plays a script, both write event logs that say who sent what when
// and who stored it how.
func TestSimFlagsScriptAndEvents(t *testing.T) {
	alice, bob := newHome(t), newHome(t)
	dir := t.TempDir()
	aliceEvents, bobEvents := filepath.Join(dir, "alice.jsonl"), filepath.Join(dir, "bob.jsonl")

	_, bobID := bob.up("--derive-keys", "bob", "--memory-store", "--listen", "/ip4/127.0.0.1/tcp/0",
		"--join", "lobby", "--events", bobEvents)
	if want := derivedPeer(t, "bob"); bobID.PeerID != want || bobID.Name != "bob" {
		t.Fatalf("bob runs as %s (%s), want the peer ID derived from his name, %s", bobID.PeerID, bobID.Name, want)
	}

	script := filepath.Join(dir, "alice.script")
	f, err := os.Create(script)
	if err != nil {
		t.Fatal(err)
	}
	var sends []simhost.Send
	for i := range 3 {
		sends = append(sends, simhost.Send{At: time.Duration(i) * 200 * time.Millisecond, Group: "lobby", Msg: i, Text: fmt.Sprintf("scripted %d", i)})
	}
	if err := simhost.WriteScript(f, sends); err != nil {
		t.Fatal(err)
	}
	f.Close()
	start := time.Now().Add(3 * time.Second)
	aliceD, _ := alice.up("--derive-keys", "alice", "--memory-store", "--listen", "/ip4/127.0.0.1/tcp/0",
		"--peer", bobID.addr(t, "/ip4/127.0.0.1/tcp/"), "--join", "lobby",
		"--script", script, "--script-start", start.Format(time.RFC3339Nano), "--events", aliceEvents)

	// Bob's log holds the three messages, however they came.
	var sent map[string]int // message ID -> msg
	testwait.UntilNil(t, meetTimeout, "bob stores alice's scripted messages", func() error {
		sent = map[string]int{}
		for _, e := range readEvents(t, aliceEvents) {
			if e.Kind == simhost.EventSent {
				sent[e.ID] = *e.Msg
			}
		}
		got := 0
		for _, e := range readEvents(t, bobEvents) {
			if _, ok := sent[e.ID]; ok && e.Kind == simhost.EventStored && e.Origin != "own" {
				got++
			}
		}
		if len(sent) < 3 || got < 3 {
			return fmt.Errorf("alice sent %d, bob stored %d of them", len(sent), got)
		}
		return nil
	})
	aliceD.stop()

	events := readEvents(t, aliceEvents)
	if e := events[0]; e.Kind != simhost.EventStart || e.Host != "alice" || e.Peer != derivedPeer(t, "alice") {
		t.Errorf("alice's first event %+v, want her start with her derived peer ID", e)
	}
	var own, msgs []int
	for _, e := range events {
		switch e.Kind {
		case simhost.EventSent:
			msgs = append(msgs, *e.Msg)
			if at := start.Add(sends[*e.Msg].At); e.T.Before(at) {
				t.Errorf("msg %d sent at %s, before its time %s", *e.Msg, e.T, at)
			}
		case simhost.EventStored:
			if _, ok := sent[e.ID]; ok && e.Origin == "own" {
				own = append(own, sent[e.ID])
			}
		case simhost.EventSendFailed, simhost.EventLost:
			t.Errorf("alice's log: %+v", e)
		}
	}
	slices.Sort(msgs)
	slices.Sort(own)
	if !slices.Equal(msgs, []int{0, 1, 2}) || !slices.Equal(own, []int{0, 1, 2}) {
		t.Errorf("alice's log: sent %v and stored as her own %v, want 0, 1 and 2 each", msgs, own)
	}
	last := events[len(events)-1]
	if last.Kind != simhost.EventStats || last.Stats.BytesOut == 0 || last.Stats.BytesIn == 0 {
		t.Errorf("alice's last event %+v, want her stats with the bytes she exchanged", last)
	}
	// Nothing of either node stays in its home but the API's record, which
	// a clean stop removes.
	for _, name := range []string{"user.key", "transport.key", "store"} {
		if _, err := os.Stat(filepath.Join(alice.dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("alice's home has %s (stat: %v); derived keys and a memory store leave nothing", name, err)
		}
	}
}

func TestSimFlagsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.script")
	if err := os.WriteFile(bad, []byte(`{"at":"soon","group":"lobby","msg":0,"text":"x"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHome(t)
	for _, tc := range []struct {
		name string
		args []string
		hint string
	}{
		{"no script file", []string{"--script", filepath.Join(dir, "none")}, "--script: open"},
		{"bad script", []string{"--script", bad}, "script line 1: at \"soon\""},
		{"bad start", []string{"--script-start", "tomorrow"}, "--script-start \"tomorrow\""},
		{"bad name", []string{"--derive-keys", "a\nb"}, "--derive-keys"},
		{"private group without invites", []string{"--join-invite", "crew"}, "give --invites DIR"},
		{"private group named badly", []string{"--create-private", "../crew", "--invites", dir}, "invite file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"up", "--no-mdns", "--memory-store", "--derive-keys", "x"}, tc.args...)
			checkOneLineError(t, h.in(t).run(args...), 2, tc.hint)
		})
	}
}

func derivedPeer(t *testing.T, name string) string {
	t.Helper()
	_, tk, err := transportkey.Derive(name)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(tk)
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

func readEvents(t *testing.T, path string) []simhost.Event {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	events, err := simhost.ReadEvents(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return events
}

// A private group in a simulation: its creator hands its links over in
// --invites, where a member and a relay wait for them at start; the
// creator's scripted message reaches both, the relay holding it sealed.
func TestSimFlagsPrivateGroup(t *testing.T) {
	alice, bob, relay := newHome(t), newHome(t), newHome(t)
	dir := t.TempDir()
	invites := filepath.Join(dir, "invites")
	bobEvents, relayEvents := filepath.Join(dir, "bob.jsonl"), filepath.Join(dir, "relay.jsonl")

	// The member and the relay start first and wait for the links.
	_, relayID, _ := relay.startDaemon("relay", "--derive-keys", "relay-0", "--memory-store", "--listen", "/ip4/127.0.0.1/tcp/0",
		"--carry-invite", "crew", "--invites", invites, "--events", relayEvents)
	relayAddr := relayID.addr(t, "/ip4/127.0.0.1/tcp/")
	_, bobID := bob.up("--derive-keys", "bob", "--memory-store", "--listen", "/ip4/127.0.0.1/tcp/0", "--relay", relayAddr,
		"--join-invite", "crew", "--invites", invites, "--events", bobEvents)

	script := filepath.Join(dir, "alice.script")
	f, err := os.Create(script)
	if err != nil {
		t.Fatal(err)
	}
	if err := simhost.WriteScript(f, []simhost.Send{{At: 0, Group: "crew", Msg: 0, Text: "for the crew only"}}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	alice.up("--derive-keys", "alice", "--memory-store", "--listen", "/ip4/127.0.0.1/tcp/0",
		"--peer", bobID.addr(t, "/ip4/127.0.0.1/tcp/"), "--relay", relayAddr,
		"--create-private", "crew", "--invites", invites,
		"--script", script, "--script-start", time.Now().Add(3*time.Second).Format(time.RFC3339Nano))

	var id string
	testwait.UntilNil(t, meetTimeout, "bob and the relay store alice's message to crew", func() error {
		for _, e := range readEvents(t, bobEvents) {
			if e.Kind == simhost.EventStored && e.Origin != "own" && len(bob.log("crew")) == 1 {
				id = e.ID
			}
		}
		if id == "" {
			return errors.New("bob has not stored it")
		}
		if !slices.ContainsFunc(readEvents(t, relayEvents), func(e simhost.Event) bool { return e.Kind == simhost.EventStored && e.ID == id }) {
			return errors.New("the relay has not stored it")
		}
		return nil
	})
	if got := bob.log("crew"); got[0].Text != "for the crew only" {
		t.Errorf("bob reads %q", got[0].Text)
	}
	for _, name := range []string{"crew.link", "crew.carrier"} {
		if _, err := os.Stat(filepath.Join(invites, name)); err != nil {
			t.Errorf("alice did not hand over %s: %v", name, err)
		}
	}
}
