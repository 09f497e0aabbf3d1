package node_test

import (
	"bytes"
	"testing"

	"starling/message"
	"starling/store"
)

// A node on disk receives and sends, shuts down (Run returns once its
// context ends) and starts again with New on the same directory and
// transport key: its history is intact, it is back in its groups without
// joining them again, and it exchanges new messages once reconnected.
func TestRestartKeepsHistory(t *testing.T) {
	t.Parallel()
	virtual(t, testRestartKeepsHistory)
}

func testRestartKeepsHistory(t *testing.T) {
	alice := startNode(t, "alice", withStore(t.TempDir()))
	bob := startNode(t, "bob")
	connect(t, alice, bob)
	alice.join(t, "lobby")
	bob.join(t, "lobby")
	waitTopicPeers(t, "lobby", alice, bob)

	sent := map[string][]*message.Message{"lobby": {
		bob.send(t, "lobby", "before the restart"),
		alice.send(t, "lobby", "alice, before the restart"),
		bob.send(t, "lobby", "still before"),
	}}
	requireConverged(t, []*testNode{alice, bob}, sent)
	_, before, err := alice.History("lobby", store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	oldID := alice.ID()

	alice = alice.restart(t)
	if alice.ID() != oldID {
		t.Errorf("peer ID changed across the restart: %s, was %s", alice.ID(), oldID)
	}
	groups, err := alice.Groups()
	if err != nil || len(groups) != 1 || groups[0].Name != "lobby" {
		t.Fatalf("groups after the restart = %v, %v; want lobby", groups, err)
	}
	_, after, err := alice.History("lobby", store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Messages) != len(before.Messages) {
		t.Fatalf("history has %d messages after the restart, %d before", len(after.Messages), len(before.Messages))
	}
	for i, st := range after.Messages {
		was := before.Messages[i]
		if !bytes.Equal(st.Msg.Raw, was.Msg.Raw) || st.Origin != was.Origin || !st.ReceivedAt.Equal(was.ReceivedAt) {
			t.Errorf("message %d after the restart = %s %s %s, before %s %s %s", i,
				st.Msg.ID.Short(), st.Origin, st.ReceivedAt, was.Msg.ID.Short(), was.Origin, was.ReceivedAt)
		}
	}

	// Nobody calls Join: the node subscribed to lobby from its store.
	connect(t, alice, bob)
	waitTopicPeers(t, "lobby", alice, bob)
	sent["lobby"] = append(sent["lobby"],
		bob.send(t, "lobby", "welcome back"),
		alice.send(t, "lobby", "thanks, I kept everything"))
	requireConverged(t, []*testNode{alice, bob}, sent)
}
