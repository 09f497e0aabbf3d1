package main

import (
	"bytes"
	"os"
	"testing"
)

// TestChatRefusals: the chat's mistakes end with one line that says what
// to do. The tests' stdout is a pipe, so chat runs in line mode and needs
// a group.
func TestChatRefusals(t *testing.T) {
	idle := initHome(t, "idle")
	for _, tc := range []struct {
		name string
		args []string
		code int
		hint string
	}{
		{"no group in a pipe", []string{"chat"}, 2, "chat in a pipe or with --plain takes one group name or ID"},
		{"no group with --plain", []string{"chat", "--plain"}, 2, "chat in a pipe or with --plain takes one group name or ID"},
		{"two groups", []string{"chat", "lobby", "party"}, 2, "chat takes at most one group"},
		{"no daemon", []string{"chat", "lobby"}, 1, "chat needs a running node"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkOneLineError(t, idle.in(t).run(tc.args...), tc.code, tc.hint)
		})
	}
}

func TestChatModeNeedsTerminals(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, f := range []any{r, w, &bytes.Buffer{}, nil} {
		if isTerminal(f) {
			t.Errorf("isTerminal(%T) = true", f)
		}
	}
}
