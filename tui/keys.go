package tui

import (
	tea "charm.land/bubbletea/v2"
)

// key handles a key press. Special keys are matched by keystroke; anything
// else that carries text (without Ctrl or Alt) is typed into the input.
func (m *model) key(k tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.talkKey(k); ok {
		return cmd
	}
	switch k.Keystroke() {
	case "ctrl+c":
		return m.quit()
	case "ctrl+x":
		if !m.dismissAlert() {
			m.say("no alert is pinned")
		}
	case "ctrl+d":
		if m.in.text == "" {
			return m.quit()
		}
		m.in.del()
	case "enter":
		return m.submit()
	case "up":
		m.in.prev()
	case "down":
		m.in.next()
	case "left":
		m.in.left()
	case "right":
		m.in.right()
	case "home", "ctrl+a":
		m.in.home()
	case "end", "ctrl+e":
		m.in.end()
	case "backspace", "ctrl+h":
		m.in.backspace()
	case "delete":
		m.in.del()
	case "ctrl+u":
		m.in.killLeft()
	case "ctrl+k":
		m.in.killRight()
	case "ctrl+w", "alt+backspace":
		m.in.killWord()
	case "pgup":
		return m.scroll(1)
	case "pgdown":
		m.scroll(-1)
	case "esc":
		if c := m.cur(); c != nil {
			c.offset, c.unseen = 0, 0
		}
	case "tab", "ctrl+n":
		return m.switchGroup(1)
	case "shift+tab", "ctrl+p":
		return m.switchGroup(-1)
	case "ctrl+g", "f2":
		if m.showSidebar() {
			m.sidebar = sidebarHidden
		} else {
			m.sidebar = sidebarShown
		}
		m.clampScroll()
	default:
		if k.Text != "" && k.Mod&(tea.ModCtrl|tea.ModAlt) == 0 {
			m.in.insert(k.Text)
		}
	}
	return nil
}

func (m *model) quit() tea.Cmd {
	m.quitting = true
	return tea.Quit
}

// switchGroup moves to the next (delta 1) or previous (-1) joined group.
func (m *model) switchGroup(delta int) tea.Cmd {
	n := len(m.groups)
	if n == 0 {
		return nil
	}
	i := 0
	for j, g := range m.groups {
		if g.ID == m.current {
			i = (j + delta + n) % n
			break
		}
	}
	return m.show(m.groups[i].ID)
}

// scroll moves the conversation a screen up (pages 1) or down (-1). At the
// top it asks the store for the page before.
func (m *model) scroll(pages int) tea.Cmd {
	c := m.cur()
	if c == nil {
		return nil
	}
	rows := m.convRows()
	step := max(1, rows-1)
	if pages < 0 {
		c.offset = max(0, c.offset-step)
		if c.offset == 0 {
			c.unseen = 0
		}
		return nil
	}
	total := len(m.lines(c, -1))
	c.offset = min(c.offset+step, max(0, total-rows))
	if c.offset+rows >= total {
		return m.loadOlder(c)
	}
	return nil
}

// clampScroll keeps the view inside the conversation after a resize.
func (m *model) clampScroll() {
	c := m.cur()
	if c == nil || c.offset == 0 {
		return
	}
	c.offset = min(c.offset, max(0, len(m.lines(c, -1))-m.convRows()))
}
