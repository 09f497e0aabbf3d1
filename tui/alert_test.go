package tui

import (
	"context"
	"strings"
	"sync"
	"testing"

	"starling/api"
)

// alertFake is the fake daemon with alerts.
type alertFake struct {
	*fakeClient
	amu   sync.Mutex
	acks  []string // alert IDs acknowledged
	sent  []string // "groupID: text"
	reach []api.Alert
}

func (f *alertFake) SendAlert(_ context.Context, ref, text string) (api.Alert, error) {
	f.amu.Lock()
	defer f.amu.Unlock()
	if strings.Contains(text, "forbidden") {
		return api.Alert{}, &api.APIError{Status: 403, Message: "only the owner and admins of party send alerts, and you are neither"}
	}
	f.sent = append(f.sent, ref+": "+text)
	return api.Alert{ID: strings.Repeat("ab", 32), Text: text, Peers: 3}, nil
}

func (f *alertFake) Alerts(context.Context, string) ([]api.Alert, error) {
	f.amu.Lock()
	defer f.amu.Unlock()
	return f.reach, nil
}

func (f *alertFake) AckAlert(_ context.Context, _, id string) (api.Alert, error) {
	f.amu.Lock()
	defer f.amu.Unlock()
	f.acks = append(f.acks, id)
	return api.Alert{ID: id, YouAcked: true}, nil
}

func (f *alertFake) acked() []string {
	f.amu.Lock()
	defer f.amu.Unlock()
	return append([]string(nil), f.acks...)
}

// alertMsg is an alert by who in group, sent minutes after t0.
func alertMsg(group string, who identityOf, minutes int, body string) api.Message {
	m := text(group, who, minutes, body)
	m.Kind, m.ID = "alert", strings.Repeat("a1", 8)+m.ID[16:]
	return m
}

// An alert from any group is pinned in a banner at the top of the screen
// until dismissed, acknowledged once; a second one stacks; an old one in
// history is not pinned; /alert sends one, /alerts lists the reach.
func TestChatAlertPinned(t *testing.T) {
	fake := &alertFake{fakeClient: newFake(lobbyAndParty()...)}
	old := alertMsg("lobby", alice, -180, "yesterday's drill")
	fake.history[groupID("lobby")] = []api.Message{old, text("lobby", bob, 1, "hello")}
	x := newHarnessOf(t, fake, fake.fakeClient, "lobby", 100, 20)
	x.mustShow("sent an ALERT: yesterday's drill") // in the conversation only
	x.mustNotShow("⚠ ALERT")
	if len(fake.acked()) != 0 {
		t.Fatalf("an old alert was acknowledged: %v", fake.acked())
	}

	// An alert in another group than the one on screen.
	a := alertMsg("party", alice, 50, "Fire in hall B: leave by the north exit now")
	x.event(a)
	lines := strings.Split(x.screen(), "\n")
	if !strings.Contains(lines[0], "⚠ ALERT in #party from alice at 10:50: Fire in hall B") {
		t.Fatalf("the first line is not the alert:\n%s", x.screen())
	}
	x.mustShow("/dismiss or Ctrl-X dismisses it")
	x.event(a) // the same again: acknowledged once
	if got := fake.acked(); len(got) != 1 || got[0] != a.ID {
		t.Fatalf("acknowledged %v, want %s once", got, a.ID)
	}

	b := alertMsg("lobby", bob, 55, "Doors close in 5 minutes")
	x.event(b)
	x.mustShow("⚠ ALERT in #lobby from bob at 10:55: Doors close in 5 minutes", "(1 more alert(s) pinned)")
	x.enter("/dismiss")
	x.mustShow("⚠ ALERT in #party from alice", "1 more alert(s) pinned")
	x.press("ctrl+x")
	x.mustNotShow("⚠ ALERT")
	x.mustShow("alert dismissed")
	x.event(b) // a dismissed alert does not come back
	x.mustNotShow("⚠ ALERT")

	x.enter("/alert Stage 2 is closed")
	fake.amu.Lock()
	sent := append([]string(nil), fake.sent...)
	fake.amu.Unlock()
	if len(sent) != 1 || sent[0] != groupID("lobby")+": Stage 2 is closed" {
		t.Errorf("sent %v", sent)
	}
	x.mustShow("alert abababab sent to 3 peers")
	x.enter("/alert forbidden words")
	x.mustShow("the alert was not sent", "you are neither")
	fake.amu.Lock()
	fake.reach = []api.Alert{{ID: b.ID, Name: "bob", Text: "Doors close in 5 minutes", SentAt: b.SentAt, Reached: 1103, Devices: 1204}}
	fake.amu.Unlock()
	x.enter("/alerts")
	x.mustShow("reached 1,103 of the 1,204 devices seen in this group")
}
