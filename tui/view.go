package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// The screen, top to bottom: a header naming the group, the conversation
// (beside the group list when it shows), a banner when this user can no
// longer post in the group (removed, banned, a stale invite) or else a
// warning while this node is cut off from the group, a notice line, the
// status bar and the input line.

// sidebarMinWidth is the terminal width from which the group list shows
// unless hidden by hand.
const sidebarMinWidth = 70

const prompt = "> "

func (m *model) showSidebar() bool {
	switch m.sidebar {
	case sidebarShown:
		return true
	case sidebarHidden:
		return false
	}
	return m.width >= sidebarMinWidth
}

// sidebarWidth is the group list's width without its border.
func (m *model) sidebarWidth() int { return min(24, max(12, m.width/5)) }

func (m *model) mainWidth() int {
	if m.showSidebar() {
		return max(1, m.width-m.sidebarWidth()-1)
	}
	return max(1, m.width)
}

// cutOff reports that no peer of the group on screen is reachable. It
// gives way to the refusal banner: what this user sends there waits for
// nobody.
func (m *model) cutOff() bool {
	g, ok := m.group(m.current)
	return ok && m.statusKnown && m.lost() == nil && g.Peers == 0 && g.Refused == ""
}

// refusal is why this user can no longer post in the group on screen, as
// the daemon says it; "" while they can.
func (m *model) refusal() string {
	g, _ := m.group(m.current)
	return g.Refused
}

// maxRefusalLines bounds the banner; the reason is one sentence.
const maxRefusalLines = 2

// refusalLines is the banner saying why this user cannot post here, wrapped;
// none while they can.
func (m *model) refusalLines() []string {
	why := m.refusal()
	if why == "" {
		return nil
	}
	return m.banner("⛔ "+why, maxRefusalLines, refusedStyle)
}

// banner is text wrapped to the screen on at most maxLines lines (the
// last cut with "…"), the lines after the first indented, in style.
func (m *model) banner(text string, maxLines int, style lipgloss.Style) []string {
	wrapped := wrap(clean(text, true), m.width-1, m.width-3)
	if len(wrapped) > maxLines {
		wrapped = wrapped[:maxLines]
		wrapped[maxLines-1] += "…"
	}
	out := make([]string, len(wrapped))
	for i, l := range wrapped {
		if i > 0 {
			l = "  " + l
		}
		out[i] = style.Render(fit(" "+l, m.width))
	}
	return out
}

// maxWarningLines bounds the line that says why no peer is found: a cause
// and what to do about it.
const maxWarningLines = 3

// peerWarningLines is peerWarning wrapped on maxWarningLines at most, so
// that the advice after the cause stays on screen.
func (m *model) peerWarningLines() []string {
	w := m.peerWarning()
	if w == "" {
		return nil
	}
	return m.banner("⚠ "+w, maxWarningLines, warnStyle)
}

// convRows is the conversation's height.
func (m *model) convRows() int {
	rows := m.height - 3 - len(m.noticeLines()) - len(m.refusalLines()) - len(m.replyLines()) - len(m.alertLines()) - len(m.peerWarningLines())
	if m.diskWarning() != "" {
		rows--
	}
	return max(0, rows)
}

func (m *model) View() tea.View {
	if !m.ready || m.width < 20 || m.height < 5 {
		v := tea.NewView("The terminal is too small for the chat; make it bigger, or use `starling chat --plain`.")
		v.AltScreen = true
		return v
	}
	if m.inviting != nil {
		return m.inviteView()
	}
	top := append([]string{m.header()}, m.conversationView(m.convRows())...)
	lines := make([]string, 0, m.height)
	lines = append(lines, m.alertLines()...)
	if m.showSidebar() {
		side, sw, mw := m.sidebarView(len(top)), m.sidebarWidth(), m.mainWidth()
		for i, l := range top {
			lines = append(lines, fit(side[i], sw)+dimStyle.Render("│")+fit(l, mw))
		}
	} else {
		for _, l := range top {
			lines = append(lines, fit(l, m.width))
		}
	}
	lines = append(lines, m.refusalLines()...)
	lines = append(lines, m.peerWarningLines()...)
	if w := m.diskWarning(); w != "" {
		lines = append(lines, warnStyle.Render(fit(" ⚠ "+w, m.width)))
	}
	lines = append(lines, m.replyLines()...)
	lines = append(lines, m.noticeLines()...)
	lines = append(lines, statusStyle.Render(fit(m.statusText(), m.width)))
	text, col := m.in.view(m.width - width(prompt))
	lines = append(lines, promptStyle.Render(prompt)+text)

	v := tea.NewView(strings.Join(lines, "\n"))
	v.AltScreen = true
	v.Cursor = tea.NewCursor(width(prompt)+col, len(lines)-1)
	return v
}

func (m *model) header() string {
	g, ok := m.group(m.current)
	if !ok {
		return headerStyle.Render("starling chat") + dimStyle.Render(" · no group joined yet")
	}
	s := headerStyle.Render("#"+clean(g.Name, true)) + dimStyle.Render(" "+g.Kind)
	c := m.cur()
	var info []string
	switch {
	case c.loading:
		info = append(info, "loading older messages…")
	case c.offset > 0 && c.unseen > 0:
		info = append(info, fmt.Sprintf("scrolled back, %d new below (Esc)", c.unseen))
	case c.offset > 0:
		info = append(info, "scrolled back (Esc returns)")
	}
	if c.complete && c.offset > 0 && c.offset+m.convRows() >= len(m.lines(c, c.offset+m.convRows()+1)) {
		info = append(info, "start of the history")
	}
	if len(info) > 0 {
		s += dimStyle.Render(" · " + strings.Join(info, " · "))
	}
	return s
}

// conversationView is the visible window of the conversation, bottom
// aligned like a chat.
func (m *model) conversationView(rows int) []string {
	c := m.cur()
	if c == nil {
		c = m.none
	}
	lines := m.lines(c, c.offset+rows)
	end := max(0, len(lines)-c.offset)
	visible := lines[max(0, end-rows):end]
	if len(c.entries) == 0 && c.loaded {
		g, _ := m.group(c.groupID)
		empty := fmt.Sprintf("No messages in #%s yet. Say hello!", clean(g.Name, true))
		if g.Refused != "" {
			empty = fmt.Sprintf("No messages in #%s yet.", clean(g.Name, true))
		}
		visible = []string{noteStyle.Render(empty)}
	}
	out := make([]string, rows-len(visible), rows)
	return append(out, visible...)
}

// sidebarView lists the joined groups with their unread counts.
func (m *model) sidebarView(rows int) []string {
	out := []string{headerStyle.Render("Groups")}
	sw := m.sidebarWidth()
	for _, g := range m.groups {
		name := "#" + clean(g.Name, true)
		count := ""
		if n := m.unread[g.ID]; n > 0 {
			count = fmt.Sprintf(" %d", n)
		}
		line := fit(name, sw-width(count)) + count
		switch {
		case g.ID == m.current:
			line = currentStyle.Render(fit(line, sw))
		case count != "":
			line = unreadStyle.Render(line)
		}
		out = append(out, line)
	}
	for len(out) < rows {
		out = append(out, "")
	}
	return out[:rows]
}

// maxNoticeLines bounds how much of the screen a notice takes.
const maxNoticeLines = 3

// noticeLines is the notice (an error, or news), wrapped, or a hint of the
// keys when there is none.
func (m *model) noticeLines() []string {
	if h := m.mentionHint(); h != "" && m.notice == "" {
		return []string{noteStyle.Render(fit(h, m.width))}
	}
	if m.notice == "" {
		return []string{dimStyle.Render(fit("Tab: next group · PgUp: older · /help: commands · Ctrl-C: quit", m.width))}
	}
	style := noteStyle
	if m.noticeIsErr {
		style = errorStyle
	}
	wrapped := wrap(clean(m.notice, true), m.width, m.width)
	if len(wrapped) > maxNoticeLines {
		wrapped = wrapped[:maxNoticeLines]
		wrapped[maxNoticeLines-1] += "…"
	}
	out := make([]string, len(wrapped))
	for i, l := range wrapped {
		out[i] = style.Render(fit(l, m.width))
	}
	return out
}

// diskWarning says why the node refuses messages for want of disk space;
// "" while it takes everything. `starling status` has the figures.
func (m *model) diskWarning() string {
	st := m.status.Store
	if !m.statusKnown || st == nil {
		return ""
	}
	switch st.State {
	case "low":
		return "disk almost full: messages from others are refused until space is freed (starling status)"
	case "full":
		return "disk full: nothing new is saved, yours included, until space is freed (starling status)"
	case "read-only":
		return "disk full: the node is read-only until space is freed (starling status)"
	default:
		return ""
	}
}

// statusText is the status bar: this node's peers, its relays, the group's
// peers and the outbox.
func (m *model) statusText() string {
	if m.lost() != nil {
		return " daemon not answering"
	}
	if !m.statusKnown {
		return " …"
	}
	st := m.status
	parts := []string{" " + plural(st.Peers, "peer") + " connected", m.relaysText()}
	if g, ok := m.group(m.current); ok {
		parts = append(parts, fmt.Sprintf("#%s: %s", clean(g.Name, true), plural(g.Peers, "peer")))
	}
	parts = append(parts, fmt.Sprintf("outbox %d", st.Outbox))
	if full := strings.Join(parts, " │ "); width(full) <= m.width {
		return full
	}
	// Narrow: the same figures, fewer words.
	connected, reserved := m.relayCounts()
	compact := fmt.Sprintf(" peers %d │ relays %d/%d/%d", st.Peers, connected, reserved, len(st.Relays))
	if g, ok := m.group(m.current); ok {
		compact += fmt.Sprintf(" │ group %d", g.Peers)
	}
	return compact + fmt.Sprintf(" │ out %d", st.Outbox)
}

// relayCounts counts the relays this node is connected to and those it
// holds a reservation on.
func (m *model) relayCounts() (connected, reserved int) {
	for _, r := range m.status.Relays {
		if r.Connected {
			connected++
		}
		if r.Reserved {
			reserved++
		}
	}
	return connected, reserved
}

func (m *model) relaysText() string {
	if len(m.status.Relays) == 0 {
		return "no relay"
	}
	connected, reserved := m.relayCounts()
	return fmt.Sprintf("relays %d/%d connected, %d reserved", connected, len(m.status.Relays), reserved)
}
