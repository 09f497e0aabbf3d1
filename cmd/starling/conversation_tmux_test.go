package main

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"starling/internal/testwait"
)

// keys types text into the chat, then presses each key (tmux names: Enter,
// Tab, M-Up, Escape).
func (s *tmuxSession) keys(text string, keys ...string) {
	s.t.Helper()
	if text != "" {
		s.run("send-keys", "-t", "chat", "-l", text)
	}
	for _, k := range keys {
		s.run("send-keys", "-t", "chat", k)
	}
}

// styledLine is the line of the pane, with its escape sequences, that
// holds text.
func (s *tmuxSession) styledLine(text string) string {
	out, _ := s.tmux("capture-pane", "-e", "-p", "-t", "chat")
	for line := range strings.Lines(out) {
		if strings.Contains(line, text) {
			return line
		}
	}
	return ""
}

// TestTmuxConversation runs the full-screen chat in tmux for alice among
// three peered daemons: a text that mentions her is highlighted; /react
// puts a count under the newest text and another's reaction updates it
// live; Alt-Up picks a message, the line above the input quotes it and
// Enter sends the answer as a reply; /unreact takes hers back; "@b" lists
// the names it could be, Tab says it is ambiguous, "@bo" and Tab completes
// it.
func TestTmuxConversation(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; install it (apt-get install tmux) to run the full-screen chat test")
	}
	ms := startLine(t, "lobby", "alice", "bob", "bea")
	awaitMesh(t, "lobby", homesOf(ms)...)
	alice, bob := ms[0], ms[1]

	tm := newTmux(t, starlingBin, "--home", alice.h.dir, "chat", "lobby")
	tm.waitScreen("the chat is drawn", shows("#lobby", "Ctrl-C: quit"))
	hello := bob.h.sendNow("lobby", "lunch at noon, @alice?")
	tm.waitScreen("bob's text shows", shows("bob: lunch at noon, @alice?"))
	testwait.UntilNil(t, meetTimeout, "the mention is highlighted", func() error {
		if line := tm.styledLine("lunch at noon"); !strings.Contains(line, "38;5;214") {
			return fmt.Errorf("the line is not in the mention colour: %q", line)
		}
		return nil
	})
	tm.keys("/react 👍", "Enter")
	tm.waitScreen("alice's reaction shows under the text", shows("👍 1"))
	bob.h.ok("react", "lobby", hello, "👍")
	bob.h.ok("react", "lobby", hello, "🎉")
	tm.waitScreen("bob's reactions show live", shows("👍 2", "🎉 1"))

	tm.keys("", "M-Up")
	tm.waitScreen("the picked message is quoted above the input", shows("↱ replying to bob: lunch at noon, @alice?", "Enter answers"))
	tm.keys("sure, see you there", "Enter")
	tm.waitScreen("the reply shows with its quote", shows("↱ bob: lunch at noon, @alice?", "alice: sure, see you there"))
	testwait.UntilNil(t, meetTimeout, "bob holds alice's reply to his text", func() error {
		for _, e := range bob.h.entries("lobby") {
			if e.Text == "sure, see you there" {
				if e.Ref != hello {
					return fmt.Errorf("the reply's ref is %q, want %s", e.Ref, hello)
				}
				return nil
			}
		}
		return errors.New("not there yet")
	})

	tm.keys("", "M-Up", "M-Up")
	tm.waitScreen("Alt-Up twice picks bob's text again", shows("↱ replying to bob: lunch at noon"))
	tm.keys("/unreact 👍", "Enter")
	tm.waitScreen("alice's 👍 goes", shows("👍 1", "🎉 1"))
	tm.keys("", "Escape")
	testwait.UntilNil(t, meetTimeout, "Esc ends the pick", func() error {
		if strings.Contains(tm.screen(), "replying to") {
			return errors.New("still picked")
		}
		return nil
	})

	tm.keys("thanks @b")
	tm.waitScreen("the picker lists who @b could be", shows("@b: bea, bob (type more, or Tab)"))
	tm.keys("", "Tab")
	tm.waitScreen("Tab on an ambiguous name says so", shows("@b could be bea, bob; type more of the name"))
	tm.keys("o", "Tab")
	tm.waitScreen("@bo completes to bob", shows("> thanks @bob"))
	tm.keys("!", "Enter")
	testwait.UntilNil(t, meetTimeout, "bob's log marks the text as mentioning him", func() error {
		for _, e := range bob.h.entries("lobby") {
			if e.Text == "thanks @bob !" {
				if !e.MentionsYou {
					return errors.New("not marked as mentioning bob")
				}
				return nil
			}
		}
		return errors.New("not there yet")
	})
	tm.keys("/quit", "Enter")
	tm.waitExit("the chat exits after /quit", 0)
}
