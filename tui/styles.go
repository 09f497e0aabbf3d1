package tui

import (
	"hash/fnv"

	"charm.land/lipgloss/v2"
)

// authorPalette holds 256-colour indices readable on dark and light
// backgrounds; an author keeps one colour for as long as their key.
var authorPalette = []string{"33", "37", "41", "69", "99", "135", "162", "166", "172", "178", "203", "208", "39", "77", "105", "214"}

// authorStyle is the stable colour of an author's key.
func authorStyle(key string) lipgloss.Style {
	h := fnv.New32a()
	h.Write([]byte(key))
	return lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color(authorPalette[h.Sum32()%uint32(len(authorPalette))]))
}

var (
	dimStyle     = lipgloss.NewStyle().Faint(true)
	deletedStyle = lipgloss.NewStyle().Faint(true).Italic(true)
	noteStyle    = lipgloss.NewStyle().Foreground(lipgloss.Color("244"))
	errorStyle   = lipgloss.NewStyle().Foreground(lipgloss.Color("196")).Bold(true)
	warnStyle    = lipgloss.NewStyle().Foreground(lipgloss.Color("0")).Background(lipgloss.Color("214")).Bold(true)
	refusedStyle = lipgloss.NewStyle().Foreground(lipgloss.Color("15")).Background(lipgloss.Color("124")).Bold(true)
	statusStyle  = lipgloss.NewStyle().Reverse(true)
	headerStyle  = lipgloss.NewStyle().Bold(true)
	currentStyle = lipgloss.NewStyle().Reverse(true).Bold(true)
	unreadStyle  = lipgloss.NewStyle().Bold(true)
	promptStyle  = lipgloss.NewStyle().Bold(true)
)
