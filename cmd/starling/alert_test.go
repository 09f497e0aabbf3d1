package main

import (
	"fmt"
	"strings"
	"testing"

	"starling/internal/testwait"
)

// alert and alerts with the real binary between two daemons: the owner's
// alert reaches the member, whose `alerts` displays and so acknowledges
// it, and the owner sees the reach grow; a member's alert and one in an
// open channel are one-line errors.
func TestAlertCLI(t *testing.T) {
	ms := startLine(t, "lobby", "alice", "bob")
	alice, bob := ms[0].h.in(t), ms[1].h.in(t)
	awaitMesh(t, "lobby", alice, bob)
	shareOpenGroup(t, ms[0], ms[1], "stage")

	r := alice.ok("alert", "stage", "Exit B is closed,", "use exit A", "--watch", "0")
	if !strings.Contains(r.stdout, "sent to 1 peers in stage") {
		t.Errorf("alert printed:\n%s", r)
	}
	testwait.UntilNil(t, meetTimeout, "bob to hold the alert", func() error {
		if out := bob.ok("log", "stage").stdout; !strings.Contains(out, "sent an ALERT: Exit B is closed, use exit A") {
			return fmt.Errorf("bob's log:\n%s", out)
		}
		return nil
	})
	if out := bob.ok("alerts", "stage").stdout; !strings.Contains(out, "Exit B is closed, use exit A") || !strings.Contains(out, "reached ") {
		t.Errorf("bob's alerts:\n%s", out)
	}
	testwait.UntilNil(t, meetTimeout, "alice to count bob's acknowledgement", func() error {
		out := alice.ok("alerts", "stage").stdout
		if !strings.Contains(out, "reached 2 of the 2 devices seen in this group in the last hour") {
			return fmt.Errorf("alice's alerts:\n%s", out)
		}
		return nil
	})
	checkOneLineError(t, bob.run("alert", "stage", "bob's fake alarm"), 1, "only the owner and admins of stage send alerts")
	checkOneLineError(t, alice.run("alert", "lobby", "hi"), 1, "open channel")
	checkOneLineError(t, alice.run("alert", "stage"), 2, "a group and the alert's text")
}
