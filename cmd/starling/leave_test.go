package main

import (
	"slices"
	"strings"
	"testing"
)

// After `leave`, the group's history stays readable with `log` (by name and
// by ID, node running or not), `leave` and the errors of commands on the
// left group say how to join that same group again, and `join NAME` of a
// left private group joins it again, with its history, instead of an empty
// open channel of the same name.
func TestLeaveKeepsHistoryCLI(t *testing.T) {
	alice := initHome(t, "alice")
	d, _ := alice.up("--listen", "/ip4/127.0.0.1/tcp/0")
	alice.ok("join", "lobby")
	crew := alice.createGroup("crew", "private", "--private")
	inLobby, _ := alice.send("lobby", "said in the lobby")
	inCrew, _ := alice.send("crew", "said in the crew")

	holds := func(ref, id, text string) {
		t.Helper()
		for _, m := range alice.log(ref) {
			if m.ID == id && m.Text == text {
				return
			}
		}
		t.Errorf("log %s lacks %q (%s)", ref, text, id[:8])
	}

	r := alice.ok("leave", "lobby")
	if want := "left lobby; its 1 message stays on this device: `starling log lobby` reads it, `starling join lobby` joins the channel again\n"; r.stdout != want {
		t.Errorf("leave lobby printed\n%q\nwant\n%q", r.stdout, want)
	}
	r = alice.ok("leave", "crew")
	if !strings.HasPrefix(r.stdout, "left crew; its ") || !strings.HasSuffix(r.stdout, "messages stay on this device: `starling log "+crew+"` reads them, `starling join "+crew+"` joins this private group again\n") {
		t.Errorf("leave crew printed\n%q\nwant how to read and join the group %s again", r.stdout, crew)
	}
	for _, ref := range []string{"crew", crew} {
		holds(ref, inCrew, "said in the crew")
	}
	holds("lobby", inLobby, "said in the lobby")
	var left []struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		LeftAt string `json:"left_at"`
		Rejoin string `json:"rejoin"`
	}
	alice.decode(&left, "groups", "--left", "--json")
	if len(left) != 2 || left[0].Name != "crew" || left[0].Rejoin != crew || left[1].Name != "lobby" || left[1].Rejoin != "lobby" || left[0].LeftAt == "" {
		t.Errorf("groups --left: %+v; want crew (joined again by its ID) and lobby (by its name), with when they were left", left)
	}
	if out := alice.ok("groups", "--left").stdout; !strings.Contains(out, crew) || !strings.Contains(out, "left ") {
		t.Errorf("groups --left does not show how to join crew again:\n%s", out)
	}
	if out := alice.ok("log", "crew").stdout; !strings.Contains(out, "said in the crew") {
		t.Errorf("log crew (text) does not show the kept message:\n%s", out)
	}
	// A command that needs the group joined names the way back to it, not
	// an open channel called crew.
	r = alice.run("send", "crew", "after leaving")
	checkOneLineError(t, r, 1, "`starling join "+crew+"` joins it again")
	if strings.Contains(r.stderr, "join crew") {
		t.Errorf("send to the left group suggests joining the open channel crew:\n%s", r)
	}

	// Joining the name again joins the private group, with its history.
	r = alice.ok("join", "crew")
	if !strings.HasPrefix(r.stdout, "joined crew (private group "+crew+") again") || !strings.Contains(r.stdout, "`starling join --channel crew`") {
		t.Errorf("join crew after leaving it printed:\n%s\nwant the private group joined again, and how to join the open channel instead", r.stdout)
	}
	var groups []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Kind string `json:"kind"`
	}
	alice.decode(&groups, "groups", "--json")
	if len(groups) != 1 || groups[0].ID != crew || groups[0].Kind != "private" {
		t.Errorf("groups after joining crew again: %+v; want the private group only", groups)
	}
	again, _ := alice.send("crew", "back in the crew")
	holds("crew", inCrew, "said in the crew")
	holds("crew", again, "back in the crew")

	// Without the node: log reads the kept history of a left group, and
	// join joins it again.
	alice.ok("leave", crew)
	d.stop()
	for _, ref := range []string{"crew", crew} {
		holds(ref, again, "back in the crew")
	}
	holds("lobby", inLobby, "said in the lobby")
	alice.decode(&left, "groups", "--left", "--json")
	if len(left) != 2 {
		t.Errorf("groups --left without the node: %+v; want crew and lobby", left)
	}
	r = alice.ok("join", "crew")
	if !strings.HasPrefix(r.stdout, "joined crew (private group "+crew+") again") {
		t.Errorf("join crew without the node printed:\n%s", r.stdout)
	}
	alice.ok("join", "--channel", "crew")
	alice.decode(&groups, "groups", "--json")
	kinds := []string{}
	for _, g := range groups {
		kinds = append(kinds, g.Name+"/"+g.Kind)
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []string{"crew/channel", "crew/private"}) {
		t.Errorf("groups after join crew and join --channel crew: %v", kinds)
	}
}
