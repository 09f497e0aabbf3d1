package group

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"starling/message"
)

// Sentinel errors.
var (
	// ErrBadName means a channel name breaks the naming rules.
	ErrBadName = errors.New("bad channel name")
	// ErrNotJoined means a command names a group this node has not joined.
	// A NotJoinedError wraps it when the name is an open channel's or a
	// left group's.
	ErrNotJoined = errors.New("group not joined")
)

// MaxNameLen caps a channel name in bytes.
const MaxNameLen = 64

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// NormalizeName returns the canonical form of an open channel's name: trimmed
// and lower-case, 1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a
// letter or digit. "Lobby" and "lobby" are the same channel.
func NormalizeName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if isASCII(n) {
		// Lower-case ASCII only: strings.ToLower maps a few other runes to
		// ASCII (the Kelvin sign U+212A becomes 'k'), which would let a
		// lookalike name through the pattern below. Non-ASCII fails it.
		n = strings.ToLower(n)
	}
	switch {
	case n == "":
		return "", fmt.Errorf("%w: empty", ErrBadName)
	case len(n) > MaxNameLen:
		return "", fmt.Errorf("%w: %q is longer than %d bytes", ErrBadName, name, MaxNameLen)
	case !nameRE.MatchString(n):
		return "", fmt.Errorf("%w: %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", ErrBadName, name)
	}
	return n, nil
}

// OpenChannelID returns the group ID of the open channel with the given name
// (normalised first).
func OpenChannelID(name string) (message.GroupID, string, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return message.GroupID{}, "", err
	}
	return message.GroupID(sha256.Sum256([]byte("starling/open-channel/v1\x00" + n))), n, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// NotJoinedError says that a group a command names is not joined: an open
// channel (Channel), or a group this user has left (Left): its caller can
// tell the person how to join it.
type NotJoinedError struct {
	Channel string // the channel's normalised name, if the command named one
	// Left is the name of the group this user left that the command names,
	// and Rejoin what `starling join` takes to join that group again: the
	// channel's name, or the group's ID.
	Left, Rejoin string
}

func (e *NotJoinedError) Error() string {
	if e.Left != "" {
		return ErrNotJoined.Error() + ": you left " + e.Left
	}
	return ErrNotJoined.Error() + ": channel " + e.Channel
}

// Unwrap makes errors.Is(err, ErrNotJoined) hold.
func (e *NotJoinedError) Unwrap() error { return ErrNotJoined }
