package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"starling/api"
	"starling/identity"
)

// indent is the width of "15:04 ", where continuation lines start when the
// author's name is too long to hang the text from.
const indent = 6

// lines renders a conversation for the main pane, oldest line first. With
// need >= 0 it renders only the newest entries that fill at least need
// lines; with need < 0, everything.
func (m *model) lines(c *conversation, need int) []string {
	w := m.mainWidth()
	shared := c.sharedNicks()
	var blocks [][]string
	n := 0
	for i := len(c.entries) - 1; i >= 0; i-- {
		ls := m.entryLines(c, c.entries[i], shared, w)
		if i == 0 || !m.sameDay(c.entries[i-1], c.entries[i]) {
			day := c.entries[i].msg.SentAt.In(m.cfg.Location).Format("Monday 2 January 2006")
			ls = append([]string{dimStyle.Render(fit("── "+day+" ──", w))}, ls...)
		}
		blocks = append(blocks, ls)
		n += len(ls)
		if need >= 0 && n >= need {
			break
		}
	}
	out := make([]string, 0, n)
	for _, b := range slices.Backward(blocks) {
		out = append(out, b...)
	}
	return out
}

func (m *model) sameDay(a, b *entry) bool {
	ya, ma, da := a.msg.SentAt.In(m.cfg.Location).Date()
	yb, mb, db := b.msg.SentAt.In(m.cfg.Location).Date()
	return ya == yb && ma == mb && da == db
}

// entryLines renders one entry in w cells: the time, the author in their
// colour, the text wrapped under itself, and after it, dimmed, whether it
// arrived late and (for this user's messages) where it went.
func (m *model) entryLines(c *conversation, e *entry, shared map[string]bool, w int) []string {
	at := e.msg.SentAt.In(m.cfg.Location).Format("15:04")
	if e.note != "" {
		var out []string
		for i, l := range wrap(clean(e.note, false), w-indent, w-indent) {
			lead := strings.Repeat(" ", indent)
			if i == 0 {
				lead = dimStyle.Render(at) + " "
			}
			out = append(out, lead+noteStyle.Render(l))
		}
		return out
	}
	x := e.msg
	name := m.displayName(x.Author, x.Name, shared)
	prefix := m.stamp(e, at) + " " + authorStyle(x.AuthorKey).Render(name)
	sep := ": "
	var out []string
	if x.Ref != "" && x.Kind == "text" && e.deletedBy == "" {
		out = append(out, m.replyLine(c, x.Ref, shared, w))
	}
	body, style := m.body(c, e, shared)
	if x.Kind == "ban" || x.Kind == "op" || x.Kind == "profile" || x.Kind == "descriptor" {
		sep = " "
	}
	pw := width(at) + 1 + width(name) + width(sep)
	hang := pw
	if pw > w/3 {
		hang = indent
	}
	wrapped := wrap(body, w-pw, w-hang)
	for i, l := range wrapped {
		if i == 0 {
			out = append(out, prefix+sep+style(l))
			continue
		}
		out = append(out, strings.Repeat(" ", hang)+style(l))
	}
	if tail := m.tail(e); tail != "" {
		last := wrapped[len(wrapped)-1]
		room := w - hang
		if len(wrapped) == 1 {
			room = w - pw
		}
		if width(last)+3+width(tail) <= room {
			out[len(out)-1] += dimStyle.Render(" · " + tail)
		} else {
			out = append(out, strings.Repeat(" ", hang)+dimStyle.Render(tail))
		}
	}
	if r := m.reactionLine(e, w); r != "" {
		out = append(out, r)
	}
	return out
}

// body is what an entry says, cleaned for the terminal, and its style.
func (m *model) body(c *conversation, e *entry, shared map[string]bool) (string, func(...string) string) {
	x := e.msg
	switch {
	case e.deletedBy != "":
		s := "message deleted by " + m.displayName(e.deletedBy, c.authors[e.deletedBy], shared)
		if e.deleteReason != "" {
			s += ": " + clean(e.deleteReason, true)
		}
		return s, deletedStyle.Render
	case x.Unreadable:
		return "(sealed under a key this device does not hold)", deletedStyle.Render
	}
	switch x.Kind {
	case "text":
		return clean(x.Text, false), textStyle(x)
	case "ban":
		s := "banned " + m.displayName(x.Target, c.authors[x.Target], shared)
		if x.Text != "" {
			s += ": " + clean(x.Text, true)
		}
		return s, noteStyle.Render
	case "op":
		s, _ := api.Describe(x, func(fp string) string { return m.displayName(fp, c.authors[fp], shared) })
		return clean(s, true), noteStyle.Render
	case "profile":
		return "now goes by " + clean(x.Name, true), noteStyle.Render
	case "descriptor":
		return "changed the group's settings (" + clean(x.Text, true) + ")", noteStyle.Render
	case "image":
		return imageBody(x), textStyle(api.Message{})
	case "alert":
		return "⚠ sent an ALERT: " + clean(x.Text, false), alertTextStyle.Render
	}
	return "(a " + clean(x.Kind, true) + " message this version does not show)", noteStyle.Render
}

// replyLine quotes the message a reply refers to, when it is held.
func (m *model) replyLine(c *conversation, ref string, shared map[string]bool, w int) string {
	lead := strings.Repeat(" ", indent) + "↱ "
	t, ok := c.byID[ref]
	if !ok {
		return dimStyle.Render(fit(lead+"reply to a message not loaded here", w))
	}
	text := clean(t.msg.Text, true)
	if t.deletedBy != "" {
		text = "(deleted)"
	}
	who := m.displayName(t.msg.Author, t.msg.Name, shared)
	return dimStyle.Render(fit(lead+who+": "+text, w))
}

// tail is the dimmed note after a message: a late arrival and, for this
// user's own messages, where it went.
func (m *model) tail(e *entry) string {
	var parts []string
	if e.msg.Late {
		parts = append(parts, "↳ arrived late")
	}
	if d := e.delivery; d != nil && e.deletedBy == "" {
		parts = append(parts, deliveryText(*d))
	}
	return strings.Join(parts, " · ")
}

// deliveryText says where one of this user's messages is.
func deliveryText(d api.Delivery) string {
	switch d.State {
	case "queued":
		return "queued on this device"
	case "sent":
		return "sent to " + plural(d.Peers, "peer")
	case "relayed":
		s := "held by a relay"
		if d.Relays > 1 {
			s = fmt.Sprintf("held by %d relays", d.Relays)
		}
		if d.Peers > 0 {
			s = "sent to " + plural(d.Peers, "peer") + ", " + s
		}
		return s
	case "refused":
		return "not sent: you can no longer post here"
	}
	return clean(d.State, true)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// displayName is an author's nickname, with a short fingerprint when
// another author of the group uses the same one, or the fingerprint alone
// when they set none.
func (m *model) displayName(fp, nick string, shared map[string]bool) string {
	short := identity.Fingerprint(fp).Short()
	shown := ansi.Truncate(clean(nick, true), maxNick, "…")
	switch {
	case nick == "":
		return short
	case shared[strings.ToLower(nick)]:
		return shown + " (" + short + ")"
	}
	return shown
}

// maxNick is as many cells as a nickname takes on screen.
const maxNick = 24

// clock formats a time for notices.
func (m *model) clock(t time.Time) string { return t.In(m.cfg.Location).Format("15:04") }
