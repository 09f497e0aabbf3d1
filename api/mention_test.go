package api_test

import (
	"errors"
	"strings"
	"testing"

	"starling/api"
)

func TestMentions(t *testing.T) {
	for _, tc := range []struct {
		text, name string
		want       bool
	}{
		{"hi @nora", "nora", true},
		{"hi @Nora!", "nora", true},
		{"@NORA: look", "Nora", true},
		{"hi @noraxx", "nora", false},
		{"hi @nor", "nora", false},
		{"mail nora@example.org", "nora", false},
		{"@nora2 then @nora", "nora", true},
		{"hi @Ana María", "Ana María", true},
		{"hi nora", "nora", false},
		{"hi @", "", false},
	} {
		if got := api.Mentions(tc.text, tc.name); got != tc.want {
			t.Errorf("Mentions(%q, %q) = %v, want %v", tc.text, tc.name, got, tc.want)
		}
	}
}

func TestCompleteMention(t *testing.T) {
	names := []string{"alice", "Alan", "bob", "al", "Bob", "carol"}
	for _, tc := range []struct {
		input, want string
		err         error
		mentions    []string // in the error
	}{
		{"hi @c", "hi @carol ", nil, nil},
		{"hi @B", "hi @bob ", nil, nil}, // bob and Bob are one name
		{"@ali", "@alice ", nil, nil},
		{"hi @al", "hi @al ", nil, nil}, // the exact name wins
		{"hi @a", "hi @a", api.ErrAmbiguousName, []string{"al", "Alan", "alice"}},
		{"hi @z", "hi @z", api.ErrNoName, []string{"@z"}},
		{"hi there", "hi there", api.ErrNoName, nil},
		{"mail me@b", "mail me@b", api.ErrNoName, nil},
		{"hi @bob ", "hi @bob ", api.ErrNoName, nil}, // finished
		{"hi @ali ", "hi @ali ", api.ErrNoName, nil},
	} {
		got, err := api.CompleteMention(tc.input, names)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("CompleteMention(%q) = %q, %v; want %q, %v", tc.input, got, err, tc.want, tc.err)
		}
		for _, m := range tc.mentions {
			if err == nil || !strings.Contains(err.Error(), m) {
				t.Errorf("CompleteMention(%q): error %v does not name %q", tc.input, err, m)
			}
		}
	}
	if m := api.MatchNames(names, "AL"); len(m) != 1 || m[0] != "al" {
		t.Errorf("MatchNames(AL) = %v", m)
	}
}
