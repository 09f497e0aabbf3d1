package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"os"
	"time"

	"starling/home"
)

// Record is what a daemon serving the web UI writes to its home (0600),
// so that `starling open` finds it.
type Record struct {
	PID int `json:"pid"`
	// Local is the loopback address (HOST:PORT); LAN the LAN addresses in
	// LAN mode.
	Local string   `json:"local"`
	LAN   []string `json:"lan,omitempty"`
	Token string   `json:"token"`
}

// ErrNotServing means no running daemon of the home serves the web UI.
var ErrNotServing = errors.New("the daemon does not serve the web UI")

// Link is the loopback link with the token.
func (r Record) Link() string { return Link(r.Local, r.Token) }

// LANLinks are the pairing links, one per LAN address.
func (r Record) LANLinks() []string {
	var out []string
	for _, a := range r.LAN {
		out = append(out, Link(a, r.Token))
	}
	return out
}

// Publish writes rec to the home, whole (a temporary file renamed into
// place), readable by this user only: it holds the token.
func Publish(dir home.Dir, rec Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := home.WritePrivate(dir.WebUI(), append(b, '\n')); err != nil {
		return fmt.Errorf("record the web UI's address: %w", err)
	}
	return nil
}

// Unpublish removes the record, and the page that opens it, if this
// process wrote the record.
func Unpublish(dir home.Dir) {
	if rec, err := readRecord(dir); err == nil && rec.PID == os.Getpid() {
		os.Remove(dir.WebUI())
		os.Remove(dir.WebOpen())
	}
}

// Forget removes a record that a daemon that died left behind; a daemon
// calls it at start, so that a record in the home is always its own.
func Forget(dir home.Dir) {
	if rec, err := readRecord(dir); err == nil && !home.ProcessAlive(rec.PID) {
		os.Remove(dir.WebUI())
		os.Remove(dir.WebOpen())
	}
}

// ReadRecord returns the web UI record of the home's running daemon, or
// ErrNotServing with what to do.
func ReadRecord(dir home.Dir) (Record, error) {
	rec, err := readRecord(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !home.ProcessAlive(rec.PID)) {
		return Record{}, fmt.Errorf("%w for %s; restart it with `starling up --web 127.0.0.1:0`", ErrNotServing, dir)
	}
	if err != nil {
		return Record{}, fmt.Errorf("read %s: %w", dir.WebUI(), err)
	}
	return rec, nil
}

// Ping checks that the web UI answers at the recorded loopback address: a
// record outlives a daemon that was killed, and its PID may come back as
// another process.
func (r Record) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, "http://"+r.Local+"/", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return fmt.Errorf("%w: nothing answers at http://%s (%v); restart the daemon with `starling up --web 127.0.0.1:0`", ErrNotServing, r.Local, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: http://%s answers %s, not as Starling's web UI does", ErrNotServing, r.Local, resp.Status)
	}
	return nil
}

func readRecord(dir home.Dir) (Record, error) {
	b, err := os.ReadFile(dir.WebUI())
	if err != nil {
		return Record{}, err
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil || rec.Local == "" || rec.Token == "" {
		return Record{}, fmt.Errorf("%s is not a web UI record", dir.WebUI())
	}
	return rec, nil
}

// WriteOpenPage writes the page `starling open` gives the browser: a 0600
// file that forwards to link at once. A browser started with the link itself
// would show the token in its command line to every user of the machine.
func WriteOpenPage(dir home.Dir, link string) (string, error) {
	l := html.EscapeString(link)
	page := `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=` + l +
		`"><title>Starling</title><p><a href="` + l + `">Open Starling</a></p>` + "\n"
	if err := home.WritePrivate(dir.WebOpen(), []byte(page)); err != nil {
		return "", fmt.Errorf("write the page that opens the web UI: %w", err)
	}
	return dir.WebOpen(), nil
}
