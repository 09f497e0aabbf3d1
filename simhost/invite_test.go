package simhost

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestInviteHandover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "invites")
		type got struct {
			link string
			err  error
		}
		member, relay := make(chan got, 1), make(chan got, 1)
		go func() {
			l, err := AwaitInvite(t.Context(), dir, "crew", false, 100*time.Millisecond)
			member <- got{l, err}
		}()
		go func() {
			l, err := AwaitInvite(t.Context(), dir, "crew", true, 100*time.Millisecond)
			relay <- got{l, err}
		}()
		time.Sleep(time.Second)
		synctest.Wait()
		if len(member) != 0 || len(relay) != 0 {
			t.Fatal("a wait ended before the creator published")
		}
		if err := PublishInvite(dir, "crew", "starling://join?g=1", "starling://join?g=1&carrier"); err != nil {
			t.Fatal(err)
		}
		if m := <-member; m.err != nil || m.link != "starling://join?g=1" {
			t.Errorf("member got %q, %v", m.link, m.err)
		}
		if r := <-relay; r.err != nil || r.link != "starling://join?g=1&carrier" {
			t.Errorf("relay got %q, %v", r.link, r.err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 2 {
			t.Errorf("the directory holds %d files, want the two links and no temporary one", len(entries))
		}
	})
}

func TestAwaitInviteEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		_, err := AwaitInvite(ctx, t.TempDir(), "crew", false, time.Second)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "crew.link") {
			t.Errorf("err = %v, want the deadline, naming the file", err)
		}
	})
	for _, bad := range []string{"", "../x", "a/b", ".hidden", strings.Repeat("x", 65)} {
		if err := PublishInvite(t.TempDir(), bad, "l", "c"); !errors.Is(err, ErrInviteName) {
			t.Errorf("PublishInvite(%q) = %v, want ErrInviteName", bad, err)
		}
		if _, err := AwaitInvite(t.Context(), t.TempDir(), bad, false, time.Second); !errors.Is(err, ErrInviteName) {
			t.Errorf("AwaitInvite(%q) = %v, want ErrInviteName", bad, err)
		}
	}
}
