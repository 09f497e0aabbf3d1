package group_test

import (
	"errors"
	"strings"
	"testing"

	"starling/group"
	"starling/message"
)

func TestNormalizeName(t *testing.T) {
	max := strings.Repeat("a", group.MaxNameLen)
	tests := []struct {
		in, want string
	}{
		{"lobby", "lobby"},
		{"Lobby", "lobby"},
		{"LOBBY", "lobby"},
		{"  lobby  ", "lobby"},
		{"\tLobby\r\n", "lobby"},
		{"a", "a"},
		{"0day", "0day"},
		{"Rust-Lang", "rust-lang"},
		{"go.dev", "go.dev"},
		{"after_party", "after_party"},
		{"a-._z", "a-._z"},
		{"x--", "x--"},
		{max, max},
		{" " + strings.ToUpper(max) + " ", max},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := group.NormalizeName(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("NormalizeName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			again, err := group.NormalizeName(got)
			if err != nil || again != got {
				t.Errorf("NormalizeName is not idempotent: %q -> %q, %v", got, again, err)
			}
		})
	}
}

func TestNormalizeNameRefuses(t *testing.T) {
	for _, in := range []string{
		"",
		"   ",
		"-lobby",
		".lobby",
		"_lobby",
		"lob by",
		"lobby!",
		"lobby/x",
		"#lobby",
		"lob\x00by",
		"lobby\n2",
		strings.Repeat("a", group.MaxNameLen+1),
		"lobb\u00fd",                     // ý
		"lobby\u0301",                    // combining acute
		"lobby\u200b",                    // zero-width space, not trimmed
		"\u200blobby",                    //
		"l\u043ebby",                     // Cyrillic o
		"\uff4c\uff4f\uff42\uff42\uff59", // full-width
		"\u212Aafe",                      // Kelvin sign, which strings.ToLower makes 'k'
		strings.Repeat("\u212A", group.MaxNameLen),
		"\u0130stanbul", // İ
		"\U0001F389",
		"lobby\xff",
	} {
		t.Run(in, func(t *testing.T) {
			got, err := group.NormalizeName(in)
			if !errors.Is(err, group.ErrBadName) {
				t.Errorf("NormalizeName(%q) = %q, %v; want %v", in, got, err, group.ErrBadName)
			}
			if _, _, err := group.OpenChannelID(in); !errors.Is(err, group.ErrBadName) {
				t.Errorf("OpenChannelID(%q): %v, want %v", in, err, group.ErrBadName)
			}
		})
	}
}

// goldenLobby is SHA-256 of "starling/open-channel/v1\x00lobby", computed apart
// from this code. Everyone who types "lobby" must meet here, in every version.
const goldenLobby = "5d13f91221b7caccaf33c7c0bbf6fe7f8e6212dd0621c88d9884245aae738f64"

func TestOpenChannelID(t *testing.T) {
	for _, name := range []string{"lobby", "Lobby", " LOBBY\n"} {
		id, n, err := group.OpenChannelID(name)
		if err != nil {
			t.Fatalf("OpenChannelID(%q): %v", name, err)
		}
		if id.String() != goldenLobby || n != "lobby" {
			t.Errorf("OpenChannelID(%q) = %s, %q; want %s, \"lobby\"", name, id, n, goldenLobby)
		}
	}

	seen := map[message.GroupID]string{}
	for _, name := range []string{"lobby", "lobby2", "lobb", "stage", "a", "a.", "a-", "a_"} {
		id, _, err := group.OpenChannelID(name)
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := seen[id]; ok {
			t.Errorf("%q and %q share the group ID %s", prev, name, id)
		}
		seen[id] = name
	}
}
