package group_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"starling/group"
)

// Check, Open and the read methods run on validator goroutines while the
// store's writer calls Apply: run them together under -race.
func TestConcurrentCheckApply(t *testing.T) {
	history, secrets, _, _ := controlHistory(t)
	bob := user(t, "bob")
	s, err := group.RestoreSecrets(secrets, bob, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 3 * len(history) {
				m := history[(i+w)%len(history)]
				s.Check(m, at(300))
				s.Open(m)
				s.Members()
				s.Descriptor()
				s.Banned(m.Body.Author, m.Body.SentAtMS)
				s.Deleted(m.ID)
				s.Epoch()
			}
		})
	}
	wg.Go(func() { s.Replay(history) })
	wg.Wait()
	if s.Epoch() != 2 {
		t.Errorf("epoch %d after the replay", s.Epoch())
	}
}

func TestLogValuesHideSecrets(t *testing.T) {
	alice, _ := create(t, "alice", group.KindPrivate, at(3600))
	inv, err := alice.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("x", "group", alice.s, "invite", inv, "message", inv.Descriptor)
	out := buf.String()
	for _, secret := range []string{fmt.Sprintf("%x", inv.Secret), base64.RawURLEncoding.EncodeToString(inv.Secret), base64.StdEncoding.EncodeToString(inv.Secret), alice.s.Name()} {
		if strings.Contains(out, secret) {
			t.Errorf("log line %q shows %q", out, secret)
		}
	}
	if !strings.Contains(out, alice.s.ID().Short()) {
		t.Errorf("log line %q does not name the group", out)
	}
}
