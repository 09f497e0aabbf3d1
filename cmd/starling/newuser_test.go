package main

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"starling/api"
)

// What a new user tripped on (issue 18), command by command, against a
// daemon's canned answers.

var (
	hexID1 = strings.Repeat("a1", 32)
	hexID2 = strings.Repeat("b2", 32)
	hexID3 = strings.Repeat("c3", 32)
)

// sync exited 0 when a session failed, so a script could not tell.
func TestSyncFailureExitsNonZero(t *testing.T) {
	ok := api.Sync{Group: "lobby", Peer: "12D3KooWpeerOK", Complete: true, Rounds: 1}
	bad := api.Sync{Group: "lobby", Peer: "12D3KooWpeerBAD", Error: "stream reset"}
	for _, asJSON := range []bool{false, true} {
		dir := fakeDaemon(t, map[string]any{"POST /v1/sync": []api.Sync{ok, bad}})
		args := []string{"sync", "lobby"}
		if asJSON {
			args = append(args, "--json")
		}
		out, err := runCLI(t, dir, args...)
		if !errors.Is(err, errSyncFailed) || !strings.Contains(err.Error(), "1 of 2 sessions") {
			t.Errorf("sync %v with a failed session: %v, want it to fail naming 1 of 2 sessions\n%s", args, err, out)
		}
		if !asJSON && !strings.Contains(out, "failed: stream reset") {
			t.Errorf("sync does not say why the session failed:\n%s", out)
		}
	}
	dir := fakeDaemon(t, map[string]any{"POST /v1/sync": []api.Sync{ok}})
	if out, err := runCLI(t, dir, "sync"); err != nil {
		t.Errorf("sync with every session complete: %v\n%s", err, out)
	}
}

// status never mentioned relays; "1 peers".
func TestStatusMentionsRelays(t *testing.T) {
	st := api.Status{Name: "ann", Fingerprint: "abcdefgh", Started: time.Now(), Peers: 1, Groups: []api.Group{{Name: "lobby", Kind: "channel", ID: hexID1, Peers: 1, Messages: 1}}}
	for _, c := range []struct {
		relays []api.Relay
		want   string
	}{
		{nil, "relays     none (an invite link that names a relay, or `starling up --relay ADDR`, adds one)"},
		{[]api.Relay{{PeerID: "12D3KooWrelayAAAA", Connected: true, Reserved: true}, {PeerID: "12D3KooWrelayBBBB"}},
			"relays     2 relays, 1 connected, 1 with a reservation: …elayAAAA reserved, …elayBBBB not connected"},
	} {
		st.Relays = c.relays
		out, err := runCLI(t, fakeDaemon(t, map[string]any{"GET /v1/status": st}), "status")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, c.want+"\n") {
			t.Errorf("status does not say %q:\n%s", c.want, out)
		}
		if strings.Contains(out, "1 peers") || strings.Contains(out, "1 messages") {
			t.Errorf("status says \"1 peers\" or \"1 messages\":\n%s", out)
		}
	}
}

// groups put the ID of a private or announcement group, or one with a long
// name, in another column than the others'; and "1 peers".
func TestGroupsColumnsLineUp(t *testing.T) {
	groups := []api.Group{
		{Name: "lobby", Kind: "channel", ID: hexID1, Messages: 1, Peers: 1},
		{Name: "the-organisers-of-the-big-night", Kind: "announce", ID: hexID2, Messages: 12345, Peers: 0},
		{Name: "crew", Kind: "private", ID: hexID3, Messages: 7, Peers: 12},
	}
	out, err := runCLI(t, fakeDaemon(t, map[string]any{"GET /v1/groups": groups}), "groups")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(groups) {
		t.Fatalf("groups printed %d lines, want %d:\n%s", len(lines), len(groups), out)
	}
	col := -1
	for i, l := range lines {
		at := strings.Index(l, groups[i].ID)
		if col >= 0 && at != col {
			t.Errorf("the IDs do not line up (column %d, then %d):\n%s", col, at, out)
		}
		col = at
	}
	if !regexp.MustCompile(`(?m)^lobby +channel +1 message +1 peer +` + hexID1 + `$`).MatchString(out) {
		t.Errorf("groups does not say \"1 message\", \"1 peer\":\n%s", out)
	}
}
