package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"starling/home"
)

// Client talks to a running daemon's API.
type Client struct {
	base  string
	token string
	dir   home.Dir
	pid   int
	http  *http.Client
}

// Dial finds the daemon of a home. It fails with ErrNoDaemon when none has
// recorded an endpoint and ErrDaemonGone when the recorded process is gone;
// both errors say what to do.
func Dial(dir home.Dir) (*Client, error) {
	ep, err := readEndpoint(dir)
	if err != nil {
		return nil, err
	}
	if !home.ProcessAlive(ep.PID) {
		return nil, fmt.Errorf("%w for %s (pid %d has exited without cleaning up); start it again with `starling up`", ErrDaemonGone, dir, ep.PID)
	}
	token, err := readToken(dir)
	if err != nil {
		return nil, err
	}
	return &Client{
		base:  "http://" + ep.Addr,
		token: token,
		dir:   dir,
		pid:   ep.PID,
		http:  &http.Client{Transport: &http.Transport{Proxy: nil}},
	}, nil
}

// DialFunc makes a connection, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DialVia is Dial with every connection to the daemon made by dial: for a
// daemon whose loopback is not this process's, such as netlab's daemons in
// their own network namespaces. Close the client when done with it.
func DialVia(dir home.Dir, dial DialFunc) (*Client, error) {
	c, err := Dial(dir)
	if err != nil {
		return nil, err
	}
	c.http = &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: dial}}
	return c, nil
}

// Close closes the client's idle connections to the daemon.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// APIError is a failure the daemon reported.
type APIError struct {
	Status  int
	Message string
	// Code, Channel and Rejoin are the server's Error.Code, Error.Channel
	// and Error.Rejoin.
	Code, Channel, Rejoin string
}

func (e *APIError) Error() string { return e.Message }

// requestTimeout bounds every request but the event stream.
const requestTimeout = 30 * time.Second

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}

func (c *Client) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		switch {
		case errors.Is(ctx.Err(), context.Canceled):
			return nil, ctx.Err() // the caller gave up; nothing to explain
		case ctx.Err() != nil:
			return nil, fmt.Errorf("the daemon for %s (pid %d) did not answer in time: %w", c.dir, c.pid, ctx.Err())
		}
		return nil, fmt.Errorf("the daemon for %s (pid %d) is not answering on %s: %v; if it is stuck, stop it and run `starling up`", c.dir, c.pid, c.base, unwrapURL(err))
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var e Error
		if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&e) != nil || e.Error == "" {
			e.Error = resp.Status
		}
		return nil, &APIError{Status: resp.StatusCode, Message: e.Error, Code: e.Code, Channel: e.Channel, Rejoin: e.Rejoin}
	}
	return resp, nil
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Ping checks within a short time that the daemon answers. A refused
// connection means the daemon is gone (ErrDaemonGone) even if its process
// lingers.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/v1/id", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%w for %s (nothing listens on %s any more); start it again with `starling up`", ErrDaemonGone, c.dir, c.base)
	}
	if err != nil {
		return fmt.Errorf("the daemon for %s (pid %d) is not answering on %s: %v", c.dir, c.pid, c.base, unwrapURL(err))
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the daemon for %s answered %s; its API token may have changed, try again", c.dir, resp.Status)
	}
	return nil
}

// ID returns the daemon's identity.
func (c *Client) ID(ctx context.Context) (Identity, error) {
	var v Identity
	return v, c.do(ctx, "GET", "/v1/id", nil, &v)
}

// Status returns the daemon's status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var v Status
	return v, c.do(ctx, "GET", "/v1/status", nil, &v)
}

// Peers lists connected peers.
func (c *Client) Peers(ctx context.Context) ([]Peer, error) {
	var v []Peer
	return v, c.do(ctx, "GET", "/v1/peers", nil, &v)
}

// Groups lists joined groups.
func (c *Client) Groups(ctx context.Context) ([]Group, error) {
	var v []Group
	return v, c.do(ctx, "GET", "/v1/groups", nil, &v)
}

// LeftGroups lists the groups this user left whose history this device
// keeps (LeftAt and Rejoin set).
func (c *Client) LeftGroups(ctx context.Context) ([]Group, error) {
	var v []Group
	return v, c.do(ctx, "GET", "/v1/groups?left=true", nil, &v)
}

// Join joins an open channel by name, a group by its invite link, or a
// group this user left by its ID or name (JoinRequest).
func (c *Client) Join(ctx context.Context, name string) (Group, error) {
	var v Group
	return v, c.do(ctx, "POST", "/v1/groups", JoinRequest{Name: name}, &v)
}

// JoinChannel joins the open channel called name, even when name is also a
// group's that this user joined or left.
func (c *Client) JoinChannel(ctx context.Context, name string) (Group, error) {
	var v Group
	return v, c.do(ctx, "POST", "/v1/groups", JoinRequest{Name: name, Channel: true}, &v)
}

// Leave leaves a group; its messages stay on this device (History reads
// them) and the answer's Rejoin says how to join it again.
func (c *Client) Leave(ctx context.Context, ref string) (Group, error) {
	var v Group
	return v, c.do(ctx, "DELETE", "/v1/groups/"+url.PathEscape(ref), nil, &v)
}

// Send sends a text message.
func (c *Client) Send(ctx context.Context, ref, text string) (SendResponse, error) {
	// Refused here as the daemon would refuse it; and JSON would replace
	// invalid bytes on the way, so the daemon could not tell.
	if err := CheckText(text); err != nil {
		return SendResponse{}, err
	}
	var v SendResponse
	return v, c.do(ctx, "POST", "/v1/groups/"+url.PathEscape(ref)+"/messages", SendRequest{Text: text}, &v)
}

// History reads a page of a group's messages.
func (c *Client) History(ctx context.Context, ref string, limit int, newest bool, cursor string) (Page, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if newest {
		q.Set("newest", "true")
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var v Page
	return v, c.do(ctx, "GET", "/v1/groups/"+url.PathEscape(ref)+"/messages?"+q.Encode(), nil, &v)
}

// Sync catches up now with the peers of a group (all groups when ref is
// empty) and reports each session.
func (c *Client) Sync(ctx context.Context, ref string) ([]Sync, error) {
	var v []Sync
	return v, c.do(ctx, "POST", "/v1/sync", SyncRequest{Group: ref}, &v)
}

// Events streams new messages (of one group when ref is not empty) to fn
// until ctx ends, the stream ends or fn returns an error. opened, if not
// nil, is called once the daemon has subscribed: every message stored after
// that reaches fn, so a reader that fetches history after opened misses
// nothing. It returns an error wrapping ErrStreamEnded with the daemon's
// reason when the daemon ends the stream.
func (c *Client) Events(ctx context.Context, ref string, opened func(), fn func(Message) error) error {
	return c.Watch(ctx, ref, opened, func(e Event) error {
		if e.Message == nil {
			return nil
		}
		return fn(*e.Message)
	})
}

// Watch is Events with the delivery updates of this user's messages too:
// fn gets each new message and each change to where an own message went.
func (c *Client) Watch(ctx context.Context, ref string, opened func(), fn func(Event) error) error {
	path := "/v1/events"
	if ref != "" {
		path += "?group=" + url.QueryEscape(ref)
	}
	resp, err := c.send(ctx, "GET", path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// The server subscribes before it answers, so the answer means the
	// subscription is live.
	if opened != nil {
		opened()
	}
	err = ReadEvents(resp.Body, fn)
	switch {
	case err != nil && !errors.Is(err, errReadStream):
		return err // fn's error, a bad event or the daemon's end
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return err
	}
	return fmt.Errorf("%w: the daemon closed the connection", ErrStreamEnded)
}

// CreateGroup creates a group owned by this user; kind is "open",
// "private" or "announce"; endsAt nil: never ends.
func (c *Client) CreateGroup(ctx context.Context, name, kind string, endsAt *time.Time) (GroupDetail, error) {
	var v GroupDetail
	return v, c.do(ctx, "POST", "/v1/create", CreateRequest{Name: name, Kind: kind, EndsAt: endsAt}, &v)
}

// Group describes a joined group.
func (c *Client) Group(ctx context.Context, ref string) (GroupDetail, error) {
	var v GroupDetail
	return v, c.do(ctx, "GET", "/v1/groups/"+url.PathEscape(ref), nil, &v)
}

// Invite returns an invite link to a joined group.
func (c *Client) Invite(ctx context.Context, ref string, relays []string) (string, error) {
	return c.invite(ctx, ref, InviteRequest{Relays: relays})
}

// CarrierInvite returns a private group's carrier link, for an organiser
// relay that should carry the group's messages without reading them.
func (c *Client) CarrierInvite(ctx context.Context, ref string, relays []string) (string, error) {
	return c.invite(ctx, ref, InviteRequest{Relays: relays, Carrier: true})
}

func (c *Client) invite(ctx context.Context, ref string, req InviteRequest) (string, error) {
	var v InviteResponse
	err := c.do(ctx, "POST", "/v1/groups/"+url.PathEscape(ref)+"/invite", req, &v)
	return v.Link, err
}

// RemoveMember removes a member (by fingerprint) from a private group.
func (c *Client) RemoveMember(ctx context.Context, ref, member string) (GroupDetail, error) {
	var v GroupDetail
	return v, c.do(ctx, "POST", "/v1/groups/"+url.PathEscape(ref)+"/remove", ModerationRequest{Member: member}, &v)
}

// AddMember admits a member (by fingerprint) to a private group: someone
// removed, with a fresh key epoch, or someone whose invite a removal made
// stale.
func (c *Client) AddMember(ctx context.Context, ref, member string) (GroupDetail, error) {
	var v GroupDetail
	return v, c.do(ctx, "POST", "/v1/groups/"+url.PathEscape(ref)+"/add", ModerationRequest{Member: member}, &v)
}

// Delete sends a tombstone for a message.
func (c *Client) Delete(ctx context.Context, ref, id, reason string) (SendResponse, error) {
	var v SendResponse
	return v, c.do(ctx, "POST", "/v1/groups/"+url.PathEscape(ref)+"/delete", ModerationRequest{ID: id, Reason: reason}, &v)
}

// Ban bans an author (by fingerprint) from a group.
func (c *Client) Ban(ctx context.Context, ref, member, reason string) (SendResponse, error) {
	var v SendResponse
	return v, c.do(ctx, "POST", "/v1/groups/"+url.PathEscape(ref)+"/ban", ModerationRequest{Member: member, Reason: reason}, &v)
}

// Unban lifts the bans of an author (by fingerprint) in a group: they post
// again from now on.
func (c *Client) Unban(ctx context.Context, ref, member string) (SendResponse, error) {
	var v SendResponse
	return v, c.do(ctx, "POST", "/v1/groups/"+url.PathEscape(ref)+"/unban", ModerationRequest{Member: member}, &v)
}

// Update changes a group's descriptor.
func (c *Client) Update(ctx context.Context, ref string, req UpdateRequest) (GroupDetail, error) {
	var v GroupDetail
	return v, c.do(ctx, "PATCH", "/v1/groups/"+url.PathEscape(ref), req, &v)
}

// Whois looks an author up by fingerprint.
func (c *Client) Whois(ctx context.Context, fingerprint string) (Person, error) {
	var v Person
	return v, c.do(ctx, "GET", "/v1/whois/"+url.PathEscape(fingerprint), nil, &v)
}

// Block blocks ("block") or mutes ("mute") an author, or lifts it ("").
func (c *Client) Block(ctx context.Context, fingerprint, mode string) error {
	var v BlockRequest
	return c.do(ctx, "POST", "/v1/blocks", BlockRequest{Fingerprint: fingerprint, Mode: mode}, &v)
}
