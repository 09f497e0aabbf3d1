package node_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"starling/group"
	"starling/message"
)

// Every node's admission keeps at most 20 messages per 10 s of sent_at from
// one author and refuses the rest for good, so this user's node refuses a
// send beyond that, saying how long to wait, instead of losing it quietly.
func TestOwnSendsKeepToTheRate(t *testing.T) {
	t.Parallel()
	virtual(t, testOwnSendsKeepToTheRate)
}

func testOwnSendsKeepToTheRate(t *testing.T) {
	ctx := context.Background()
	nodes, gid, _, _ := groupOf(t, group.KindOpen, time.Time{}, []string{"owner", "bob"})
	bob := nodes[1]
	var err error
	perWindow := map[uint64]int{} // admission's windows: 10 s of sent_at
	for range 60 {
		var m *message.Message
		if m, _, err = bob.Send(ctx, gid.String(), "one more"); err != nil {
			break
		}
		perWindow[m.Body.SentAtMS/10_000]++
	}
	if !errors.Is(err, group.ErrRateLimited) || !strings.Contains(err.Error(), "wait") {
		t.Fatalf("bob's sends ended with %v; want a rate error that says how long to wait", err)
	}
	for w, n := range perWindow {
		// bob sent one text in groupOf already, in one of these windows.
		if n > 20 {
			t.Errorf("bob's node let %d texts through in window %d; admission keeps 20", n, w)
		}
	}
	if _, _, err := nodes[0].Send(ctx, gid.String(), "the owner is not limited"); err != nil {
		t.Errorf("the owner's send: %v", err)
	}
}
