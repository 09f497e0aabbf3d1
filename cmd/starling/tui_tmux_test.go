package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"starling/internal/testwait"
)

// tmuxSession is one detached tmux session on a server of its own (a
// private socket), so the test never touches anyone's tmux.
type tmuxSession struct {
	t      *testing.T
	bin    string
	socket string
	status string // the file the command's exit status goes to
}

// newTmux starts `argv` in a detached 120x40 session on a private server
// and kills that server at cleanup. A shell around the command writes its
// exit status to a file (tmux's own pane_dead_status is not always set),
// whole, by a rename: a reader never finds it created but still empty;
// it traps Ctrl-C's SIGINT, which the command gets too, so that it lives
// to do so. The pane stays after it ends, so its last screen can be read.
func newTmux(t *testing.T, argv ...string) *tmuxSession {
	t.Helper()
	bin, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed; install it (apt-get install tmux) to run the full-screen chat test")
	}
	s := &tmuxSession{t: t, bin: bin, socket: fmt.Sprintf("starling-test-%d-%d", os.Getpid(), time.Now().UnixNano()),
		status: filepath.Join(t.TempDir(), "status")}
	args := append([]string{"start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";",
		"new-session", "-d", "-s", "chat", "-x", "120", "-y", "40", "--",
		"sh", "-c", `trap : INT; "$0" "$@"; echo $? > ` + s.status + `.tmp; mv ` + s.status + `.tmp ` + s.status}, argv...)
	s.run(args...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the screen at the end:\n%s", s.screen())
		}
		// Only this test's server: the socket name is unique to it.
		s.tmux("kill-server")
	})
	return s
}

// tmux runs one tmux command on the private server and returns its output.
func (s *tmuxSession) tmux(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, append([]string{"-L", s.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := s.tmux(args...)
	if err != nil {
		s.t.Fatalf("tmux %q: %v\n%s", args, err, out)
	}
	return out
}

// screen is what the pane shows now, as text.
func (s *tmuxSession) screen() string {
	out, _ := s.tmux("capture-pane", "-p", "-t", "chat")
	return out
}

// waitScreen polls the pane until check accepts it.
func (s *tmuxSession) waitScreen(what string, check func(screen string) error) string {
	s.t.Helper()
	var screen string
	testwait.UntilNil(s.t, meetTimeout, what, func() error {
		screen = s.screen()
		return check(screen)
	})
	return screen
}

// waitExit waits until the command has ended and checks its exit status.
func (s *tmuxSession) waitExit(what string, want int) {
	s.t.Helper()
	testwait.UntilNil(s.t, meetTimeout, what, func() error {
		b, err := os.ReadFile(s.status)
		if err != nil {
			return fmt.Errorf("still running (%v)", err)
		}
		if got := strings.TrimSpace(string(b)); got != strconv.Itoa(want) {
			s.t.Fatalf("%s: exit status %s, want %d", what, got, want)
		}
		return nil
	})
}

// shows is a check that the screen holds every one of want.
func shows(want ...string) func(string) error {
	return func(screen string) error {
		for _, w := range want {
			if !strings.Contains(screen, w) {
				return fmt.Errorf("no %q on the screen", w)
			}
		}
		return nil
	}
}

// TestTmuxChat runs the full-screen `starling chat` in tmux on one of two
// peered daemons: a message typed there reaches the other daemon and shows
// where it went; a message from the other shows up; /quit ends it with
// status 0.
func TestTmuxChat(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; install it (apt-get install tmux) to run the full-screen chat test")
	}
	ms := startLine(t, "lobby", "alice", "bob")
	awaitMesh(t, "lobby", homesOf(ms)...)
	alice, bob := ms[0], ms[1]

	tm := newTmux(t, starlingBin, "--home", alice.h.dir, "chat", "lobby")
	tm.waitScreen("the chat is drawn", shows("#lobby", "1 peer connected", "#lobby: 1 peer", "Ctrl-C: quit"))

	tm.run("send-keys", "-t", "chat", "-l", "hello from tmux")
	tm.run("send-keys", "-t", "chat", "Enter")
	delivered := regexp.MustCompile(`alice: hello from tmux · (sent to [1-9]\d* peers?|.*held by)`)
	tm.waitScreen("the message shows with where it went", func(screen string) error {
		if !delivered.MatchString(screen) {
			return errors.New("no delivery state beside the message")
		}
		return nil
	})
	testwait.UntilNil(t, meetTimeout, "bob holds the message typed in the chat", func() error {
		for _, m := range bob.h.log("lobby") {
			if m.Text == "hello from tmux" && m.Author == alice.id.Fingerprint {
				return nil
			}
		}
		return errors.New("not there yet")
	})

	bob.h.sendNow("lobby", "reply to the tmux chat")
	screen := tm.waitScreen("bob's reply shows", shows("bob: reply to the tmux chat"))
	t.Logf("the chat in tmux:\n%s", screen)

	tm.run("send-keys", "-t", "chat", "-l", "/quit")
	tm.run("send-keys", "-t", "chat", "Enter")
	tm.waitExit("the chat exits after /quit", 0)

	// --plain on a terminal is the line chat: lines as `log` prints them,
	// no screen of its own; Ctrl-C ends it cleanly.
	plain := newTmux(t, starlingBin, "--home", alice.h.dir, "chat", "--plain", "lobby", "--history", "5")
	line := fmt.Sprintf("alice (%s): hello from tmux", alice.id.Fingerprint[:8])
	screen = plain.waitScreen("the line chat prints the history", shows(line, "bob ("))
	if strings.Contains(screen, "Ctrl-C: quit") {
		t.Fatalf("--plain drew the full-screen chat:\n%s", screen)
	}
	plain.run("send-keys", "-t", "chat", "C-c")
	plain.waitExit("the line chat exits after Ctrl-C", 0)
}

// TestTmuxChatRefused runs the full-screen chat of a member whom the owner
// bans while the chat is open: a banner says who banned them, when and why,
// and the input refuses a message with that reason.
func TestTmuxChatRefused(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; install it (apt-get install tmux) to run the full-screen chat test")
	}
	ms := startLine(t, "lobby", "alice", "bob")
	alice, bob := ms[0], ms[1]
	id := alice.h.createGroup("forum", "open")
	link, _ := alice.h.invite(id)
	bob.h.joinLink(link, "forum", id)
	waitInfo(t, alice.h, id, "alice knows bob's profile in forum", func(d groupDetailJSON) error {
		if len(d.Members) != 2 {
			return fmt.Errorf("members %+v", d.Members)
		}
		return nil
	})

	tm := newTmux(t, starlingBin, "--home", bob.h.dir, "chat", "forum")
	tm.waitScreen("the chat is drawn", shows("#forum", "Ctrl-C: quit"))
	if strings.Contains(tm.screen(), "⛔") {
		t.Fatalf("the banner shows before the ban:\n%s", tm.screen())
	}

	alice.h.ok("group", "ban", id, bob.id.Fingerprint, "--reason", "heckling")
	banned := "⛔ you are banned from forum by " + alice.id.Fingerprint
	tm.waitScreen("the banner shows the ban", shows(banned, "(heckling)"))

	tm.run("send-keys", "-t", "chat", "-l", "let me speak")
	tm.run("send-keys", "-t", "chat", "Enter")
	screen := tm.waitScreen("the chat refuses the message with the reason", shows("not sent: you are banned from forum"))
	t.Logf("the chat in tmux:\n%s", screen)
	if m := withText(bob.h.groupLog(id), "let me speak"); m != nil {
		t.Errorf("the chat sent a message in a group its user is banned from: %+v", *m)
	}

	tm.run("send-keys", "-t", "chat", "C-c")
	tm.waitExit("the chat exits after Ctrl-C", 0)
}
