package tui

import (
	"fmt"
	"maps"
	"strings"

	tea "charm.land/bubbletea/v2"

	"starling/identity"
)

const helpText = `Type a message and press Enter to send it to the group on screen.
/join LINK-or-NAME       join a group by invite link, or an open channel by name
/invite                  show an invite link to this group
/group create NAME [open|private|announce]   create a group you own
/block NAME, /mute NAME  hide someone's messages on this device (NAME: nickname or fingerprint)
/unblock NAME            lift a block or mute
/image PATH [CAPTION]    send a picture (JPEG, PNG, WebP); save one with the command on its line
/reply, /react EMOJI     answer or react to the newest message (Alt-Up picks another); /unreact; @na+Tab: a name
/alert TEXT, /alerts     send an organiser alert (owner, admins); list alerts and their reach; /dismiss (Ctrl-X)
/help                    this text;  /quit (or Ctrl-C) leaves
Keys: Tab / Ctrl-N and Shift-Tab / Ctrl-P switch groups, PgUp/PgDn scroll (older history loads at the top),
Esc jumps to the newest, Up/Down recall what you typed, Ctrl-G shows or hides the group list.
A line starting with // is sent with one / (to say "/join" without joining).`

// submit sends the input line, or runs it when it is a command.
func (m *model) submit() tea.Cmd {
	line := m.in.text
	if strings.TrimSpace(line) == "" {
		m.in.set("")
		return nil
	}
	m.in.take()
	m.notice = ""
	if strings.HasPrefix(line, "/") && !strings.HasPrefix(line, "//") {
		return m.command(line)
	}
	return m.send(strings.TrimPrefix(line, "/"))
}

func (m *model) send(text string) tea.Cmd {
	if m.current == "" {
		m.fail("you are in no group yet: /join lobby, or /group create NAME")
		m.in.set(text)
		return nil
	}
	if !m.sendable(text) {
		return nil
	}
	ctx, client, gid := m.ctx, m.cfg.Client, m.current
	return func() tea.Msg {
		res, err := client.Send(ctx, gid, text)
		return sentMsg{groupID: gid, text: text, res: res, err: err}
	}
}

// command runs a /command line.
func (m *model) command(line string) tea.Cmd {
	name, rest, _ := strings.Cut(strings.TrimSpace(line[1:]), " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(name) {
	case "quit", "exit", "q":
		return m.quit()
	case "help", "?":
		m.note(helpText)
	case "join":
		if rest == "" {
			m.fail("usage: /join LINK-or-NAME (an invite link, or the name of an open channel such as lobby)")
			return nil
		}
		return m.join(rest)
	case "invite":
		return m.invite()
	case "group":
		sub, args, _ := strings.Cut(rest, " ")
		if sub != "create" {
			m.fail("usage: /group create NAME [open|private|announce]; for other changes run `starling group --help` in a shell")
			return nil
		}
		name, kind, err := parseCreate(args)
		if err != nil {
			m.fail("%v", err)
			return nil
		}
		return m.create(name, kind)
	case "block", "mute", "unblock":
		return m.block(strings.ToLower(name), rest)
	case "image":
		return m.sendImage(rest)
	case "reply", "react", "unreact":
		return m.talkCommand(strings.ToLower(name), rest)
	case "alert", "alerts", "dismiss":
		return m.alertCommand(strings.ToLower(name), rest)
	default:
		m.fail("unknown command /%s; /help lists the commands (start a line with // to send it as text)", clean(name, true))
	}
	return nil
}

// parseCreate reads "NAME [open|private|announce]"; the name may have
// spaces, and the kind (with or without leading dashes) defaults to open.
func parseCreate(args string) (name, kind string, err error) {
	args = strings.TrimSpace(args)
	kind = "open"
	if f := strings.Fields(args); len(f) > 1 {
		switch k := strings.TrimLeft(strings.ToLower(f[len(f)-1]), "-"); k {
		case "open", "private", "announce":
			kind = k
			args = strings.TrimSpace(args[:strings.LastIndex(args, f[len(f)-1])])
		}
	}
	if args == "" {
		return "", "", fmt.Errorf("usage: /group create NAME [open|private|announce]")
	}
	return args, kind, nil
}

func (m *model) join(ref string) tea.Cmd {
	ctx, client := m.ctx, m.cfg.Client
	return func() tea.Msg {
		g, err := client.Join(ctx, ref)
		return joinedMsg{id: g.ID, name: g.Name, err: err}
	}
}

func (m *model) create(name, kind string) tea.Cmd {
	ctx, client := m.ctx, m.cfg.Client
	return func() tea.Msg {
		d, err := client.CreateGroup(ctx, name, kind, nil)
		return joinedMsg{id: d.ID, name: d.Name, err: err}
	}
}

func (m *model) invite() tea.Cmd {
	if m.current == "" {
		m.fail("you are in no group yet; /join or /group create one first")
		return nil
	}
	ctx, client, gid := m.ctx, m.cfg.Client, m.current
	return func() tea.Msg {
		link, err := client.Invite(ctx, gid, nil)
		return inviteMsg{groupID: gid, link: link, err: err}
	}
}

// block resolves NAME among the authors seen in the group on screen (for
// unblock: in any group, since a blocked author's messages no longer show)
// and asks the daemon to block, mute or lift that.
func (m *model) block(verb, name string) tea.Cmd {
	if name == "" {
		m.fail("usage: /%s NAME (a nickname or fingerprint)", verb)
		return nil
	}
	mode := map[string]string{"block": "block", "mute": "mute", "unblock": ""}[verb]
	who, err := m.resolve(verb, name)
	if err != nil {
		m.fail("%v", err)
		return nil
	}
	ctx, client := m.ctx, m.cfg.Client
	return func() tea.Msg {
		err := client.Block(ctx, who.fingerprint, mode)
		return blockedMsg{who: who, mode: mode, err: err}
	}
}

func (m *model) resolve(verb, name string) (author, error) {
	authors := map[string]string{}
	where := "in any group here"
	if verb == "unblock" {
		for _, c := range m.convs {
			maps.Copy(authors, c.authors)
		}
	} else if c := m.cur(); c != nil {
		authors = c.authors
		g, _ := m.group(c.groupID)
		where = "in #" + clean(g.Name, true)
	}
	found := findAuthors(authors, name)
	if len(found) == 0 {
		if fp, err := identity.ParseFingerprint(name); err == nil {
			return author{fingerprint: string(fp)}, nil
		}
		return author{}, fmt.Errorf("nobody called %q has written %s; use their fingerprint (`starling whois` shows who is who)", clean(name, true), where)
	}
	if len(found) > 1 {
		var names []string
		for _, a := range found {
			names = append(names, describe(a))
		}
		return author{}, fmt.Errorf("%d people %s match %q: %s; use /%s with the fingerprint", len(found), where, clean(name, true), strings.Join(names, ", "), verb)
	}
	if found[0].fingerprint == m.self {
		return author{}, fmt.Errorf("%q is you", clean(name, true))
	}
	return found[0], nil
}
