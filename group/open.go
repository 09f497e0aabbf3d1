package group

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"starling/message"
)

// ErrBadName means a channel name breaks the naming rules.
var ErrBadName = errors.New("bad channel name")

// MaxNameLen caps a channel name in bytes.
const MaxNameLen = 64

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// NormalizeName returns the canonical form of an open channel's name: trimmed
// and lower-case, 1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a
// letter or digit. "Lobby" and "lobby" are the same channel.
func NormalizeName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
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
