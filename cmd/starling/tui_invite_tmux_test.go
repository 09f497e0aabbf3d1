package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"starling/group"
)

// Issue 18: /invite in the full-screen chat drew the link inside the
// chat's panes, so copying it picked up the group list's border and the
// indent, and the link broke. In tmux on an 80-column terminal the link's
// lines now hold the link alone: joined, they are the link `starling
// invite` prints, and it parses.
func TestTmuxChatInvite(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; install it (apt-get install tmux) to run the full-screen chat test")
	}
	alice := startLine(t, "lobby", "alice")[0]
	id := alice.h.createGroup("crew", "private", "--private")
	want, _ := alice.h.invite(id)

	tm := newTmux(t, starlingBin, "--home", alice.h.dir, "chat", "crew")
	tm.run("resize-window", "-t", "chat", "-x", "80", "-y", "30")
	tm.waitScreen("the chat is drawn", shows("#crew", "Ctrl-C: quit"))
	tm.run("send-keys", "-t", "chat", "-l", "/invite")
	tm.run("send-keys", "-t", "chat", "Enter")
	screen := tm.waitScreen("the invite shows", shows("Invite link to #crew", "starling://join?"))
	var link strings.Builder
	in := false
	for _, l := range strings.Split(screen, "\n") {
		switch {
		case strings.HasPrefix(l, "starling://"):
			in = true
		case in && strings.TrimSpace(l) == "":
			in = false
		}
		if in {
			if len(l) > 80 {
				t.Errorf("a line of the link is %d wide on an 80-column terminal: %q", len(l), l)
			}
			link.WriteString(l)
		}
	}
	if link.String() != want {
		t.Fatalf("the link's lines join to\n%s\nwant\n%s\nscreen:\n%s", link.String(), want, screen)
	}
	if _, err := group.ParseInvite(link.String()); err != nil {
		t.Errorf("the copied link does not parse: %v", err)
	}
	t.Logf("the invite in an 80-column tmux (%d characters):\n%s", len(want), screen)

	tm.run("send-keys", "-t", "chat", "Escape")
	tm.waitScreen("Esc goes back to the chat", func(s string) error {
		if strings.Contains(s, "Invite link to") || !strings.Contains(s, "Ctrl-C: quit") {
			return fmt.Errorf("still on the invite screen")
		}
		return nil
	})
	tm.run("send-keys", "-t", "chat", "C-c")
	tm.waitExit("the chat exits after Ctrl-C", 0)
}
