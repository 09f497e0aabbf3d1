package node_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"starling/group"
)

// Every node's admission keeps at most 20 messages per 10 s of sent_at from
// one author and refuses the rest for good, so this user's node refuses a
// send beyond that, saying how long to wait, instead of losing it quietly.
func TestOwnSendsKeepToTheRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nodes, gid, _, _ := groupOf(t, group.KindOpen, time.Time{}, []string{"owner", "bob"})
	bob := nodes[1]
	var err error
	sent := 0
	for range 40 {
		if _, _, err = bob.Send(ctx, gid.String(), "one more"); err != nil {
			break
		}
		sent++
	}
	// bob sent one text in groupOf already.
	if !errors.Is(err, group.ErrRateLimited) || sent > 19 {
		t.Fatalf("bob sent %d more texts, then: %v; want at most 19 and a rate error", sent, err)
	}
	if _, _, err := nodes[0].Send(ctx, gid.String(), "the owner is not limited"); err != nil {
		t.Errorf("the owner's send: %v", err)
	}
}
