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
	history, secrets, ids, authors := controlHistory(t)
	bob := user(t, "bob")
	ref, err := group.RestoreSecrets(secrets, bob, group.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ref.Replay(history)
	want := summary(t, ref, ids, authors)
	contents := make([]group.Content, len(history))
	for i, m := range history {
		if contents[i], err = ref.Open(m); err != nil {
			t.Fatal(err)
		}
	}

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
				s.Standing(m.Body.Author)
				s.Deleted(m.ID)
				s.Epoch()
				s.NeedsRekey()
				s.Invite(nil)
				s.MarshalSecrets()
			}
		})
	}
	wg.Go(func() { s.Replay(history) })
	wg.Go(func() {
		for i, m := range history {
			s.Apply(m, contents[i])
		}
	})
	wg.Wait()
	if got := summary(t, s, ids, authors); got != want {
		t.Errorf("after concurrent replay and apply:\n%s\nwant\n%s", got, want)
	}
}

func TestLogValuesHideSecrets(t *testing.T) {
	alice, _ := create(t, "alice", group.KindPrivate, at(3600))
	inv, err := alice.s.Invite(nil)
	if err != nil {
		t.Fatal(err)
	}
	carrier, err := alice.s.CarrierInvite(nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("x", "group", alice.s, "invite", inv, "carrier", carrier, "message", inv.Descriptor)
	out := buf.String()
	for _, secret := range [][]byte{inv.Secret, carrier.Control, []byte(alice.s.Name())} {
		for _, enc := range []string{fmt.Sprintf("%x", secret), base64.RawURLEncoding.EncodeToString(secret), base64.StdEncoding.EncodeToString(secret), string(secret)} {
			if strings.Contains(out, enc) {
				t.Errorf("log line %q shows %q", out, enc)
			}
		}
	}
	if !strings.Contains(out, alice.s.ID().Short()) {
		t.Errorf("log line %q does not name the group", out)
	}
}
