package node_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

// marker returns a string that appears nowhere by chance.
func marker(t testing.TB, what string) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "MARKER-" + what + "-" + hex.EncodeToString(b)
}

// filesHolding lists the files under dir whose bytes contain s.
func filesHolding(t testing.TB, dir, s string) []string {
	t.Helper()
	var out []string
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			out = append(out, filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatalf("%s holds no file", dir)
	}
	return out
}

// A carrier joined with a carrier link stores a private group's messages,
// forwards them to members it links, serves them to a late member by
// catch-up, rejects what it can judge without a key, and can read nothing:
// neither Open nor its data directory, byte for byte, yields the plaintext.
// The same search finds an open channel's message on its disk, so the
// search would see a private one stored in the clear.
func TestCarrierHoldsOnlyCiphertext(t *testing.T) {
	t.Parallel()
	virtual(t, testCarrierHoldsOnlyCiphertext)
}

func testCarrierHoldsOnlyCiphertext(t *testing.T) {
	dir := t.TempDir()
	alice := startNode(t, "alice")
	carrier := startNode(t, "carrier", withStore(dir))
	bob := startNode(t, "bob")
	gid := alice.createGroup(t, group.KindPrivate, "plans", time.Now().Add(24*time.Hour))
	bob.joinLink(t, alice.link(t, gid))
	link, err := alice.Moderation().CarrierInvite(gid.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	carrier.joinLink(t, link)
	if g, err := carrier.ResolveGroup(gid.String()); err != nil || g.Kind != "carrier" {
		t.Fatalf("the carrier's record of the group: %+v, %v", g, err)
	}
	if _, err := carrier.Moderation().Invite(gid.String(), nil); !errors.Is(err, group.ErrUnreadable) {
		t.Errorf("a carrier made a member's invite: %v", err)
	}
	if again, err := carrier.Moderation().CarrierInvite(gid.String(), nil); err != nil || again != link {
		t.Errorf("the carrier's own carrier link: %v\n%s\nwant\n%s", err, again, link)
	}
	for _, n := range []*testNode{alice, carrier} {
		n.join(t, "lobby")
	}

	// alice - carrier - bob: the members meet only through the carrier.
	connect(t, alice, carrier)
	connect(t, carrier, bob)
	waitGroupPeers(t, gid, alice, carrier, bob)
	waitMembers(t, gid, 2, alice, bob)
	waitTopicPeers(t, "lobby", alice, carrier)

	private, open := marker(t, "private"), marker(t, "open")
	m := alice.sendTo(t, gid, private)
	o := alice.send(t, "lobby", open)
	waitHas(t, []*message.Message{m}, carrier, bob)
	waitHas(t, []*message.Message{o}, carrier)
	if c, err := bob.Open(m); err != nil || c.(group.Text).Text != private {
		t.Fatalf("bob reads %v, %v", c, err)
	}
	if c, err := carrier.Open(m); !errors.Is(err, group.ErrUnreadable) {
		t.Errorf("the carrier opens the message: %v, %v", c, err)
	}
	if bytes.Contains(m.Raw, []byte(private)) {
		t.Fatal("the envelope holds the plaintext")
	}

	// What the carrier can judge without a key, it rejects.
	evil := newRawPeer(t, carrier.stateOf(t, gid).Topic())
	evil.connect(t, carrier, gid)
	unsealed := forgeContent(t, newUser(t, "mallory"), gid, group.Text{Text: "in the clear", Nick: "m"}, message.ID{}, 0, nil, time.Now())
	rejected := carrier.GossipStats().Rejected()
	evil.publish(t, unsealed)
	waitRejected(t, carrier, rejected, evil.ID())
	requireNotStored(t, unsealed, carrier, alice, bob)

	// A late member who meets only the carrier catches up from it.
	dave := startNode(t, "dave")
	dave.joinLink(t, alice.link(t, gid))
	connect(t, dave, carrier)
	waitHas(t, []*message.Message{m}, dave)
	if c, err := dave.Open(m); err != nil || c.(group.Text).Text != private {
		t.Fatalf("dave reads %v, %v", c, err)
	}

	if err := carrier.stop(); err != nil {
		t.Fatal(err)
	}
	if got := filesHolding(t, dir, open); len(got) == 0 {
		t.Fatalf("the open channel's marker is in no file of the carrier's store: the search cannot see plaintext")
	}
	if got := filesHolding(t, dir, private); len(got) != 0 {
		t.Errorf("the private marker is in the carrier's files %v", got)
	}
}

// A carrier remembers what it carries across a restart: the same topic and
// end time, still unread, and it goes on storing the group's messages.
func TestCarrierRestart(t *testing.T) {
	t.Parallel()
	virtual(t, testCarrierRestart)
}

func testCarrierRestart(t *testing.T) {
	alice := startNode(t, "alice")
	carrier := startNode(t, "carrier", withStore(t.TempDir()))
	end := time.Now().Add(48 * time.Hour).Truncate(time.Millisecond)
	gid := alice.createGroup(t, group.KindPrivate, "plans", end)
	link, err := alice.Moderation().CarrierInvite(gid.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	carrier.joinLink(t, link)
	carrier = carrier.restart(t)
	st := carrier.stateOf(t, gid)
	if !st.IsCarrier() || st.Topic() != alice.stateOf(t, gid).Topic() || !st.EndsAt().Equal(end) {
		t.Fatalf("after a restart: carrier %v, topic %s, end %s", st.IsCarrier(), st.Topic(), st.EndsAt())
	}
	if g, err := carrier.ResolveGroup(gid.String()); err != nil || g.Kind != "carrier" {
		t.Errorf("the carrier's record: %+v, %v", g, err)
	}
	connect(t, alice, carrier)
	waitGroupPeers(t, gid, alice, carrier)
	m := alice.sendTo(t, gid, "after the restart")
	waitHas(t, []*message.Message{m}, carrier)
	if _, err := carrier.Open(m); !errors.Is(err, group.ErrUnreadable) {
		t.Errorf("the restarted carrier opens a message: %v", err)
	}
}
