package tui

import "testing"

// Issue 18: the API shows a group's Ops (kind "op": bans, roles) in history
// now, so that `log` says what happened; the chat says it in words too,
// never "a op message this version does not show".
func TestChatShowsOps(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	hi := text("lobby", bob, 1, "hi")
	ban := text("lobby", alice, 2, "")
	ban.Kind, ban.Action, ban.Target, ban.Reason, ban.Text = "op", "ban", bob.fp, "flooding", "ban: flooding"
	role := text("lobby", alice, 3, "")
	role.Kind, role.Action, role.Role, role.Target, role.Text = "op", "role", "admin", bob.fp, "role"
	fake.history[groupID("lobby")] = append(fake.history[groupID("lobby")], hi, ban, role)
	x := newHarness(t, fake, "lobby", 120, 30)
	x.mustShow("alice banned bob: flooding", "alice made bob an admin")
	x.mustNotShow("this version does not show")
}
