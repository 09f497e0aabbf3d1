package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
)

// The invite screen. A link drawn inside the chat's panes would be cut by
// the group list's border and the conversation's indent, so that copying
// it with the mouse picks those up too. /invite shows it on a screen of its
// own instead: the link alone, split only at the terminal's width (starling
// join and the web UI ignore the line breaks a copy then holds), and it
// asks the terminal to put it on the clipboard (OSC 52, where the terminal
// allows it).

// inviteScreen is the invite on screen, nil when none is.
type inviteScreen struct {
	group, link string
}

// showInvite puts the invite screen up and copies the link.
func (m *model) showInvite(group, link string) tea.Cmd {
	m.inviting = &inviteScreen{group: group, link: link}
	return tea.SetClipboard(link)
}

// inviteKey handles a key while the invite screen is up: Esc, Enter or q
// close it, Ctrl-C quits.
func (m *model) inviteKey(k tea.KeyPressMsg) tea.Cmd {
	switch k.Keystroke() {
	case "ctrl+c":
		return m.quit()
	case "esc", "enter", "q":
		m.inviting = nil
	}
	return nil
}

// inviteView draws the invite screen: a line on what the link is, a blank
// line, the link in chunks of the terminal's width with nothing else on
// their lines, a blank line and how to close it.
func (m *model) inviteView() tea.View {
	head := wrap("Invite link to #"+clean(m.inviting.group, true)+": whoever has it can join. "+
		"Select all of it to copy it (`starling join` and the web UI ignore the line breaks), "+
		"or run `starling invite "+clean(m.inviting.group, true)+" --qr` for a QR code.", m.width, m.width)
	lines := []string{}
	for _, l := range head {
		lines = append(lines, noteStyle.Render(l))
	}
	lines = append(lines, "")
	for link := m.inviting.link; link != ""; {
		n := min(len(link), m.width)
		lines = append(lines, link[:n])
		link = link[n:]
	}
	lines = append(lines, "", dimStyle.Render(fit("Esc, Enter or q: back to the chat (the link is on the clipboard where the terminal allows it)", m.width)))
	v := tea.NewView(strings.Join(lines, "\n"))
	v.AltScreen = true
	return v
}
