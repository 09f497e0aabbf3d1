package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"

	"starling/api"
)

// imageClient is what sending a picture asks of the daemon; *api.Client
// satisfies it. A Client without it (a test's fake) cannot send pictures.
type imageClient interface {
	SendImage(ctx context.Context, group string, file []byte, caption, ref string) (api.SendResponse, error)
}

var _ imageClient = (*api.Client)(nil)

// imageBody is a picture's line: its size and the command that saves it.
func imageBody(x api.Message) string {
	s := "▣ picture"
	if im := x.Image; im != nil {
		s += fmt.Sprintf(" %d×%d %s, %s", im.Width, im.Height, strings.ToUpper(im.Format), kb(im.Size))
		switch {
		case im.Broken:
			s += " (damaged: its sender's app is faulty)"
		case im.Held < im.Chunks:
			s += fmt.Sprintf(" (held %d/%d here; saving fetches the rest)", im.Held, im.Chunks)
		}
	}
	if x.Text != "" {
		s += " — " + clean(x.Text, true)
	}
	short := x.ID
	if len(short) > 8 {
		short = short[:8]
	}
	return s + "  save: starling image save " + short
}

func kb(n int) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%d KB", (n+500)/1000)
}

// sendImage is /image PATH [CAPTION]. A path with spaces can be quoted.
func (m *model) sendImage(rest string) tea.Cmd {
	path, caption := splitPath(rest)
	if path == "" {
		m.fail("usage: /image PATH [CAPTION] (a JPEG, PNG or WebP file)")
		return nil
	}
	if m.current == "" {
		m.fail("you are in no group yet: /join lobby, or /group create NAME")
		return nil
	}
	if why := m.refusal(); why != "" {
		m.fail("not sent: %s", why)
		return nil
	}
	ic, ok := m.cfg.Client.(imageClient)
	if !ok {
		m.fail("this chat cannot send pictures; use `starling send GROUP --image FILE`")
		return nil
	}
	if strings.HasPrefix(path, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(h, path[2:])
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		m.fail("not sent: %v", err)
		return nil
	}
	if st.Size() > api.MaxImageUpload {
		m.fail("not sent: %s is over %d MiB", path, api.MaxImageUpload>>20)
		return nil
	}
	m.say("preparing %s…", filepath.Base(path))
	ctx, gid := m.ctx, m.current
	return func() tea.Msg {
		data, err := os.ReadFile(path)
		if err != nil {
			return sentMsg{groupID: gid, err: err}
		}
		res, err := ic.SendImage(ctx, gid, data, caption, "")
		return sentMsg{groupID: gid, res: res, err: err}
	}
}

// splitPath takes the first word of s, or a quoted path, as the path and
// the rest as the caption.
func splitPath(s string) (path, rest string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ""
	}
	if q := s[0]; q == '"' || q == '\'' {
		if end := strings.IndexByte(s[1:], q); end >= 0 {
			return s[1 : 1+end], strings.TrimSpace(s[2+end:])
		}
	}
	path, rest, _ = strings.Cut(s, " ")
	return path, strings.TrimSpace(rest)
}
