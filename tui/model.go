package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"starling/api"
	"starling/identity"
)

// model is the chat's state. Update runs on the program's goroutine and is
// the only code that changes it; the client calls it makes run in commands
// and come back as messages.
type model struct {
	ctx context.Context
	cfg Config

	status      api.Status
	statusKnown bool
	self        string // this user's fingerprint
	groups      []api.Group
	current     string // group ID; "" when none is joined
	convs       map[string]*conversation
	unread      map[string]int
	// none holds the notes shown while no group is joined.
	none *conversation

	in          input
	notice      string
	noticeIsErr bool
	// streamErr and statusErr say why the event stream or the status
	// calls fail; each clears when its call next succeeds.
	streamErr, statusErr error
	// statusSeq numbers status requests; answers to requests before
	// freshSeq predate a join and would drop the group just joined.
	statusSeq, freshSeq int
	width, height       int
	sidebar             sidebarMode
	quitting, ready     bool
	// inviting is the invite screen, over the chat while it is up.
	inviting *inviteScreen
	// talk: replies, reactions and mentions (talk.go).
	talk talk
	// alerts: pinned organiser alerts (alert.go).
	alerts alerts
}

type sidebarMode int

const (
	sidebarAuto sidebarMode = iota
	sidebarShown
	sidebarHidden
)

func newModel(ctx context.Context, cfg Config, st api.Status, current string) *model {
	m := &model{
		ctx:     ctx,
		cfg:     cfg,
		current: current,
		convs:   map[string]*conversation{},
		unread:  map[string]int{},
		none:    newConversation(""),
	}
	m.setStatus(st)
	if m.current == "" {
		m.note("You have joined no group yet: /join lobby joins the open channel \"lobby\", /group create NAME makes your own, /help lists the commands.")
	}
	return m
}

func (m *model) Init() tea.Cmd {
	if m.current == "" {
		return nil
	}
	return m.loadNewest(m.current)
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.gotAlertMsg(msg) {
		return m, nil
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height, m.ready = msg.Width, msg.Height, true
		m.clampScroll()
	case tea.KeyPressMsg:
		if m.inviting != nil {
			return m, m.inviteKey(msg)
		}
		return m, m.key(msg)
	case tea.PasteMsg:
		// Terminals paste line ends as carriage returns.
		m.in.insert(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(msg.Content))
	case tickMsg:
		return m, m.fetchStatus()
	case statusMsg:
		return m, m.gotStatus(msg)
	case historyMsg:
		return m, m.gotHistory(msg)
	case eventMsg:
		return m, m.gotEvent(msg.ev)
	case streamMsg:
		return m, m.gotStream(msg.err)
	case sentMsg:
		return m, m.gotSent(msg)
	case joinedMsg:
		return m, m.gotJoined(msg)
	case inviteMsg:
		return m, m.gotInvite(msg)
	case blockedMsg:
		return m, m.gotBlocked(msg)
	case reactedMsg:
		m.gotReacted(msg)
	case peopleMsg:
		m.gotPeople(msg)
	}
	return m, nil
}

// say shows an informative notice; fail an error notice.
func (m *model) say(format string, args ...any) {
	m.notice, m.noticeIsErr = fmt.Sprintf(format, args...), false
}

func (m *model) fail(format string, args ...any) {
	m.notice, m.noticeIsErr = fmt.Sprintf(format, args...), true
}

// lost says why the daemon does not answer; nil while it does.
func (m *model) lost() error {
	if m.streamErr != nil {
		return m.streamErr
	}
	return m.statusErr
}

// note adds a local note to the conversation on screen.
func (m *model) note(text string) {
	c := m.cur()
	if c == nil {
		c = m.none
	}
	c.note(m.cfg.Now(), text)
	c.offset = 0
}

// cur is the conversation on screen, nil when no group is joined.
func (m *model) cur() *conversation {
	if m.current == "" {
		return nil
	}
	return m.conv(m.current)
}

func (m *model) conv(groupID string) *conversation {
	c, ok := m.convs[groupID]
	if !ok {
		c = newConversation(groupID)
		m.convs[groupID] = c
	}
	return c
}

func (m *model) group(id string) (api.Group, bool) {
	i := slices.IndexFunc(m.groups, func(g api.Group) bool { return g.ID == id })
	if i < 0 {
		return api.Group{}, false
	}
	return m.groups[i], true
}

// setStatus takes a fresh status; when the group on screen is gone (left
// elsewhere) it moves to the first one.
func (m *model) setStatus(st api.Status) tea.Cmd {
	m.status, m.statusKnown, m.self = st, true, st.Fingerprint
	m.groups = st.Groups
	if _, ok := m.group(m.current); ok {
		return nil
	}
	if m.current != "" {
		m.fail("this node is no longer in the group you were reading")
	}
	m.current = ""
	if len(m.groups) > 0 {
		return m.show(m.groups[0].ID)
	}
	return nil
}

// show puts a group on screen, reading its newest page when it has none
// or missed events.
func (m *model) show(groupID string) tea.Cmd {
	m.current = groupID
	m.unread[groupID] = 0
	c := m.conv(groupID)
	if !c.loaded || c.stale {
		return m.loadNewest(groupID)
	}
	return nil
}

// describe names an author for notices: nickname and short fingerprint.
func describe(a author) string {
	fp := identity.Fingerprint(a.fingerprint).Short()
	if a.nick == "" {
		return fp
	}
	return fmt.Sprintf("%s (%s)", clean(a.nick, true), fp)
}

func nickOr(x api.Message) string {
	if x.Name != "" {
		return x.Name
	}
	return identity.Fingerprint(x.Author).Short()
}
