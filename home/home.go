// Package home knows the layout of a Starling home directory: where the keys,
// the store and the running daemon's API endpoint live. It opens nothing but
// small files; the packages that own each file read and write it.
package home

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EnvVar names the environment variable that overrides the default home.
const EnvVar = "STARLING_HOME"

// Dir is a Starling home directory.
type Dir string

// Default returns $STARLING_HOME, else $XDG_DATA_HOME/starling, else
// ~/.local/share/starling.
func Default() (Dir, error) {
	if d := os.Getenv(EnvVar); d != "" {
		return Dir(d), nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return Dir(filepath.Join(d, "starling")), nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the home directory (set %s or pass --home): %w", EnvVar, err)
	}
	return Dir(filepath.Join(h, ".local", "share", "starling")), nil
}

// UserKey is the user's Ed25519 key file.
func (d Dir) UserKey() string { return filepath.Join(string(d), "user.key") }

// TransportKey is the libp2p transport key file.
func (d Dir) TransportKey() string { return filepath.Join(string(d), "transport.key") }

// Store is the Badger directory.
func (d Dir) Store() string { return filepath.Join(string(d), "store") }

// APIEndpoint is where a running daemon records its API address and PID.
func (d Dir) APIEndpoint() string { return filepath.Join(string(d), "api.json") }

// APIToken is the 0600 file holding the API's bearer token.
func (d Dir) APIToken() string { return filepath.Join(string(d), "api.token") }

// ErrNotInitialised means the home has no user key yet.
var ErrNotInitialised = errors.New("not initialised")

// Check returns an error that says what to do when d has no user key.
func (d Dir) Check() error {
	_, err := os.Stat(d.UserKey())
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s has no user key", ErrNotInitialised, d)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", d.UserKey(), err)
	}
	return nil
}
