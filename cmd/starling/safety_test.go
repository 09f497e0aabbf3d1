package main

import (
	"strings"
	"testing"

	"starling/home"
	"starling/identity"
)

// TestBinarySafetySealedKey: `id --safety` reads the user key, so a sealed
// one needs its passphrase, from --passphrase-file like every command that
// reads the key, or from the environment.
func TestBinarySafetySealedKey(t *testing.T) {
	t.Setenv(passphraseEnv, rightPassphrase)
	h := newHome(t)
	h.ok("init", "--name", "ada", "--passphrase")
	u, err := identity.LoadUserWithPassphrase(home.Dir(h.dir).UserKey(), []byte(rightPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	want := "your safety code: " + u.SafetyCode() + "\n"

	firstLine := func(args ...string) string {
		t.Helper()
		r := h.ok(args...)
		noSecretIn(t, r)
		line, _, _ := strings.Cut(r.stdout, "\n")
		return line + "\n"
	}
	if got := firstLine("id", "--safety"); got != want {
		t.Errorf("id --safety with the passphrase in the environment printed %q first, want %q", got, want)
	}
	t.Setenv(passphraseEnv, "")
	if got := firstLine("id", "--safety", "--passphrase-file", writePassphrase(t, rightPassphrase+"\n")); got != want {
		t.Errorf("id --safety --passphrase-file printed %q first, want %q", got, want)
	}
	keyFile := home.Dir(h.dir).UserKey()
	wrong := writePassphrase(t, wrongPassphrase+"\n")
	for _, tc := range []struct {
		name string
		args []string
		hint string
	}{
		{"nothing given", []string{"id", "--safety"}, "is sealed with a passphrase and stdin is not a terminal to ask on; pass --passphrase-file FILE"},
		{"wrong file", []string{"id", "--safety", "--passphrase-file", wrong}, "wrong passphrase for " + keyFile + " (the passphrase from --passphrase-file " + wrong + ")"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.in(t).run(tc.args...)
			checkOneLineError(t, r, 1, tc.hint)
			noSecretIn(t, r)
		})
	}
}
