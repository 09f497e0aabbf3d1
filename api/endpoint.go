package api

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"starling/home"
)

// Endpoint is what a running daemon records in its home so that clients can
// find it.
type Endpoint struct {
	Addr    string    `json:"addr"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// Sentinel errors of Dial.
var (
	// ErrNoDaemon: no daemon has recorded an endpoint in this home.
	ErrNoDaemon = errors.New("no daemon is running")
	// ErrDaemonGone: an endpoint is recorded but its process is gone.
	ErrDaemonGone = errors.New("the daemon is not running")
)

// NewToken returns a fresh random API token.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Publish records a daemon's endpoint and token in home, both 0600, each
// written whole (temporary file and rename) so a client never reads half.
func Publish(dir home.Dir, ep Endpoint, token string) error {
	b, err := json.Marshal(ep)
	if err != nil {
		return err
	}
	if err := home.WritePrivate(dir.APIToken(), []byte(token+"\n")); err != nil {
		return fmt.Errorf("write API token: %w", err)
	}
	if err := home.WritePrivate(dir.APIEndpoint(), append(b, '\n')); err != nil {
		return fmt.Errorf("write API endpoint: %w", err)
	}
	return nil
}

// Unpublish removes the endpoint and token if they are still this
// process's.
func Unpublish(dir home.Dir) {
	if ep, err := readEndpoint(dir); err == nil && ep.PID == os.Getpid() {
		os.Remove(dir.APIEndpoint())
		os.Remove(dir.APIToken())
	}
}

func readEndpoint(dir home.Dir) (Endpoint, error) {
	b, err := os.ReadFile(dir.APIEndpoint())
	if errors.Is(err, fs.ErrNotExist) {
		return Endpoint{}, fmt.Errorf("%w for %s; start one with `starling up`", ErrNoDaemon, dir)
	}
	if err != nil {
		return Endpoint{}, err
	}
	var ep Endpoint
	if err := json.Unmarshal(b, &ep); err != nil || ep.Addr == "" {
		return Endpoint{}, fmt.Errorf("%w for %s (unreadable %s); start one with `starling up`", ErrNoDaemon, dir, dir.APIEndpoint())
	}
	return ep, nil
}

func readToken(dir home.Dir) (string, error) {
	b, err := os.ReadFile(dir.APIToken())
	if err != nil {
		return "", fmt.Errorf("read the API token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
