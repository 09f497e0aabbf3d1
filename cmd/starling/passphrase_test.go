package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"starling/home"
	"starling/identity"
)

const (
	rightPassphrase = "a long passphrase nobody guesses"
	wrongPassphrase = "a long passphrase somebody tried"
)

// writePassphrase writes a passphrase file and returns its path.
func writePassphrase(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "passphrase")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// noSecretIn fails the test if a command printed the passphrase.
func noSecretIn(t *testing.T, r result) {
	t.Helper()
	for _, p := range []string{rightPassphrase, wrongPassphrase} {
		if strings.Contains(r.stdout+r.stderr, p) {
			t.Errorf("the passphrase was printed:\n%s", r)
		}
	}
}

// TestBinaryPassphrase runs a sealed key through init, offline send and up
// with the passphrase from the environment, from a file, and from nowhere.
func TestBinaryPassphrase(t *testing.T) {
	h := newHome(t)
	keyFile := home.Dir(h.dir).UserKey()
	right := writePassphrase(t, rightPassphrase+"\n")
	wrong := writePassphrase(t, wrongPassphrase+"\r\nsecond line\n")
	t.Setenv(passphraseEnv, "")

	t.Run("init without a passphrase source", func(t *testing.T) {
		r := h.in(t).run("init", "--name", "ada", "--passphrase")
		checkOneLineError(t, r, 1, "stdin is not a terminal to ask on; pass --passphrase-file FILE or set STARLING_PASSPHRASE")
		if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed init left a key file (stat: %v)", err)
		}
	})
	t.Run("init with an empty passphrase file", func(t *testing.T) {
		r := h.in(t).run("init", "--name", "ada", "--passphrase-file", writePassphrase(t, "\nsecret on line two\n"))
		checkOneLineError(t, r, 1, "the first line is empty")
	})

	t.Setenv(passphraseEnv, rightPassphrase)
	r := h.ok("init", "--name", "ada", "--passphrase")
	noSecretIn(t, r)
	if !strings.HasPrefix(r.stdout, "ada\nfingerprint ") || !strings.Contains(r.stdout, "sealed with your passphrase") {
		t.Fatalf("init --passphrase printed:\n%s", r)
	}
	if sealed, err := identity.IsSealed(keyFile); err != nil || !sealed {
		t.Fatalf("IsSealed(%s) = %v, %v; want a sealed key", keyFile, sealed, err)
	}
	want, err := identity.LoadUserWithPassphrase(keyFile, []byte(rightPassphrase))
	if err != nil {
		t.Fatalf("the key init sealed does not open with its passphrase: %v", err)
	}
	checkOneLineError(t, h.run("init", "--name", "again"), 1, "is already initialised (its key is sealed with a passphrase)")

	h.ok("join", "lobby") // needs no key
	for _, tc := range []struct {
		name, env string
		args      []string
		hint      string
	}{
		{"send, nothing given", "", []string{"send", "lobby", "hi"}, "the user key " + keyFile + " is sealed with a passphrase and stdin is not a terminal to ask on; pass --passphrase-file FILE or set STARLING_PASSPHRASE"},
		{"up, nothing given", "", []string{"up", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"}, "pass --passphrase-file FILE or set STARLING_PASSPHRASE"},
		{"send, wrong env", wrongPassphrase, []string{"send", "lobby", "hi"}, "wrong passphrase for " + keyFile + " (the passphrase from $STARLING_PASSPHRASE)"},
		{"send, wrong file", "", []string{"send", "lobby", "hi", "--passphrase-file", wrong}, "wrong passphrase for " + keyFile + " (the passphrase from --passphrase-file " + wrong + ")"},
		{"wrong file beats right env", rightPassphrase, []string{"send", "lobby", "hi", "--passphrase-file", wrong}, "wrong passphrase for " + keyFile},
		{"up, wrong env", wrongPassphrase, []string{"up", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"}, "wrong passphrase for " + keyFile},
		{"up, wrong file", "", []string{"up", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0", "--passphrase-file", wrong}, "wrong passphrase for " + keyFile},
		{"missing file", rightPassphrase, []string{"send", "lobby", "hi", "--passphrase-file", wrong + ".none"}, "--passphrase-file: open " + wrong + ".none: no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(passphraseEnv, tc.env)
			r := h.in(t).run(tc.args...)
			checkOneLineError(t, r, 1, tc.hint)
			noSecretIn(t, r)
		})
	}

	// The right passphrase, from the environment and from a file.
	t.Setenv(passphraseEnv, rightPassphrase)
	offline, queued := h.send("lobby", "queued with the passphrase from the environment")
	if !queued {
		t.Fatal("send with no daemon did not queue")
	}
	t.Setenv(passphraseEnv, "")
	d, id := h.up("--listen", "/ip4/127.0.0.1/tcp/0", "--passphrase-file", right)
	if id.Fingerprint != string(want.Fingerprint()) && id.Fingerprint != want.Fingerprint().Pretty() {
		t.Errorf("the daemon runs as %q, want the sealed key %s", id.Fingerprint, want.Fingerprint())
	}
	online, _ := h.send("lobby", "sent through the daemon, which holds the key")
	checkLog(t, h, offline, online)
	if strings.Contains(d.log(), rightPassphrase) {
		t.Errorf("the daemon logged the passphrase:\n%s", d.log())
	}
	d.stop()
}

func TestReadPassphraseFile(t *testing.T) {
	for _, tc := range []struct{ content, want string }{
		{"secret\n", "secret"},
		{"secret\r\n", "secret"},
		{"secret", "secret"},
		{"  spaced secret \t\nline two\n", "  spaced secret \t"},
		{strings.Repeat("x", maxPassphraseLen) + "\n", strings.Repeat("x", maxPassphraseLen)},
	} {
		got, err := readPassphraseFile(writePassphrase(t, tc.content))
		if err != nil || string(got) != tc.want {
			t.Errorf("readPassphraseFile(%q) = %q, %v; want %q", tc.content, got, err, tc.want)
		}
	}
	for _, content := range []string{"", "\n", "\r\n", "\nsecret\n", strings.Repeat("x", maxPassphraseLen+1)} {
		if got, err := readPassphraseFile(writePassphrase(t, content)); err == nil {
			t.Errorf("readPassphraseFile(%q) = %q, want an error", content, got)
		}
	}
}

// asker answers prompts from a script and counts them.
type asker struct {
	answers []string
	asked   int
}

func (a *asker) ask(prompt string) ([]byte, error) {
	if a.asked == len(a.answers) {
		return nil, errors.New("no passphrase given")
	}
	a.asked++
	return []byte(a.answers[a.asked-1]), nil
}

func TestConfirmPassphrase(t *testing.T) {
	for _, tc := range []struct {
		answers []string
		want    string // "" for an error
	}{
		{[]string{"secret", "secret"}, "secret"},
		{[]string{"secret", "Secret"}, ""},
		{[]string{"secret", ""}, ""},
		{[]string{"", ""}, ""},
		{[]string{"secret"}, ""},
		{nil, ""},
	} {
		a := &asker{answers: tc.answers}
		got, err := confirmPassphrase(a.ask)
		if string(got) != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("answers %q: got %q, %v; want %q", tc.answers, got, err, tc.want)
		}
	}
}

// cheapSealedKey is a key sealed with the passphrase "right" at argon2id
// costs far below the defaults (1 pass, 64 KiB), so that tests that open it
// many times stay fast, also under the race detector. The same key's
// fingerprint is cheapSealedFingerprint.
const (
	cheapSealedKey = `{"version": 2, "name": "ada", "sealed": {"kdf": "argon2id", "time": 1, "memory_kib": 64, "threads": 1,
  "salt": "+pwd/DQk7LKNtXQiP+Ru7A==", "nonce": "6k6j9JlTlpjW65BbNLQBfeakdRmiuxEg",
  "ciphertext": "4m/8InWxcwnHY83Qdb2+W+d786CGbSe9EmQ9qWhiTGOTHuZJwR/5kK6+o7inQipg"}}`
	cheapSealedFingerprint = "6dhlwgztjchr37gigv7t7h22zgietotl"
)

func TestUnlockAsking(t *testing.T) {
	path := filepath.Join(t.TempDir(), "user.key")
	if err := os.WriteFile(path, []byte(cheapSealedKey), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		answers []string
		asked   int
		wantKey bool
		wantErr error // with wantKey false: nil for any error
	}{
		{[]string{"right"}, 1, true, nil},
		{[]string{"wrong", "", "right"}, 3, true, nil},
		{[]string{"wrong", "wrong", "wrong", "right"}, passphraseTries, false, identity.ErrWrongPassphrase},
		{[]string{"wrong"}, 1, false, nil}, // the terminal gave no more
	} {
		a := &asker{answers: tc.answers}
		var out strings.Builder
		got, err := unlockAsking(path, a.ask, &out)
		if a.asked != tc.asked {
			t.Errorf("answers %q: asked %d times, want %d", tc.answers, a.asked, tc.asked)
		}
		switch {
		case tc.wantKey && (err != nil || got.Fingerprint() != cheapSealedFingerprint):
			t.Errorf("answers %q: %v, %v; want the key", tc.answers, got, err)
		case !tc.wantKey && (err == nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr)):
			t.Errorf("answers %q: %v, %v; want an error (%v)", tc.answers, got, err, tc.wantErr)
		}
		if strings.Contains(out.String(), "right") || strings.Contains(out.String(), "wrong\n") {
			t.Errorf("a passphrase was echoed: %q", out.String())
		}
	}
}
