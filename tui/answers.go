package tui

// How the daemon's answers and the event stream change the model: each
// handler runs in Update, on the program's goroutine.

import (
	"context"
	"errors"
	"net/http"
	"slices"

	tea "charm.land/bubbletea/v2"

	"starling/api"
)

func (m *model) fetchStatus() tea.Cmd {
	m.statusSeq++
	ctx, client, seq := m.ctx, m.cfg.Client, m.statusSeq
	return func() tea.Msg {
		st, err := client.Status(ctx)
		return statusMsg{seq: seq, st: st, err: err}
	}
}

func (m *model) gotStatus(msg statusMsg) tea.Cmd {
	switch {
	case msg.seq < m.freshSeq:
		return nil
	case msg.err != nil:
		if m.statusErr == nil && !errors.Is(msg.err, context.Canceled) {
			m.fail("lost the daemon: %v; the chat reconnects when it is back, /quit leaves", msg.err)
		}
		m.statusErr = msg.err
		return nil
	}
	m.statusErr = nil
	return m.setStatus(msg.st)
}

func (m *model) loadNewest(groupID string) tea.Cmd {
	return m.loadPage(groupID, "")
}

// loadOlder reads the page before the oldest message held, once at a time.
func (m *model) loadOlder(c *conversation) tea.Cmd {
	if !c.loaded || c.complete || c.loading {
		return nil
	}
	c.loading = true
	return m.loadPage(c.groupID, c.older)
}

func (m *model) loadPage(groupID, cursor string) tea.Cmd {
	ctx, client, n := m.ctx, m.cfg.Client, m.cfg.PageSize
	return func() tea.Msg {
		page, err := client.History(ctx, groupID, n, true, cursor)
		return historyMsg{groupID: groupID, cursor: cursor, page: page, err: err}
	}
}

func (m *model) gotHistory(msg historyMsg) tea.Cmd {
	c := m.conv(msg.groupID)
	if msg.cursor != "" {
		c.loading = false
	}
	if msg.err != nil {
		if !errors.Is(msg.err, context.Canceled) {
			m.fail("could not read the history: %v", msg.err)
		}
		return nil
	}
	if msg.cursor == "" {
		// A newest page that shares nothing with what is held, with more
		// before it: the stream was down long enough to leave a hole.
		if c.loaded && msg.page.Next != "" && len(c.byID) > 0 &&
			!slices.ContainsFunc(msg.page.Messages, func(x api.Message) bool { return c.byID[x.ID] != nil }) {
			c.reset()
		}
		if !c.loaded {
			c.older, c.complete = msg.page.Next, msg.page.Next == ""
		}
		c.loaded, c.stale = true, false
	} else {
		if msg.cursor != c.older {
			return nil // an answer from before a reset
		}
		c.older, c.complete = msg.page.Next, msg.page.Next == ""
	}
	var cmds []tea.Cmd
	for _, x := range msg.page.Messages {
		c.add(x)
		cmds = append(cmds, m.seeAlert(x))
	}
	// A page of control messages shows nothing: go on until there is
	// something to show or nothing more.
	if len(c.byID) == 0 && !c.complete {
		cmds = append(cmds, m.loadOlder(c))
	}
	return tea.Batch(cmds...)
}

func (m *model) gotEvent(ev api.Event) tea.Cmd {
	if ev.Reactions != nil {
		m.gotReactions(*ev.Reactions)
		return nil
	}
	if d := ev.Delivery; d != nil {
		if c, ok := m.convs[d.GroupID]; ok && c.loaded {
			c.deliver(*d)
		}
		return nil
	}
	if ev.Message == nil {
		return nil
	}
	x := *ev.Message
	if _, ok := m.group(x.GroupID); !ok {
		return m.fetchStatus() // a group joined elsewhere
	}
	if x.Kind == "alert" {
		ack := m.seeAlert(x)
		return tea.Batch(ack, m.gotMessage(x))
	}
	return m.gotMessage(x)
}

// gotMessage takes a message from the stream into its conversation.
func (m *model) gotMessage(x api.Message) tea.Cmd {
	counts := x.Kind == "text" && x.Author != m.self
	c := m.convs[x.GroupID]
	if c == nil || !c.loaded {
		if counts {
			m.unread[x.GroupID]++
		}
		return nil
	}
	e, isNew, inMiddle := c.add(x)
	if !isNew {
		return nil
	}
	if x.GroupID != m.current {
		if counts {
			m.unread[x.GroupID]++
		}
		return nil
	}
	switch {
	case inMiddle:
		if x.Late {
			m.say("a late arrival from %s, written at %s, sits earlier in the conversation (PgUp)",
				clean(nickOr(x), true), m.clock(x.SentAt))
		}
	case c.offset > 0:
		// Keep the lines on screen where they are.
		c.offset += len(m.entryLines(c, e, c.sharedNicks(), m.mainWidth()))
		c.unseen++
	}
	return nil
}

func (m *model) gotStream(err error) tea.Cmd {
	switch {
	case err == nil:
		if m.streamErr != nil {
			m.streamErr = nil
			m.say("reconnected to the daemon")
		}
		// Whatever happened while the stream was down is in the store.
		for id, c := range m.convs {
			if id != m.current && c.loaded {
				c.stale = true
			}
		}
		cmds := []tea.Cmd{m.fetchStatus()}
		if m.current != "" {
			cmds = append(cmds, m.loadNewest(m.current))
		}
		return tea.Batch(cmds...)
	case errors.Is(err, api.ErrStreamEnded):
		m.say("the daemon restarted the event stream (%v); catching up", err)
	default:
		if m.streamErr == nil {
			m.fail("lost the daemon: %v; the chat reconnects when it is back, /quit leaves", err)
		}
		m.streamErr = err
	}
	return nil
}

// sentDelivery is what a send's answer says of where the message went.
func sentDelivery(res api.SendResponse) api.Delivery {
	if res.Message.Delivery != nil {
		return *res.Message.Delivery
	}
	d := api.Delivery{ID: res.Message.ID, GroupID: res.Message.GroupID, State: "sent", Peers: res.Peers}
	if res.Queued {
		d.State = "queued"
	}
	return d
}

func (m *model) gotSent(msg sentMsg) tea.Cmd {
	if msg.err != nil {
		m.fail("not sent: %v", msg.err)
		if m.in.text == "" {
			m.in.set(msg.text) // nothing typed since: give the text back
		}
		// The daemon may know something of this user's standing that the
		// last status did not say yet: the banner should show it.
		var apiErr *api.APIError
		if errors.As(msg.err, &apiErr) && apiErr.Status == http.StatusForbidden {
			return m.fetchStatus()
		}
		return nil
	}
	c := m.conv(msg.groupID)
	if !c.loaded {
		return nil
	}
	e, _, _ := c.add(msg.res.Message)
	if e != nil {
		e.setDelivery(sentDelivery(msg.res))
	}
	if msg.groupID == m.current {
		c.offset, c.unseen = 0, 0
	}
	return nil
}

func (m *model) gotJoined(msg joinedMsg) tea.Cmd {
	if msg.err != nil {
		m.fail("%v", msg.err)
		return nil
	}
	if _, ok := m.group(msg.id); !ok {
		m.groups = append(m.groups, api.Group{ID: msg.id, Name: msg.name})
	}
	m.say("you are in #%s now; /invite shows a link for others", clean(msg.name, true))
	m.freshSeq = m.statusSeq + 1
	return tea.Batch(m.show(msg.id), m.fetchStatus())
}

func (m *model) gotInvite(msg inviteMsg) tea.Cmd {
	if msg.err != nil {
		m.fail("no invite link: %v", msg.err)
		return nil
	}
	g, _ := m.group(msg.groupID)
	return m.showInvite(g.Name, msg.link)
}

func (m *model) gotBlocked(msg blockedMsg) tea.Cmd {
	who := describe(msg.who)
	if msg.err != nil {
		m.fail("could not change %s: %v", who, msg.err)
		return nil
	}
	switch msg.mode {
	case "":
		m.say("unblocked %s; their messages show again", who)
		// The daemon shows their messages again: read the pages anew.
		for _, c := range m.convs {
			c.stale = c.loaded
		}
		if c := m.cur(); c != nil {
			c.reset()
			return m.loadNewest(c.groupID)
		}
	default:
		hidden := 0
		for _, c := range m.convs {
			hidden += c.hide(msg.who.fingerprint)
		}
		verb := map[string]string{"block": "blocked", "mute": "muted"}[msg.mode]
		m.say("%s %s: this device hides their messages (%d on screen went); /unblock lifts it", verb, who, hidden)
	}
	return nil
}
