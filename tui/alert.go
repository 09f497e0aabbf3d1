package tui

// Organiser alerts in the chat. An alert (a message of kind "alert", from
// any joined group) is pinned in a banner at the top of the screen, over
// the conversation, until dismissed with /dismiss (or Ctrl-X); the newest
// shows, with how many more wait. The chat acknowledges each alert it
// pins once (this device displayed it), so the organiser's reach counts it.
// Alerts older than alertPinAge when the chat first sees them (history of
// a past day) are not pinned; they stay in the conversation as a line.
// /alert TEXT sends one to the group on screen (owner and admins), and
// /alerts lists the group's alerts with their reach.

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"starling/api"
)

// alertClient is what this file asks of the daemon, beside Client;
// *api.Client has it.
type alertClient interface {
	SendAlert(ctx context.Context, ref, text string) (api.Alert, error)
	Alerts(ctx context.Context, ref string) ([]api.Alert, error)
	AckAlert(ctx context.Context, ref, id string) (api.Alert, error)
}

var _ alertClient = (*api.Client)(nil)

// alertPinAge: an alert older than this when the chat first sees it is
// not pinned.
const alertPinAge = time.Hour

// alerts is the model's alert state.
type alerts struct {
	pinned []api.Message   // oldest first
	seen   map[string]bool // alert IDs pinned or passed over once
	gone   map[string]bool // dismissed
	acked  map[string]bool // acknowledged (or asked to be)
}

type (
	alertAckedMsg struct {
		id  string
		err error
	}
	alertSentMsg struct {
		res api.Alert
		err error
	}
	alertListMsg struct {
		group string
		list  []api.Alert
		err   error
	}
)

var (
	alertStyle     = lipgloss.NewStyle().Foreground(lipgloss.Color("15")).Background(lipgloss.Color("160")).Bold(true)
	alertHintStyle = lipgloss.NewStyle().Foreground(lipgloss.Color("15")).Background(lipgloss.Color("88"))
	// alertTextStyle: an alert's line in the conversation.
	alertTextStyle = lipgloss.NewStyle().Foreground(lipgloss.Color("196")).Bold(true)
)

func (m *model) alertClient() (alertClient, bool) {
	c, ok := m.cfg.Client.(alertClient)
	return c, ok
}

func (m *model) now() time.Time {
	if m.cfg.Now != nil {
		return m.cfg.Now()
	}
	return time.Now()
}

// seeAlert pins x if it is an alert not seen before and recent, and
// returns the command that acknowledges it.
func (m *model) seeAlert(x api.Message) tea.Cmd {
	a := &m.alerts
	if x.Kind != "alert" || a.seen[x.ID] {
		return nil
	}
	if a.seen == nil {
		a.seen, a.gone, a.acked = map[string]bool{}, map[string]bool{}, map[string]bool{}
	}
	a.seen[x.ID] = true
	if m.now().Sub(x.SentAt) > alertPinAge {
		return nil
	}
	a.pinned = append(a.pinned, x)
	return m.ackAlert(x)
}

// ackAlert tells the daemon this device displayed x, once.
func (m *model) ackAlert(x api.Message) tea.Cmd {
	c, ok := m.alertClient()
	if !ok || m.alerts.acked[x.ID] {
		return nil
	}
	m.alerts.acked[x.ID] = true
	ctx, gid, id := m.ctx, x.GroupID, x.ID
	return func() tea.Msg {
		_, err := c.AckAlert(ctx, gid, id)
		return alertAckedMsg{id: id, err: err}
	}
}

// dismissAlert unpins the newest alert; it reports whether there was one.
func (m *model) dismissAlert() bool {
	a := &m.alerts
	if len(a.pinned) == 0 {
		return false
	}
	x := a.pinned[len(a.pinned)-1]
	a.gone[x.ID] = true
	a.pinned = a.pinned[:len(a.pinned)-1]
	if len(a.pinned) > 0 {
		m.say("dismissed; %d more alert(s) pinned", len(a.pinned))
	} else {
		m.say("alert dismissed (it stays in the conversation; /alerts lists them)")
	}
	return true
}

// alertLines is the banner: the newest pinned alert, wrapped, and a line
// saying how to dismiss it.
func (m *model) alertLines() []string {
	a := &m.alerts
	if len(a.pinned) == 0 || m.width < 20 {
		return nil
	}
	x := a.pinned[len(a.pinned)-1]
	g, _ := m.group(x.GroupID)
	who := clean(nickOr(x), true)
	head := fmt.Sprintf(" ⚠ ALERT in #%s from %s at %s: ", clean(g.Name, true), who, m.clock(x.SentAt))
	var out []string
	body := wrap(clean(x.Text, false), max(1, m.width-width(head)), max(1, m.width-3))
	const maxBody = 4
	if len(body) > maxBody {
		body = append(body[:maxBody-1], body[maxBody-1]+" …")
	}
	for i, l := range body {
		if i == 0 {
			out = append(out, alertStyle.Render(fit(head+l, m.width)))
		} else {
			out = append(out, alertStyle.Render(fit("   "+l, m.width)))
		}
	}
	hint := " /dismiss or Ctrl-X dismisses it"
	if more := len(a.pinned) - 1; more > 0 {
		hint += fmt.Sprintf(" (%d more alert(s) pinned)", more)
	}
	out = append(out, alertHintStyle.Render(fit(hint, m.width)))
	return out
}

// alertCommand runs /alert TEXT, /alerts and /dismiss.
func (m *model) alertCommand(name, rest string) tea.Cmd {
	if name == "dismiss" {
		if !m.dismissAlert() {
			m.say("no alert is pinned")
		}
		return nil
	}
	c, ok := m.alertClient()
	if !ok {
		m.fail("this daemon does not do alerts")
		return nil
	}
	if m.current == "" {
		m.fail("you are in no group yet: /join lobby, or /group create NAME")
		return nil
	}
	ctx, gid := m.ctx, m.current
	if name == "alerts" {
		return func() tea.Msg {
			list, err := c.Alerts(ctx, gid)
			return alertListMsg{group: gid, list: list, err: err}
		}
	}
	if strings.TrimSpace(rest) == "" {
		m.fail("usage: /alert TEXT (owner and admins of a created group: every device pins it)")
		return nil
	}
	return func() tea.Msg {
		res, err := c.SendAlert(ctx, gid, rest)
		return alertSentMsg{res: res, err: err}
	}
}

// gotAlertMsg handles the answers of this file; ok says it did.
func (m *model) gotAlertMsg(msg tea.Msg) bool {
	switch msg := msg.(type) {
	case alertAckedMsg:
		if msg.err != nil {
			delete(m.alerts.acked, msg.id) // the next sight tries again
		}
	case alertSentMsg:
		if msg.err != nil {
			m.fail("the alert was not sent: %v", msg.err)
		} else {
			m.say("alert %s sent to %d peers; /alerts shows how many devices it reached", msg.res.ID[:8], msg.res.Peers)
		}
	case alertListMsg:
		switch {
		case msg.err != nil:
			m.fail("could not list the alerts: %v", msg.err)
		case len(msg.list) == 0:
			m.note("No alerts in this group.")
		default:
			var b strings.Builder
			for i, a := range msg.list {
				if i > 0 {
					b.WriteByte('\n')
				}
				fmt.Fprintf(&b, "%s %s: %s\n    %s", m.clock(a.SentAt), clean(a.Name, true), clean(a.Text, true), a.ReachLine())
			}
			m.note(b.String())
		}
	default:
		return false
	}
	return true
}
