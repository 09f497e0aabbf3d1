package netlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// pollInterval is how often a wait checks its condition. Each check runs a
// starling command per host, about 50 ms of CPU each.
const pollInterval = 300 * time.Millisecond

// Message is one line of `starling log --json`: the fields the lab checks.
type Message struct {
	ID     string `json:"id"`
	Group  string `json:"group"`
	Author string `json:"author"`
	Name   string `json:"name"`
	Text   string `json:"text"`
	Origin string `json:"origin"`
	// SentAt is the author's clock (whole milliseconds), ReceivedAt when
	// this host stored it.
	SentAt     time.Time `json:"sent_at"`
	ReceivedAt time.Time `json:"received_at"`
}

// Peer is one entry of `starling peers --json`.
type Peer struct {
	PeerID string   `json:"peer_id"`
	Addrs  []string `json:"addrs"`
	Groups []string `json:"groups"`
}

// Join joins the open channel group; it works with or without a daemon.
func (h *Host) Join(ctx context.Context, group string) error {
	_, err := h.Starling(ctx, "join", group)
	return err
}

// Send sends text to group through the daemon's API and returns the
// message's ID. With no peer in the group the message is queued; it still
// counts as sent.
func (h *Host) Send(ctx context.Context, group, text string) (string, error) {
	c, err := h.api()
	if err != nil {
		return "", err
	}
	defer c.Close()
	res, err := c.Send(ctx, group, text)
	if err != nil {
		return "", fmt.Errorf("%s: send to %s: %w", h.name, group, err)
	}
	return res.Message.ID, nil
}

// Log returns the whole history of group the host holds.
func (h *Host) Log(ctx context.Context, group string) ([]Message, error) {
	out, err := h.Starling(ctx, "log", group, "--json", "--limit", "0")
	if err != nil {
		return nil, err
	}
	var msgs []Message
	for line := range strings.Lines(string(out)) {
		var m Message
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			return nil, fmt.Errorf("%s: starling log --json printed a line that is not JSON: %w: %q", h.name, err, line)
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// Peers returns the peers the host's daemon is connected to.
func (h *Host) Peers(ctx context.Context) ([]Peer, error) {
	out, err := h.Starling(ctx, "peers", "--json")
	if err != nil {
		return nil, err
	}
	var peers []Peer
	if err := json.Unmarshal(out, &peers); err != nil {
		return nil, fmt.Errorf("%s: starling peers --json printed something that is not its JSON: %w", h.name, err)
	}
	return peers, nil
}

// WaitPeers waits until the host's daemon is connected to every peer ID in
// ids, and shares group with each unless group is empty.
func (h *Host) WaitPeers(ctx context.Context, group string, ids ...string) error {
	return poll(ctx, pollInterval, func() error {
		peers, err := h.Peers(ctx)
		if err != nil {
			return err
		}
		for _, id := range ids {
			i := slices.IndexFunc(peers, func(p Peer) bool { return p.PeerID == id })
			if i < 0 {
				return fmt.Errorf("%s is not connected to %s (it has %d peers)", h.name, id, len(peers))
			}
			if group != "" && !slices.Contains(peers[i].Groups, group) {
				return fmt.Errorf("%s does not share %s with %s yet", h.name, group, id)
			}
		}
		return nil
	})
}

// Converge waits until every host holds every message in want, and fails
// at once when a host holds a message of group that nobody sent. A timeout
// names, per host, how many messages it lacks and which.
func Converge(ctx context.Context, group string, want []string, hosts ...*Host) error {
	done := make([]bool, len(hosts))
	return poll(ctx, pollInterval, func() error {
		lacking := make([]string, len(hosts))
		errs := make([]error, len(hosts))
		var wg sync.WaitGroup
		for i, h := range hosts {
			if done[i] {
				continue
			}
			wg.Go(func() { lacking[i], errs[i] = h.lacks(ctx, group, want) })
		}
		wg.Wait()
		var report []string
		for i := range hosts {
			switch {
			case errors.Is(errs[i], errUnknownMessage):
				return permanent(errs[i])
			case errs[i] != nil:
				report = append(report, errs[i].Error())
			case lacking[i] != "":
				report = append(report, lacking[i])
			default:
				done[i] = true
			}
		}
		if len(report) > 0 {
			return errors.New(strings.Join(report, "; "))
		}
		return nil
	})
}

// errUnknownMessage means a host holds a message outside the expected set.
var errUnknownMessage = errors.New("holds a message that should not be there (one nobody sent, or one that crossed a partition)")

// lacks returns "" when the host holds every message in want, else a
// sentence saying what it lacks.
func (h *Host) lacks(ctx context.Context, group string, want []string) (string, error) {
	msgs, err := h.Log(ctx, group)
	if err != nil {
		return "", err
	}
	for _, m := range msgs {
		if !slices.Contains(want, m.ID) {
			return "", fmt.Errorf("%s %w: %+v", h.name, errUnknownMessage, m)
		}
	}
	missing := missingFrom(msgs, want)
	if len(missing) == 0 {
		return "", nil
	}
	for i, id := range missing {
		missing[i] = id[:min(len(id), 12)]
	}
	return fmt.Sprintf("%s lacks %d of %d messages (%s)", h.name, len(missing), len(want), strings.Join(missing, " ")), nil
}

// Lacks returns the messages of ids that the host does not hold: for checks
// that a message did not cross a partition.
func (h *Host) Lacks(ctx context.Context, group string, ids []string) ([]string, error) {
	msgs, err := h.Log(ctx, group)
	if err != nil {
		return nil, err
	}
	return missingFrom(msgs, ids), nil
}

// missingFrom returns the IDs that no message in msgs has.
func missingFrom(msgs []Message, ids []string) []string {
	var missing []string
	for _, id := range ids {
		if !slices.ContainsFunc(msgs, func(m Message) bool { return m.ID == id }) {
			missing = append(missing, id)
		}
	}
	return missing
}

// permanentError stops a poll at once.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// permanent marks err as one that waiting cannot fix.
func permanent(err error) error { return permanentError{err} }

// poll calls check every interval until it returns nil or a permanent error,
// or ctx ends; then it returns check's last error, with the context's. An
// error from a check that the ending context cut short says nothing about
// the condition, so the one before it is reported instead.
func poll(ctx context.Context, interval time.Duration, check func() error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last error
	for {
		err := check()
		var p permanentError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &p):
			return p.err
		case ctx.Err() == nil || last == nil:
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %w)", last, context.Cause(ctx))
		case <-t.C:
		}
	}
}
