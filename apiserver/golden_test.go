package apiserver_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"starling/api"
	"starling/apiserver"
	"starling/catchup"
	"starling/delivery"
	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenSent is when the golden messages were sent; they arrived a second
// later.
var goldenSent = time.Date(2026, 3, 1, 9, 15, 30, 123e6, time.UTC)

// goldenMessage signs a fixed message. Ed25519 signatures are
// deterministic, so its ID, and with it the golden files, never change.
func goldenMessage(t testing.TB, text string, edit func(*message.Body)) *message.Message {
	t.Helper()
	user := mustUser(t, "ali\u200dce", fixedKey("golden author"))
	gid, _, err := group.OpenChannelID("lobby")
	if err != nil {
		t.Fatal(err)
	}
	payload, err := message.EncodeText(message.Text{Text: text, Nick: user.Name})
	if err != nil {
		t.Fatal(err)
	}
	b := message.Body{Group: gid, SentAtMS: message.TimeMS(goldenSent), Kind: message.KindText, Payload: payload}
	if edit != nil {
		edit(&b)
	}
	m, err := message.Sign(user.PrivateKey(), b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// goldenDetail is a group's detail as a banned user sees it.
func goldenDetail(t testing.TB, gid message.GroupID) api.GroupDetail {
	owner := mustUser(t, "olga", fixedKey("golden owner"))
	me := mustUser(t, "ali\u200dce", fixedKey("golden author"))
	ofp, mfp := string(owner.Fingerprint()), string(me.Fingerprint())
	you := apiserver.NewStanding(group.Standing{Banned: true, By: owner.PublicKey(), At: goldenSent, Reason: "spam"}, "forum")
	g := apiserver.NewGroup(store.Group{ID: gid, Name: "forum", Kind: "open", JoinedAt: goldenSent}, 4, 1)
	g.Refused = you.Why
	return api.GroupDetail{
		Group: g, Owner: ofp, Version: 3, Admins: []string{ofp}, Posters: []string{}, Removed: []string{},
		Banned: []string{mfp}, Members: []api.Member{{Fingerprint: ofp, Nick: "olga", Admin: true}, {Fingerprint: mfp, Nick: me.Name}},
		You: you,
	}
}

// The JSON views are an interface the CLI's --json output, the terminal chat
// and the web UI read: field names, time format and text bytes are pinned in
// testdata. Run with -update after a deliberate change.
func TestGoldenJSON(t *testing.T) {
	plain := goldenMessage(t, "hello e\u0301 \u200b\U0001F469\u200d\U0001F4BB", nil)
	reply := goldenMessage(t, "a reply", func(b *message.Body) {
		b.Ref = plain.ID
		b.ExpiresMS = message.TimeMS(goldenSent.Add(time.Hour))
	})
	received := goldenSent.Add(time.Second)
	content := func(m *message.Message) group.Content {
		c, err := group.DecodePayload(m.Body.Kind, m.Body.Payload)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	plainView := apiserver.NewMessage(store.Stored{Msg: plain, Origin: store.OriginGossip, ReceivedAt: received}, "lobby", content(plain))
	replyView := apiserver.NewMessage(store.Stored{Msg: reply, Origin: store.OriginCatchup, ReceivedAt: received}, "lobby", content(reply))
	ownView := apiserver.NewMessage(store.Stored{Msg: plain, Origin: store.OriginOwn, ReceivedAt: plain.Body.SentAt()}, "lobby", content(plain))

	cases := []struct {
		file string
		v    any
	}{
		{"message.json", plainView},
		{"reply.json", replyView},
		{"page.json", api.Page{Messages: []api.Message{plainView, replyView}, Next: "bmV4dA"}},
		{"send.json", api.SendResponse{Message: ownView, Peers: 0, Queued: true}},
		{"group.json", apiserver.NewGroup(store.Group{ID: plain.Body.Group, Name: "lobby", Kind: "open", JoinedAt: goldenSent}, 2, 3)},
		{"group_detail.json", goldenDetail(t, plain.Body.Group)},
		{"delivery_refused.json", apiserver.NewDelivery(delivery.Status{ID: plain.ID, Group: plain.Body.Group, State: delivery.Refused, At: goldenSent}, "lobby")},
		{"sync.json", []api.Sync{
			apiserver.NewSync(catchup.Result{
				Peer: fixedPeerID(t, "bob"), Group: plain.Body.Group, Fetched: 12, Pushed: 3, Ignored: 1,
				Rounds: 2, Batches: 2, Complete: true, BytesSent: 4103, BytesReceived: 21424,
				Started: goldenSent, Took: 14500 * time.Microsecond,
			}, "lobby"),
			apiserver.NewSync(catchup.Result{
				Peer: fixedPeerID(t, "mallory"), Group: plain.Body.Group, Started: goldenSent,
				Err: errors.New("catch-up of group 5d13f912 with mallory: peer misbehaved: unrequested message"),
			}, "lobby"),
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got, err := json.MarshalIndent(c.v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", c.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v; run the test with -update to create it", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s changed; if that is meant, run with -update.\ngot:\n%s\nwant:\n%s", c.file, got, want)
			}
		})
	}

	// The view carries the text and name byte for byte.
	if txt, _ := plain.Text(); plainView.Text != txt.Text || plainView.Name != txt.Nick {
		t.Errorf("view text %q by %q, want %q by %q", plainView.Text, plainView.Name, txt.Text, txt.Nick)
	}
	if plainView.Author != string(identity.FingerprintOf(plain.Body.Author)) {
		t.Errorf("author = %q, want the author key's fingerprint", plainView.Author)
	}
}
