package tui

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	gocmp "github.com/google/go-cmp/cmp"

	"starling/api"
)

var (
	me    = person("me")
	alice = person("alice")
	bob   = person("bob")
)

func lobbyAndParty() []api.Group {
	return []api.Group{
		{ID: groupID("lobby"), Name: "lobby", Kind: "channel", Peers: 2},
		{ID: groupID("party"), Name: "party", Kind: "private", Peers: 1},
	}
}

func TestChatUnreadCounts(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	fake.history[groupID("party")] = []api.Message{text("party", bob, 1, "earlier in the party")}
	x := newHarness(t, fake, "lobby", 100, 20)

	x.event(text("party", alice, 2, "psst"))
	x.event(text("party", bob, 3, "over here"))
	x.event(text("party", me, 4, "my own words are never unread"))
	x.event(text("lobby", alice, 5, "in the lobby"))
	if got := x.m.unread[groupID("party")]; got != 2 {
		t.Fatalf("party has %d unread, want 2", got)
	}
	if got := x.m.unread[groupID("lobby")]; got != 0 {
		t.Fatalf("the lobby on screen has %d unread, want 0", got)
	}
	x.mustShow("in the lobby")
	x.mustMatch(`#party +2`)

	x.press("tab")
	if x.m.current != groupID("party") || x.m.unread[groupID("party")] != 0 {
		t.Fatalf("after Tab: on %s with %d unread; want party with 0", x.m.current, x.m.unread[groupID("party")])
	}
	// The party's page comes from the store: what arrived while it was not
	// on screen is there too.
	x.mustShow("earlier in the party", "#party")
	if regexp.MustCompile(`#party +\d`).MatchString(x.screen()) {
		t.Fatalf("the party on screen shows an unread count:\n%s", x.screen())
	}

	x.event(text("lobby", bob, 6, "back in the lobby"))
	x.mustMatch(`#lobby +1`)
	x.press("ctrl+p")
	if x.m.current != groupID("lobby") {
		t.Fatalf("Ctrl-P did not go back to the lobby")
	}
	x.mustShow("in the lobby", "back in the lobby")
}

func TestChatLateArrivalLandsWhereItWasWritten(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	fake.history[groupID("lobby")] = []api.Message{
		text("lobby", alice, 0, "first"),
		text("lobby", bob, 10, "third"),
	}
	x := newHarness(t, fake, "lobby", 100, 20)
	late := text("lobby", bob, 5, "second, from the catch-up")
	late.Late, late.Origin = true, "catchup"
	x.event(late)

	var order []string
	for _, e := range x.m.cur().entries {
		order = append(order, e.msg.Text)
	}
	if want := []string{"first", "second, from the catch-up", "third"}; !slices.Equal(order, want) {
		t.Fatalf("order %q, want %q", order, want)
	}
	s := x.screen()
	first, second, third := lineOf(s, "first"), lineOf(s, "second, from"), lineOf(s, "third")
	if !(first < second && second < third) {
		t.Fatalf("the late arrival is not between the others on screen:\n%s", s)
	}
	if !strings.Contains(strings.Split(s, "\n")[second], "↳ arrived late") {
		t.Fatalf("the late arrival is not marked:\n%s", s)
	}
	if strings.Contains(strings.Split(s, "\n")[third], "arrived late") {
		t.Fatalf("a live message is marked late:\n%s", s)
	}
	x.mustShow("late arrival from bob, written at 10:05")

	// The same message again (gossip after catch-up) changes nothing.
	x.event(late)
	if n := len(x.m.cur().entries); n != 3 {
		t.Fatalf("%d entries after a duplicate, want 3", n)
	}
}

func TestChatDeliveryStateUpdates(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	var own api.Message
	fake.sendRes = func(gid, body string) (api.SendResponse, error) {
		own = text("lobby", me, 30, body)
		own.Origin = "own"
		return api.SendResponse{Message: own, Queued: true}, nil
	}
	x := newHarness(t, fake, "lobby", 100, 20)
	x.enter("hello all")
	if got, want := fake.calls(&fake.sent), []string{groupID("lobby") + ": hello all"}; !slices.Equal(got, want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
	if x.m.in.text != "" {
		t.Fatalf("the input still holds %q after sending", x.m.in.text)
	}
	x.mustShow("hello all · queued on this device")

	at := t0.Add(31 * time.Minute)
	d := api.Delivery{ID: own.ID, GroupID: own.GroupID, State: "sent", Peers: 2, At: at}
	x.delivery(d)
	x.mustShow("hello all · sent to 2 peers")
	x.mustNotShow("queued")

	d.State, d.Relays, d.At = "relayed", 1, at.Add(time.Second)
	x.delivery(d)
	x.mustShow("hello all · sent to 2 peers, held by a relay")

	// A report older than the one shown does not take it back.
	x.delivery(api.Delivery{ID: own.ID, GroupID: own.GroupID, State: "queued", At: at.Add(-time.Minute)})
	x.mustShow("held by a relay")

	// The event of the message itself, arriving after its send's answer,
	// keeps the delivery state.
	x.event(own)
	x.mustShow("held by a relay")
	if n := len(x.m.cur().entries); n != 1 {
		t.Fatalf("%d entries, want the one sent", n)
	}
}

func TestChatDeliveryBeforeItsMessage(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	x := newHarness(t, fake, "lobby", 100, 20)
	own := text("lobby", me, 1, "fast network")
	x.delivery(api.Delivery{ID: own.ID, GroupID: own.GroupID, State: "sent", Peers: 1, At: t0.Add(2 * time.Minute)})
	x.event(own)
	x.mustShow("fast network · sent to 1 peer")

	// A send's answer (no time) never overrides what the daemon reported.
	x.send(sentMsg{groupID: own.GroupID, text: own.Text, res: api.SendResponse{Message: own, Queued: true}})
	x.mustShow("sent to 1 peer")
	x.mustNotShow("queued")
}

func TestChatSendFailureGivesTheTextBack(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	fake.sendRes = func(string, string) (api.SendResponse, error) {
		return api.SendResponse{}, &api.APIError{Status: 403, Message: "only posters may post in this group"}
	}
	x := newHarness(t, fake, "lobby", 100, 20)
	x.enter("may I?")
	x.mustShow("not sent: only posters may post in this group")
	if x.m.in.text != "may I?" {
		t.Fatalf("the input holds %q, want the text back", x.m.in.text)
	}

	x.m.in.set(strings.Repeat("x", 70000))
	x.press("enter")
	x.mustShow("not sent: the text is 70000 bytes, over the limit")
	if n := len(fake.calls(&fake.sent)); n != 1 {
		t.Fatalf("%d sends, want only the first (the long text is refused here)", n)
	}
}

func TestChatInputHistory(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	fake.sendRes = func(_, body string) (api.SendResponse, error) {
		return api.SendResponse{Message: text("lobby", me, 1, body), Peers: 1}, nil
	}
	x := newHarness(t, fake, "lobby", 100, 20)
	x.enter("one")
	x.enter("two")
	x.typeText("draft")
	steps := []struct {
		key, want string
	}{
		{"up", "two"}, {"up", "one"}, {"up", "one"}, {"down", "two"}, {"down", "draft"}, {"down", "draft"},
	}
	for _, s := range steps {
		x.press(s.key)
		if x.m.in.text != s.want {
			t.Fatalf("after %s the input is %q, want %q", s.key, x.m.in.text, s.want)
		}
	}
}

func TestChatInputEditsByCluster(t *testing.T) {
	var in input
	// An emoji family (one cluster of seven runes) and e + combining acute.
	in.insert("a👩‍👩‍👧b cafe\u0301")
	in.backspace()
	if in.text != "a👩‍👩‍👧b caf" {
		t.Fatalf("backspace left %q", in.text)
	}
	in.home()
	in.right()
	in.right()
	in.backspace()
	if in.text != "ab caf" {
		t.Fatalf("deleting the emoji left %q", in.text)
	}
	in.end()
	in.killWord()
	if in.text != "ab " {
		t.Fatalf("Ctrl-W left %q", in.text)
	}
	view, col := (&input{text: "漢字漢字漢字", cursor: len("漢字漢字漢字")}).view(8)
	if width(view) != 8 || col > 7 {
		t.Fatalf("a long wide line shows as %q (%d cells) with the cursor at %d", view, width(view), col)
	}
}

func TestChatCommands(t *testing.T) {
	for _, tc := range []struct {
		line   string
		group  string // on screen when typed; default lobby
		show   string // on screen afterwards
		record func(*fakeClient) []string
		want   []string
	}{
		{line: "/join", show: "usage: /join LINK-or-NAME"},
		{line: "/join   ", show: "usage: /join LINK-or-NAME"},
		{line: "/join games", show: "you are in #games now", record: func(f *fakeClient) []string { return f.calls(&f.joined) }, want: []string{"games"}},
		{line: "/group", show: "usage: /group create NAME"},
		{line: "/group delete x", show: "usage: /group create NAME"},
		{line: "/group create", show: "usage: /group create NAME"},
		{line: "/group create my party --private", show: "you are in #my party now",
			record: func(f *fakeClient) []string { return f.calls(&f.created) }, want: []string{"my party/private"}},
		{line: "/group create night owls", show: "#night owls",
			record: func(f *fakeClient) []string { return f.calls(&f.created) }, want: []string{"night owls/open"}},
		{line: "/group create announce", show: "#announce",
			record: func(f *fakeClient) []string { return f.calls(&f.created) }, want: []string{"announce/open"}},
		{line: "/frobnicate now", show: "unknown command /frobnicate; /help lists the commands"},
		{line: "/block", show: "usage: /block NAME"},
		{line: "/invite", group: "party", show: "starling://join/" + groupID("party")},
		{line: "/invite", show: "Invite link to #lobby"},
		{line: "/help", show: "/group create NAME [open|private|announce]"},
		{line: "//join is a command", record: func(f *fakeClient) []string { return f.calls(&f.sent) },
			want: []string{groupID("lobby") + ": /join is a command"}},
	} {
		t.Run(tc.group+tc.line, func(t *testing.T) {
			fake := newFake(lobbyAndParty()...)
			fake.sendRes = func(_, body string) (api.SendResponse, error) {
				return api.SendResponse{Message: text("lobby", me, 1, body), Peers: 1}, nil
			}
			x := newHarness(t, fake, cmp.Or(tc.group, "lobby"), 140, 30)
			x.enter(tc.line)
			if tc.show != "" {
				x.mustShow(tc.show)
			}
			if tc.record != nil {
				if diff := gocmp.Diff(tc.want, tc.record(fake)); diff != "" {
					t.Errorf("calls (-want +got):\n%s", diff)
				}
			}
			if x.quit {
				t.Errorf("%q quit the chat", tc.line)
			}
		})
	}
}

func TestChatJoinSwitchesAndFailureStays(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	x := newHarness(t, fake, "lobby", 100, 20)
	// A status read before the join answers after it: it must not take
	// the new group away.
	stale := x.m.fetchStatus()()
	x.enter("/join games")
	x.send(stale)
	if x.m.current != groupID("games") {
		t.Fatalf("after /join on %s, want games", x.m.current)
	}
	x.mustShow("#games", "No messages in #games yet")
	x.mustNotShow("no longer in the group")

	fake.joinErr = &api.APIError{Status: 400, Message: "bad invite link: the signature does not verify"}
	x.enter("/join starling://join/broken")
	x.mustShow("bad invite link: the signature does not verify")
	if x.m.current != groupID("games") {
		t.Fatalf("a failed join moved the chat to %s", x.m.current)
	}
}

func TestChatQuit(t *testing.T) {
	for _, keys := range [][]string{{"/", "q", "u", "i", "t", "enter"}, {"ctrl+c"}, {"ctrl+d"}} {
		t.Run(strings.Join(keys, ""), func(t *testing.T) {
			x := newHarness(t, newFake(lobbyAndParty()...), "lobby", 100, 20)
			x.press(keys...)
			if !x.quit || !x.m.quitting {
				t.Fatalf("%q did not quit", keys)
			}
		})
	}
	x := newHarness(t, newFake(lobbyAndParty()...), "lobby", 100, 20)
	x.typeText("ab")
	x.press("left", "ctrl+d")
	if x.quit || x.m.in.text != "a" {
		t.Fatalf("Ctrl-D in a non-empty line: quit %v, input %q; want it to delete", x.quit, x.m.in.text)
	}
}

func TestChatBlockResolvesNames(t *testing.T) {
	alice2 := person("alice the second")
	alice2.nick = "Alice"
	fake := newFake(lobbyAndParty()...)
	fake.history[groupID("lobby")] = []api.Message{
		text("lobby", alice, 1, "hi, I am alice"),
		text("lobby", alice2, 2, "me too"),
		text("lobby", bob, 3, "and I am bob"),
		text("lobby", me, 4, "that's me"),
	}
	x := newHarness(t, fake, "lobby", 140, 30)
	// Two authors share a nickname: both show their short fingerprints.
	x.mustShow(fmt.Sprintf("alice (%s): hi", alice.fp[:8]), fmt.Sprintf("Alice (%s): me too", alice2.fp[:8]), "bob: and I am bob")

	x.enter("/block alice")
	x.mustShow("2 people in #lobby match \"alice\"", alice.fp[:8], alice2.fp[:8])
	x.enter("/block carol")
	x.mustShow("nobody called \"carol\" has written in #lobby")
	x.enter("/block me")
	x.mustShow("\"me\" is you")
	if got := fake.calls(&fake.blocks); len(got) != 0 {
		t.Fatalf("blocked %q on an unresolved name", got)
	}

	x.enter("/block " + alice2.fp[:6])
	x.mustShow("blocked Alice (" + alice2.fp[:8] + ")")
	x.mustNotShow("me too")
	x.enter("/mute @Bob")
	x.mustNotShow("and I am bob")
	// The first alice is now the only one in view, but the other is still
	// an author of the group, so the name stays ambiguous for /unblock.
	x.enter("/unblock alice")
	x.mustShow("2 people in any group here match")
	x.enter("/unblock " + alice2.fp)
	want := []string{alice2.fp + "/block", bob.fp + "/mute", alice2.fp + "/"}
	if diff := gocmp.Diff(want, fake.calls(&fake.blocks)); diff != "" {
		t.Fatalf("block calls (-want +got):\n%s", diff)
	}
	// Unblocking reads the page again; the fake still serves everything.
	x.mustShow("unblocked Alice", "me too")
}

func TestChatDeletionsRepliesAndControlMessages(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	orig := text("lobby", alice, 1, "the original question")
	doomed := text("lobby", bob, 2, "something regrettable")
	reply := text("lobby", bob, 3, "an answer")
	reply.Ref = orig.ID
	orphan := text("lobby", bob, 4, "answering the void")
	orphan.Ref = strings.Repeat("ab", 32)
	fake.history[groupID("lobby")] = []api.Message{orig, doomed, reply, orphan}
	x := newHarness(t, fake, "lobby", 120, 30)
	s := x.screen()
	if q, a := lineOf(s, "↱ alice: the original question"), lineOf(s, "bob: an answer"); q < 0 || a != q+1 {
		t.Fatalf("the reply does not quote its question on the line above:\n%s", s)
	}
	x.mustShow("↱ reply to a message not loaded here")

	del := text("lobby", alice, 5, "")
	del.Kind, del.Ref, del.Text = "delete", doomed.ID, "spam"
	x.event(del)
	x.mustShow("bob: message deleted by alice: spam")
	x.mustNotShow("something regrettable")

	// A deletion that overtakes its target is applied when it comes.
	late := text("lobby", bob, 6, "never seen")
	del2 := text("lobby", alice, 7, "")
	del2.Kind, del2.Ref = "delete", late.ID
	x.event(del2)
	x.event(late)
	x.mustNotShow("never seen")

	ban := text("lobby", alice, 8, "")
	ban.Kind, ban.Target, ban.Text = "ban", bob.fp, "flooding"
	x.event(ban)
	x.mustShow("alice banned bob: flooding")
}

func TestChatCutOffWarning(t *testing.T) {
	groups := lobbyAndParty()
	groups[1].Peers = 0
	fake := newFake(groups...)
	fake.status.Relays = []api.Relay{{PeerID: "r1", Connected: true, Reserved: true}, {PeerID: "r2"}}
	x := newHarness(t, fake, "lobby", 120, 20)
	warning := "cut off: no peer of this group is reachable; messages wait on this device"
	x.mustShow("1 peer connected", "relays 1/2 connected, 1 reserved", "#lobby: 2 peers", "outbox 0")
	x.mustNotShow(warning)

	x.press("tab")
	x.mustShow(warning, "#party: 0 peers")

	fake.mu.Lock()
	fake.status.Groups[1].Peers = 1
	fake.status.Outbox = 3
	fake.mu.Unlock()
	x.send(tickMsg{})
	x.mustNotShow(warning)
	x.mustShow("#party: 1 peer", "outbox 3")
}

// The chat says when the node's disk is too full to take messages, and
// stops saying it once there is room.
func TestChatDiskWarning(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	x := newHarness(t, fake, "lobby", 140, 20)
	x.mustNotShow("disk")
	for _, c := range []struct{ state, want string }{
		{"low", "disk almost full: messages from others are refused until space is freed"},
		{"full", "disk full: nothing new is saved, yours included"},
		{"read-only", "disk full: the node is read-only until space is freed"},
	} {
		fake.mu.Lock()
		fake.status.Store = &api.StoreHealth{State: c.state, Reason: "only 3 MiB free"}
		fake.mu.Unlock()
		x.send(tickMsg{})
		x.mustShow(c.want, "#lobby: 2 peers")
	}
	fake.mu.Lock()
	fake.status.Store = &api.StoreHealth{State: "ok"}
	fake.mu.Unlock()
	x.send(tickMsg{})
	x.mustNotShow("disk")
}

func TestChatDaemonLostAndBack(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	x := newHarness(t, fake, "lobby", 120, 20)
	x.send(streamMsg{err: fmt.Errorf("the daemon for /home is not answering on 127.0.0.1:1: connection refused")})
	x.mustShow("lost the daemon: the daemon for /home is not answering", "daemon not answering")
	if x.m.lost() == nil {
		t.Fatal("the model does not record the lost daemon")
	}
	x.event(text("lobby", alice, 50, "written while we were away"))
	x.send(streamMsg{})
	if x.m.lost() != nil {
		t.Fatalf("still lost after the stream opened again: %v", x.m.lost())
	}
	x.mustShow("reconnected to the daemon", "written while we were away")

	// Status calls failing mean the same; a later answer clears it.
	fake.statusErr = errors.New("the daemon for /home did not answer in time")
	x.send(tickMsg{})
	x.mustShow("lost the daemon: the daemon for /home did not answer in time", "daemon not answering")
	x.mustNotShow("cut off")
	fake.statusErr = nil
	x.send(tickMsg{})
	x.mustShow("1 peer connected")
	if x.m.lost() != nil {
		t.Fatalf("still lost after a status answer: %v", x.m.lost())
	}
}

func TestChatResizeAndWrap(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	long := strings.Repeat("word ", 60) + "漢字とかなの混じった文章も正しく折り返されるべきです👩‍👩‍👧‍👦" + strings.Repeat("x", 150)
	fake.history[groupID("lobby")] = []api.Message{text("lobby", alice, 1, long), text("lobby", bob, 2, "short")}
	x := newHarness(t, fake, "lobby", 120, 40)
	check := func(w, h int, sidebar bool) {
		t.Helper()
		x.send(tea.WindowSizeMsg{Width: w, Height: h})
		s := x.screen()
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		if len(lines) != h {
			t.Fatalf("%dx%d: %d lines on screen", w, h, len(lines))
		}
		for _, l := range lines {
			if width(l) > w {
				t.Fatalf("%dx%d: a line is %d cells wide:\n%q", w, h, width(l), l)
			}
		}
		if got := strings.Contains(s, "Groups"); got != sidebar {
			t.Fatalf("%dx%d: group list shown %v, want %v:\n%s", w, h, got, sidebar, s)
		}
		// Nothing of the long text is lost to the wrapping.
		var body strings.Builder
		for _, l := range x.m.lines(x.m.cur(), -1) {
			body.WriteString(ansi.Strip(l))
		}
		if joined := strings.ReplaceAll(body.String(), " ", ""); !strings.Contains(joined, strings.ReplaceAll(long, " ", "")) {
			t.Fatalf("%dx%d: the wrapped text lost characters", w, h)
		}
	}
	check(120, 40, true)
	check(50, 30, false)
	check(33, 12, false)
	// A long error wraps onto at most three lines and the rest still fits.
	x.enter("/block somebody-who-never-wrote-here")
	check(33, 12, false)
	x.mustShow("nobody called", "has written in")
	x.press("ctrl+g")
	check(50, 30, true)
	x.press("ctrl+g")
	check(120, 40, false)
	x.send(tea.WindowSizeMsg{Width: 10, Height: 3})
	x.mustShow("too small")
}

func TestChatScrollbackLoadsOlderPages(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	var msgs []api.Message
	for i := range 250 {
		msgs = append(msgs, text("lobby", alice, i, fmt.Sprintf("message %03d", i)))
	}
	fake.history[groupID("lobby")] = msgs
	x := newHarness(t, fake, "lobby", 100, 24)
	x.mustShow("message 249")
	if n := len(x.m.cur().entries); n != 100 {
		t.Fatalf("%d messages held after the first page, want 100", n)
	}
	for i := 0; i < 100 && !x.m.cur().complete; i++ {
		x.press("pgup")
	}
	if got, want := fake.calls(&fake.cursors), []string{"", "150", "50"}; !slices.Equal(got, want) {
		t.Fatalf("history read with cursors %q, want %q", got, want)
	}
	if n := len(x.m.cur().entries); n != 250 {
		t.Fatalf("%d messages held after scrolling back, want 250", n)
	}
	for range 50 {
		x.press("pgup")
	}
	x.mustShow("message 000", "start of the history")
	x.mustNotShow("message 249")

	// New messages while scrolled back do not move the view.
	before := x.screen()
	x.event(text("lobby", bob, 300, "news"))
	if x.screen() == before {
		// The header changes to say something is new; the lines do not.
		t.Fatal("the header does not mention the new message")
	}
	x.mustShow("message 000", "1 new below")
	x.press("esc")
	x.mustShow("news")
	x.mustNotShow("message 000")

	x.press("pgup", "pgdown")
	x.mustShow("news")
}

func TestChatPasteKeepsLines(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	fake.sendRes = func(_, body string) (api.SendResponse, error) {
		return api.SendResponse{Message: text("lobby", me, 1, body), Peers: 1}, nil
	}
	x := newHarness(t, fake, "lobby", 100, 20)
	x.send(tea.PasteMsg{Content: "line one\r\nline two\rthree"})
	x.mustShow("> line one⏎line two⏎three")
	x.press("enter")
	if got, want := fake.calls(&fake.sent), []string{groupID("lobby") + ": line one\nline two\nthree"}; !slices.Equal(got, want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
	s := x.screen()
	if one, two := lineOf(s, "me: line one"), lineOf(s, "line two"); one < 0 || two != one+1 {
		t.Fatalf("a multi-line message does not show on its lines:\n%s", s)
	}
}

// Issue 18: /invite showed the link inside the chat's panes, where the group
// list's border and the indent broke it when copied. It shows on a screen
// of its own now: the link's lines hold nothing else, so that what a mouse
// copies is the link and line breaks, which joining ignores; Esc goes
// back.
func TestChatInviteScreen(t *testing.T) {
	fake := newFake(lobbyAndParty()...)
	x := newHarness(t, fake, "party", 50, 20)
	want, err := fake.Invite(t.Context(), groupID("party"), nil)
	if err != nil {
		t.Fatal(err)
	}
	x.enter("/invite")
	lines := strings.Split(x.screen(), "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "starling://") })
	if i < 0 {
		t.Fatalf("no line starts with the link:\n%s", x.screen())
	}
	var got strings.Builder
	for _, l := range lines[i:] {
		if l == "" {
			break
		}
		if len(l) > 50 {
			t.Errorf("a line of the link is %d wide on a 50-column screen: %q", len(l), l)
		}
		got.WriteString(l)
	}
	if got.String() != want {
		t.Fatalf("the link's lines join to %q, want %q:\n%s", got.String(), want, x.screen())
	}
	x.press("esc")
	x.mustShow("#party")
	if strings.Contains(x.screen(), "Invite link to") {
		t.Errorf("Esc left the invite screen up:\n%s", x.screen())
	}
}
