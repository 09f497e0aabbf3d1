package tui

import (
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"starling/api"
)

const removedWhy = "you were removed from party by aaaabbbbccccddddeeeeffffgggghhhh at 2026-03-14T10:30:00Z; you can still read what was sent before"

// In a group this user can no longer post in, a banner says why and the
// input refuses text with that reason; other groups are as before.
func TestChatRefusalBanner(t *testing.T) {
	groups := lobbyAndParty()
	groups[1].Refused, groups[1].Peers = removedWhy, 0
	fake := newFake(groups...)
	fake.sendRes = func(gid, body string) (api.SendResponse, error) {
		own := text("lobby", me, 30, body)
		return api.SendResponse{Message: own, Peers: 2}, nil
	}
	x := newHarness(t, fake, "party", 120, 20)
	x.mustShow("⛔ you were removed from party by aaaabbbbccccddddeeeeffffgggghhhh", "sent before", "No messages in #party yet.")
	x.mustNotShow("Say hello")
	// The refusal says more than being cut off.
	x.mustNotShow("cut off")

	x.enter("let me back in")
	x.mustShow("not sent: you were removed from party")
	if got := fake.calls(&fake.sent); len(got) != 0 {
		t.Fatalf("the chat sent %q in a group it may not post in", got)
	}
	if x.m.in.text != "let me back in" {
		t.Fatalf("the input holds %q, want the text kept", x.m.in.text)
	}
	// Commands still work there.
	x.m.in.set("")
	x.enter("/help")
	x.mustShow("/quit (or Ctrl-C) leaves")

	x.press("tab")
	x.mustNotShow("⛔")
	x.enter("hello lobby")
	if got, want := fake.calls(&fake.sent), []string{groupID("lobby") + ": hello lobby"}; !slices.Equal(got, want) {
		t.Fatalf("sent %q, want %q", got, want)
	}

	// A narrow terminal wraps the reason on two lines at most.
	x.press("tab")
	x.send(tea.WindowSizeMsg{Width: 40, Height: 20})
	x.mustShow("⛔ you were removed from party by", "…")
}

// The daemon refused a send the last status did not know to refuse: the
// chat asks for a fresh status, and the banner shows.
func TestChatRefusalFromTheDaemon(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	fake.sendRes = func(string, string) (api.SendResponse, error) {
		fake.mu.Lock()
		fake.status.Groups[1].Refused = removedWhy
		fake.mu.Unlock()
		return api.SendResponse{}, &api.APIError{Status: 403, Message: removedWhy}
	}
	x := newHarness(t, fake, "party", 120, 20)
	x.mustNotShow("⛔")
	x.enter("still here?")
	x.mustShow("not sent: "+removedWhy[:40], "⛔ "+removedWhy[:40])
}

// A queued message that will not go out shows as refused.
func TestChatRefusedDelivery(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	own := text("party", me, 1, "queued before the removal")
	fake.history[groupID("party")] = []api.Message{own}
	x := newHarness(t, fake, "party", 120, 20)
	x.delivery(api.Delivery{ID: own.ID, GroupID: own.GroupID, State: "queued", At: t0.Add(time.Minute)})
	x.mustShow("queued before the removal · queued on this device")
	x.delivery(api.Delivery{ID: own.ID, GroupID: own.GroupID, State: "refused", At: t0.Add(2 * time.Minute)})
	x.mustShow("queued before the removal · not sent: you can no longer post here")
	// Refused is final: a report with the same time does not undo it.
	x.delivery(api.Delivery{ID: own.ID, GroupID: own.GroupID, State: "queued", At: t0.Add(2 * time.Minute)})
	x.mustShow("not sent: you can no longer post here")
}
