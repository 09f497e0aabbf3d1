package tui

// Conversation in the chat: picking a message to answer or react to,
// reactions under messages, mentions highlighted and the @name picker.
//
// Alt-Up (or Ctrl-Up, or /reply) selects the newest text, and again the
// one before; Alt-Down moves back down, past the newest ends the
// selection, as does Esc. While a message is selected, a line above the
// input quotes it, Enter sends the input as a reply to it, and /react
// EMOJI (/unreact EMOJI) reacts to it (with nothing selected, /react
// reacts to the newest text). Tab after "@" and the start of a name
// completes it from the nicknames of the group, or says which names it
// could be.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"starling/api"
)

// talkClient is what this file asks of the daemon, beside Client;
// *api.Client has it.
type talkClient interface {
	Reply(ctx context.Context, ref, text, replyTo string) (api.SendResponse, error)
	React(ctx context.Context, ref, id, emoji string, remove bool) (api.ReactResponse, error)
	People(ctx context.Context, ref string) ([]api.Speaker, error)
}

var _ talkClient = (*api.Client)(nil)

// talk is the model's conversation state.
type talk struct {
	// selected is the ID of the message picked to answer or react to, in
	// the group selectedIn; "" for none.
	selected, selectedIn string
	// people caches the nicknames of each group's people, for the picker.
	people map[string][]string
}

type (
	reactedMsg struct {
		groupID, emoji string
		remove         bool
		res            api.ReactResponse
		err            error
	}
	peopleMsg struct {
		groupID string
		names   []string
		err     error
		// input is the line when the fetch began: completed on arrival
		// if it is still the line.
		input string
	}
)

var (
	mentionStyle  = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("214"))
	selectedStyle = lipgloss.NewStyle().Reverse(true)
	mineStyle     = lipgloss.NewStyle().Bold(true)
)

func (m *model) talkClient() (talkClient, bool) {
	c, ok := m.cfg.Client.(talkClient)
	return c, ok
}

// talkKey handles the keys of this file first; ok says it did.
func (m *model) talkKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	switch k.Keystroke() {
	case "alt+up", "ctrl+up":
		m.moveSelection(-1)
		return nil, true
	case "alt+down", "ctrl+down":
		m.moveSelection(1)
		return nil, true
	case "esc":
		if m.talk.selected != "" {
			m.talk.selected = ""
			return nil, true
		}
	case "tab":
		if _, ok := api.MentionPrefix(m.in.text[:m.in.cursor]); ok {
			return m.completeMention(), true
		}
	case "enter":
		line := m.in.text
		if m.selectedEntry() != nil && strings.TrimSpace(line) != "" && (!strings.HasPrefix(line, "/") || strings.HasPrefix(line, "//")) {
			m.in.take()
			m.notice = ""
			return m.reply(strings.TrimPrefix(line, "/")), true
		}
	}
	return nil, false
}

// selectable: a text on screen that can be answered and reacted to.
func selectable(e *entry) bool {
	return e.note == "" && e.msg.Kind == "text" && e.deletedBy == "" && !e.msg.Unreadable && e.msg.ID != ""
}

// selectedEntry is the selected message, if it is still in the group on
// screen and selectable.
func (m *model) selectedEntry() *entry {
	c := m.cur()
	if c == nil || m.talk.selected == "" || m.talk.selectedIn != c.groupID {
		return nil
	}
	if e := c.byID[m.talk.selected]; e != nil && selectable(e) {
		return e
	}
	return nil
}

// moveSelection selects the text before (delta -1) or after (1) the
// selected one; from none, -1 selects the newest. Past the newest the
// selection ends.
func (m *model) moveSelection(delta int) {
	c := m.cur()
	if c == nil {
		return
	}
	i := len(c.entries)
	if e := m.selectedEntry(); e != nil {
		i = slices.Index(c.entries, e)
	} else if delta > 0 {
		return
	}
	for i += delta; i >= 0 && i < len(c.entries); i += delta {
		if selectable(c.entries[i]) {
			m.talk.selected, m.talk.selectedIn = c.entries[i].msg.ID, c.groupID
			return
		}
	}
	if delta > 0 {
		m.talk.selected = ""
	} else if m.talk.selected == "" {
		m.fail("no message here to answer or react to yet")
	}
}

// talkCommand runs /reply, /react and /unreact.
func (m *model) talkCommand(name, rest string) tea.Cmd {
	c := m.cur()
	if c == nil {
		m.fail("you are in no group yet: /join lobby, or /group create NAME")
		return nil
	}
	switch name {
	case "reply":
		if m.selectedEntry() == nil {
			m.moveSelection(-1)
		}
		if m.selectedEntry() != nil {
			m.say("type your answer and press Enter; Alt-Up/Alt-Down pick another message, Esc cancels")
		}
		if rest != "" {
			return m.reply(rest)
		}
		return nil
	}
	if rest == "" || strings.ContainsAny(rest, " \t") {
		m.fail("usage: /%s EMOJI (one emoji, such as /%s 👍)", name, name)
		return nil
	}
	e := m.selectedEntry()
	if e == nil {
		for _, x := range slices.Backward(c.entries) {
			if selectable(x) {
				e = x
				break
			}
		}
	}
	if e == nil {
		m.fail("no message here to react to yet")
		return nil
	}
	client, ok := m.talkClient()
	if !ok {
		m.fail("this daemon does not take reactions")
		return nil
	}
	ctx, gid, id, remove := m.ctx, c.groupID, e.msg.ID, name == "unreact"
	return func() tea.Msg {
		res, err := client.React(ctx, gid, id, rest, remove)
		return reactedMsg{groupID: gid, emoji: rest, remove: remove, res: res, err: err}
	}
}

// reply sends text as an answer to the selected message.
func (m *model) reply(text string) tea.Cmd {
	e := m.selectedEntry()
	if e == nil {
		return m.send(text)
	}
	if !m.sendable(text) {
		return nil
	}
	client, ok := m.talkClient()
	if !ok {
		m.fail("this daemon does not take replies")
		m.in.set(text)
		return nil
	}
	ctx, gid, id := m.ctx, m.current, e.msg.ID
	m.talk.selected = ""
	return func() tea.Msg {
		res, err := client.Reply(ctx, gid, text, id)
		return sentMsg{groupID: gid, text: text, res: res, err: err}
	}
}

func (m *model) gotReacted(msg reactedMsg) {
	if msg.err != nil {
		m.fail("no reaction: %v", msg.err)
		return
	}
	m.setReactions(msg.groupID, msg.res.ID, msg.res.Reactions)
	switch {
	case msg.remove && !msg.res.Changed:
		m.say("you had no %s there", clean(msg.emoji, true))
	case !msg.remove && !msg.res.Changed:
		m.say("you reacted %s there already", clean(msg.emoji, true))
	}
}

// gotReactions takes a text's new reactions from the event stream.
func (m *model) gotReactions(u api.ReactionsUpdate) {
	m.setReactions(u.GroupID, u.ID, u.Reactions)
}

func (m *model) setReactions(groupID, id string, rs []api.Reaction) {
	c, ok := m.convs[groupID]
	if !ok {
		return
	}
	if e := c.byID[id]; e != nil {
		e.msg.Reactions = rs
	}
}

// reactionLine shows an entry's reactions under it ("👍 2  ❤️ 1"), this
// user's in bold; "" when it has none.
func (m *model) reactionLine(e *entry, w int) string {
	if len(e.msg.Reactions) == 0 || e.deletedBy != "" {
		return ""
	}
	var parts []string
	for _, r := range e.msg.Reactions {
		s := fmt.Sprintf("%s %d", clean(r.Emoji, true), r.Count)
		if r.Mine {
			s = mineStyle.Render(s)
		} else {
			s = dimStyle.Render(s)
		}
		parts = append(parts, s)
	}
	return fit(strings.Repeat(" ", indent)+strings.Join(parts, "  "), w)
}

// replyLines is the line above the input that quotes the selected
// message; none without one.
func (m *model) replyLines() []string {
	e := m.selectedEntry()
	if e == nil {
		return nil
	}
	c := m.cur()
	who := m.displayName(e.msg.Author, e.msg.Name, c.sharedNicks())
	hint := "  (Enter answers · /react EMOJI · Esc cancels)"
	quote := "↱ replying to " + who + ": " + clean(e.msg.Text, true)
	room := max(10, m.width-width(hint))
	if width(quote) > room {
		quote = truncate(quote, room-1) + "…"
	}
	return []string{noteStyle.Render(fit(quote+hint, m.width))}
}

// truncate cuts s to n cells.
func truncate(s string, n int) string {
	out := ""
	for g := range graphemes(s) {
		if width(out+g) > n {
			break
		}
		out += g
	}
	return out
}

// mentionHint lists the names "@prefix" at the end of the input could
// complete to, while one is typed.
func (m *model) mentionHint() string {
	prefix, ok := api.MentionPrefix(m.in.text[:m.in.cursor])
	if !ok || m.current == "" {
		return ""
	}
	names := api.MatchNames(m.namesHere(), prefix)
	switch {
	case len(names) == 0 && strings.ContainsFunc(prefix, unicode.IsSpace):
		return "" // a sentence after a name, not a name
	case len(names) == 0:
		return fmt.Sprintf("@%s: nobody here by that name", clean(prefix, true))
	case len(names) == 1:
		return fmt.Sprintf("@%s: Tab completes %s", clean(prefix, true), clean(names[0], true))
	}
	return fmt.Sprintf("@%s: %s (type more, or Tab)", clean(prefix, true), clean(strings.Join(names[:min(len(names), 8)], ", "), true))
}

// namesHere are the nicknames the picker offers in the group on screen:
// those the daemon knows and those seen in the conversation.
func (m *model) namesHere() []string {
	c := m.cur()
	if c == nil {
		return nil
	}
	names := slices.Clone(m.talk.people[c.groupID])
	for fp, nick := range c.authors {
		if fp != m.self && nick != "" {
			names = append(names, nick)
		}
	}
	return names
}

// completeMention completes "@prefix" before the cursor, asking the daemon
// for the group's people first when it has not yet.
func (m *model) completeMention() tea.Cmd {
	c := m.cur()
	if c == nil {
		return nil
	}
	if _, ok := m.talk.people[c.groupID]; !ok {
		if client, ok := m.talkClient(); ok {
			ctx, gid, input, self := m.ctx, c.groupID, m.in.text, m.self
			return func() tea.Msg {
				ps, err := client.People(ctx, gid)
				var names []string
				for _, p := range ps {
					if p.Fingerprint != self {
						names = append(names, p.Name)
					}
				}
				return peopleMsg{groupID: gid, names: names, err: err, input: input}
			}
		}
	}
	m.applyCompletion()
	return nil
}

func (m *model) gotPeople(msg peopleMsg) {
	if msg.err != nil {
		m.fail("could not list the people here: %v", msg.err)
		return
	}
	if m.talk.people == nil {
		m.talk.people = map[string][]string{}
	}
	m.talk.people[msg.groupID] = msg.names
	if msg.groupID == m.current && msg.input == m.in.text {
		m.applyCompletion()
	}
}

func (m *model) applyCompletion() {
	head, tail := m.in.text[:m.in.cursor], m.in.text[m.in.cursor:]
	done, err := api.CompleteMention(head, m.namesHere())
	if err != nil {
		m.fail("%s", clean(err.Error(), true))
		return
	}
	m.notice = ""
	m.in.set(done + tail)
	m.in.cursor = len(done)
}

// stamp is an entry's time, shown reversed when it is the selected
// message.
func (m *model) stamp(e *entry, at string) string {
	if e.msg.ID != "" && e.msg.ID == m.talk.selected && e.msg.GroupID == m.talk.selectedIn {
		return selectedStyle.Render(at)
	}
	return dimStyle.Render(at)
}

// textStyle is how a text's body shows: highlighted when it mentions this
// user.
func textStyle(x api.Message) func(...string) string {
	if x.MentionsYou {
		return mentionStyle.Render
	}
	return func(s ...string) string { return strings.Join(s, "") }
}

// sendable says whether text may go to the group on screen; when not, it
// says why and gives the text back to the input.
func (m *model) sendable(text string) bool {
	if why := m.refusal(); why != "" {
		m.fail("not sent: %s", why)
		m.in.set(text)
		return false
	}
	if err := api.CheckText(text); err != nil {
		m.fail("not sent: %v", err)
		m.in.set(text)
		return false
	}
	return true
}
