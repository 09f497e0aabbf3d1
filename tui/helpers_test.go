package tui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"go.uber.org/goleak"

	"starling/api"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// harness drives a model as the program would, but on the test's
// goroutine: every command runs to completion and its message goes back
// into Update, so a test sees the state after everything settled.
type harness struct {
	t    *testing.T
	m    *model
	fake *fakeClient
	quit bool
}

func newHarness(t *testing.T, fake *fakeClient, group string, w, h int) *harness {
	t.Helper()
	return newHarnessOf(t, fake, fake, group, w, h)
}

// newHarnessOf is newHarness with a client that wraps fake (one that does
// more than fakeClient).
func newHarnessOf(t *testing.T, client Client, fake *fakeClient, group string, w, h int) *harness {
	t.Helper()
	cfg := Config{Client: client, PageSize: 100, Location: time.UTC, Now: func() time.Time { return t0.Add(time.Hour) }}
	if err := cfg.fill(); err != nil {
		t.Fatal(err)
	}
	st, err := fake.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	current := ""
	if group != "" {
		current = groupID(group)
	}
	x := &harness{t: t, m: newModel(t.Context(), cfg, st, current), fake: fake}
	x.run(x.m.Init())
	x.send(tea.WindowSizeMsg{Width: w, Height: h})
	return x
}

// send feeds one message to Update and runs what it asks for.
func (x *harness) send(msg tea.Msg) {
	x.t.Helper()
	_, cmd := x.m.Update(msg)
	x.run(cmd)
}

// run runs a command and feeds its message back, batches included.
func (x *harness) run(cmd tea.Cmd) {
	x.t.Helper()
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.QuitMsg:
		x.quit = true
	case tea.BatchMsg:
		for _, c := range msg {
			x.run(c)
		}
	default:
		x.send(msg)
	}
}

// keyOf builds the key press a terminal would report for a keystroke
// name ("enter", "pgup", "ctrl+c") or a single character.
func keyOf(name string) tea.KeyPressMsg {
	special := map[string]tea.KeyPressMsg{
		"enter":     {Code: tea.KeyEnter},
		"tab":       {Code: tea.KeyTab},
		"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
		"up":        {Code: tea.KeyUp},
		"down":      {Code: tea.KeyDown},
		"left":      {Code: tea.KeyLeft},
		"right":     {Code: tea.KeyRight},
		"pgup":      {Code: tea.KeyPgUp},
		"pgdown":    {Code: tea.KeyPgDown},
		"esc":       {Code: tea.KeyEscape},
		"backspace": {Code: tea.KeyBackspace},
	}
	if k, ok := special[name]; ok {
		return k
	}
	if c, ok := strings.CutPrefix(name, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: rune(c[0]), Mod: tea.ModCtrl}
	}
	r := []rune(name)[0]
	return tea.KeyPressMsg{Code: r, Text: name}
}

func (x *harness) press(names ...string) {
	x.t.Helper()
	for _, n := range names {
		x.send(keyOf(n))
	}
}

// typeText types s one character at a time.
func (x *harness) typeText(s string) {
	x.t.Helper()
	for _, r := range s {
		x.send(keyOf(string(r)))
	}
}

// enter types a line and presses Enter.
func (x *harness) enter(line string) {
	x.t.Helper()
	x.typeText(line)
	x.press("enter")
}

// screen is the view as text, styles stripped, trailing spaces trimmed.
func (x *harness) screen() string {
	var b strings.Builder
	for l := range strings.Lines(ansi.Strip(x.m.View().Content)) {
		b.WriteString(strings.TrimRight(l, " \n") + "\n")
	}
	return b.String()
}

// mustShow fails unless the screen holds every one of want.
func (x *harness) mustShow(want ...string) {
	x.t.Helper()
	s := x.screen()
	for _, w := range want {
		if !strings.Contains(s, w) {
			x.t.Fatalf("the screen does not show %q:\n%s", w, s)
		}
	}
}

// mustMatch fails unless the screen matches the regular expression re.
func (x *harness) mustMatch(re string) {
	x.t.Helper()
	if s := x.screen(); !regexp.MustCompile(re).MatchString(s) {
		x.t.Fatalf("the screen does not match %s:\n%s", re, s)
	}
}

func (x *harness) mustNotShow(unwanted ...string) {
	x.t.Helper()
	s := x.screen()
	for _, w := range unwanted {
		if strings.Contains(s, w) {
			x.t.Fatalf("the screen shows %q:\n%s", w, s)
		}
	}
}

// event feeds one event from the stream.
func (x *harness) event(m api.Message) {
	x.t.Helper()
	x.send(eventMsg{ev: api.Event{Message: &m}})
}

func (x *harness) delivery(d api.Delivery) {
	x.t.Helper()
	x.send(eventMsg{ev: api.Event{Delivery: &d}})
}

// lineOf returns the index of the first screen line holding s, -1 if none.
func lineOf(screen, s string) int {
	for i, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, s) {
			return i
		}
	}
	return -1
}
