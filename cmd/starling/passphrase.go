package main

// Passphrases for sealed user keys: where they come from, and how they are
// asked for on a terminal. A passphrase is never logged or printed, and the
// buffers holding one are cleared once the key is sealed or opened.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"starling/identity"
)

const (
	// passphraseEnv holds the passphrase when no --passphrase-file is given.
	passphraseEnv = "STARLING_PASSPHRASE"
	// maxPassphraseLen caps a passphrase in bytes, wherever it comes from.
	maxPassphraseLen = 1024
	// passphraseTries is how often the terminal asks before giving up.
	passphraseTries = 3
)

// errInterrupted ends a prompt on Ctrl-C.
var errInterrupted = errors.New("interrupted")

// addPassphraseFlag gives cmd the --passphrase-file flag, for commands that
// may need the user key.
func (g *globals) addPassphraseFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&g.passphraseFile, "passphrase-file", "",
		"read the user key's passphrase from the first line of `FILE` (else $"+passphraseEnv+", else it is asked for on the terminal)")
}

// loadUser reads the home's user key, saying what to do when there is none,
// and unlocks it when it is sealed.
func (g *globals) loadUser() (*identity.User, error) {
	if err := g.home.Check(); err != nil {
		return nil, err
	}
	path := g.home.UserKey()
	u, err := identity.LoadUser(path)
	if !errors.Is(err, identity.ErrSealed) {
		return u, err
	}
	secret, from, err := g.givenPassphrase()
	if err != nil {
		return nil, err
	}
	if secret != nil {
		defer clear(secret)
		u, err := identity.LoadUserWithPassphrase(path, secret)
		if errors.Is(err, identity.ErrWrongPassphrase) {
			return nil, fmt.Errorf("%w (the passphrase from %s)", err, from)
		}
		return u, err
	}
	if !stdinIsTerminal() {
		return nil, fmt.Errorf("the user key %s is sealed with a passphrase and stdin is not a terminal to ask on; pass --passphrase-file FILE or set %s", path, passphraseEnv)
	}
	return unlockAsking(path, askSecret, os.Stderr)
}

// unlockAsking asks for the passphrase until it opens the key at path, at
// most passphraseTries times.
func unlockAsking(path string, ask func(prompt string) ([]byte, error), out io.Writer) (*identity.User, error) {
	for try := 1; ; try++ {
		secret, err := ask(fmt.Sprintf("Passphrase for %s: ", path))
		if err != nil {
			return nil, err
		}
		u, err := identity.LoadUserWithPassphrase(path, secret)
		clear(secret)
		if !errors.Is(err, identity.ErrWrongPassphrase) || try == passphraseTries {
			return u, err
		}
		fmt.Fprintln(out, "Wrong passphrase; try again.")
	}
}

// newPassphrase returns the passphrase to seal a new key with: from the
// flag or the environment, else asked twice on the terminal.
func (g *globals) newPassphrase() ([]byte, error) {
	secret, _, err := g.givenPassphrase()
	if err != nil || secret != nil {
		return secret, err
	}
	if !stdinIsTerminal() {
		return nil, fmt.Errorf("init --passphrase needs a passphrase and stdin is not a terminal to ask on; pass --passphrase-file FILE or set %s", passphraseEnv)
	}
	return confirmPassphrase(askSecret)
}

// confirmPassphrase asks for a new passphrase twice.
func confirmPassphrase(ask func(prompt string) ([]byte, error)) ([]byte, error) {
	first, err := ask("New passphrase for your user key: ")
	if err != nil {
		return nil, err
	}
	if len(first) == 0 {
		return nil, fmt.Errorf("%w; type one, or run init without --passphrase", identity.ErrEmptyPassphrase)
	}
	again, err := ask("The same passphrase again: ")
	defer clear(again)
	if err != nil {
		clear(first)
		return nil, err
	}
	if !bytes.Equal(first, again) {
		clear(first)
		return nil, errors.New("the two passphrases differ; run init again")
	}
	return first, nil
}

// givenPassphrase returns the passphrase from --passphrase-file, else from
// the environment, and says which; a nil passphrase means neither gave one.
// An empty environment variable counts as unset.
func (g *globals) givenPassphrase() (secret []byte, from string, err error) {
	if g.passphraseFile != "" {
		secret, err := readPassphraseFile(g.passphraseFile)
		return secret, "--passphrase-file " + g.passphraseFile, err
	}
	if v := os.Getenv(passphraseEnv); v != "" {
		if len(v) > maxPassphraseLen {
			return nil, "", fmt.Errorf("$%s is %d bytes, over the limit of %d", passphraseEnv, len(v), maxPassphraseLen)
		}
		return []byte(v), "$" + passphraseEnv, nil
	}
	return nil, "", nil
}

// readPassphraseFile returns the first line of path, without its line end.
// It reads no further than that line, so FILE may be a pipe.
func readPassphraseFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--passphrase-file: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, maxPassphraseLen+2)).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("--passphrase-file: %w", err)
	}
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	switch {
	case len(line) > maxPassphraseLen:
		clear(line)
		return nil, fmt.Errorf("--passphrase-file %s: the first line is over the limit of %d bytes", path, maxPassphraseLen)
	case len(line) == 0:
		return nil, fmt.Errorf("--passphrase-file %s: the first line is empty; write the passphrase on it", path)
	}
	return line, nil
}

func stdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

// askSecret writes prompt on stderr and reads a line from the terminal on
// stdin without echo. Ctrl-C ends it with errInterrupted: main's signal
// handling keeps SIGINT from killing the process, and the terminal's line
// discipline keeps the read going.
func askSecret(prompt string) ([]byte, error) {
	fd := int(os.Stdin.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, fmt.Errorf("read the passphrase: %w", err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)

	fmt.Fprint(os.Stderr, prompt)
	type answer struct {
		secret []byte
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		secret, err := term.ReadPassword(fd)
		done <- answer{secret, err}
	}()
	select {
	case a := <-done:
		fmt.Fprintln(os.Stderr)
		switch {
		case errors.Is(a.err, io.EOF):
			return nil, errors.New("no passphrase given")
		case a.err != nil:
			return nil, fmt.Errorf("read the passphrase: %w", a.err)
		case len(a.secret) > maxPassphraseLen:
			clear(a.secret)
			return nil, fmt.Errorf("the passphrase is over the limit of %d bytes", maxPassphraseLen)
		}
		return a.secret, nil
	case <-sig:
		// The read cannot be cancelled. Turn echo back on and return: the
		// command fails with this error and the process exits, ending the
		// reading goroutine with it.
		term.Restore(fd, state)
		fmt.Fprintln(os.Stderr)
		return nil, errInterrupted
	}
}
