package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"starling/internal/testwait"
)

// /image in the full-screen chat, in tmux: alice sends a photo with a
// caption; her screen and bob's show the picture's line with its size and
// the command that saves it, and that command works.
func TestTmuxChatImage(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed; install it (apt-get install tmux) to run the full-screen chat test")
	}
	ms := startLine(t, "lobby", "alice", "bob")
	awaitMesh(t, "lobby", homesOf(ms)...)
	alice, bob := ms[0], ms[1]
	dir := t.TempDir()
	photo := filepath.Join(dir, "photo.jpg")
	if err := os.WriteFile(photo, cameraPhoto(t), 0o644); err != nil {
		t.Fatal(err)
	}

	tm := newTmux(t, starlingBin, "--home", alice.h.dir, "chat", "lobby")
	tm.waitScreen("the chat is drawn", shows("#lobby", "Ctrl-C: quit"))
	tm.run("send-keys", "-t", "chat", "-l", "/image "+photo+" the map")
	tm.run("send-keys", "-t", "chat", "Enter")
	line := regexp.MustCompile(`▣ picture \d+×\d+ JPEG, \d+ KB — the map`)
	save := regexp.MustCompile(`save: starling image save ([0-9a-f]{8})\b`)
	tm.waitScreen("the picture's line", func(screen string) error {
		if !line.MatchString(screen) {
			return errors.New("no picture line")
		}
		return nil
	})
	var id string
	testwait.UntilNil(t, meetTimeout, "bob's log holds the picture", func() error {
		for _, m := range bob.h.log("lobby") {
			if m.Text == "the map" {
				id = m.ID
				return nil
			}
		}
		return errors.New("not yet")
	})
	tb := newTmux(t, starlingBin, "--home", bob.h.dir, "chat", "lobby")
	screen := tb.waitScreen("bob's chat shows the picture's line", func(screen string) error {
		if !line.MatchString(screen) {
			return errors.New("no picture line")
		}
		return nil
	})
	t.Logf("bob's chat:\n%s", screen)
	m := save.FindStringSubmatch(screen)
	if m == nil || !strings.HasPrefix(id, m[1]) {
		t.Fatalf("the save command names %v, the picture is %s", m, id)
	}
	// The command as the line shows it: the short ID, the node's file name.
	out := filepath.Join(dir, "saved.jpg")
	bob.h.ok("image", "save", m[1], out)
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		t.Fatalf("saved: %v", err)
	}
}
