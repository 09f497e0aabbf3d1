package apiserver_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/api"
	"starling/apiserver"
	"starling/message"
)

func TestNewServerChecksConfig(t *testing.T) {
	b := newFakeBackend(t)
	if _, err := apiserver.New(apiserver.Config{Token: strings.Repeat("t", 32)}); err == nil {
		t.Error("NewServer without a backend succeeded")
	}
	if _, err := apiserver.New(apiserver.Config{Backend: b, Token: "short"}); err == nil {
		t.Error("NewServer with a short token succeeded")
	}
}

func TestAuth(t *testing.T) {
	s := startServer(t, newFakeBackend(t))
	s.requireError(t, http.StatusUnauthorized, "token", "GET", "/v1/id", "", withHeader("Authorization", ""))
	s.requireError(t, http.StatusUnauthorized, "token", "GET", "/v1/id", "", withHeader("Authorization", "Bearer "+strings.Repeat("0", len(s.token))))
	s.requireError(t, http.StatusUnauthorized, "token", "GET", "/v1/id", "", withHeader("Authorization", s.token))
	// The Host check comes first: a web page's request carries its own host
	// name (DNS rebinding), whatever token it guessed.
	s.requireError(t, http.StatusForbidden, "evil.example", "GET", "/v1/id", "", withHost("evil.example:1234"))
	s.requireError(t, http.StatusForbidden, "loopback", "GET", "/v1/id", "", withHost("evil.example"), withHeader("Authorization", ""))
	// Unknown routes and methods answer in JSON too, once authorised.
	s.requireError(t, http.StatusNotFound, "/v1/nothing", "GET", "/v1/nothing", "")
	s.requireError(t, http.StatusMethodNotAllowed, "PUT", "PUT", "/v1/groups", `{}`)
	s.requireError(t, http.StatusUnauthorized, "token", "GET", "/v1/nothing", "", withHeader("Authorization", ""))
}

func TestHostAllowlist(t *testing.T) {
	srv, err := apiserver.New(apiserver.Config{Backend: newFakeBackend(t), Token: strings.Repeat("t", 32)})
	if err != nil {
		t.Fatal(err)
	}
	for host, ok := range map[string]bool{
		"127.0.0.1:7070": true,
		"127.0.0.1":      true,
		"127.9.9.9:80":   true,
		"localhost:7070": true,
		"localhost":      true,
		"[::1]:7070":     true,
		"[::1]":          true,

		"evil.example:1234":        false,
		"evil.example":             false,
		"localhost.evil.example:1": false,
		"127.0.0.1.nip.io:7070":    false,
		"192.168.1.20:7070":        false,
		"0.0.0.0:7070":             false,
		"[::]:7070":                false,
		"":                         false,
	} {
		r := httptest.NewRequest("GET", "/v1/id", nil)
		r.Host = host
		r.Header.Set("Authorization", "Bearer "+strings.Repeat("t", 32))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if got := w.Code == http.StatusOK; got != ok {
			t.Errorf("Host %q: status %d, want allowed=%v", host, w.Code, ok)
		}
	}
}

func TestIdentityAndStatus(t *testing.T) {
	b := newFakeBackend(t)
	s := startServer(t, b)
	var id api.Identity
	s.get(t, "GET", "/v1/id", "", &id)
	want := api.Identity{
		PeerID:      b.peerID.String(),
		Addrs:       []string{"/ip4/127.0.0.1/tcp/4001"},
		Fingerprint: string(b.user.Fingerprint()),
		Name:        "alice",
		PublicKey:   hex.EncodeToString(b.user.PublicKey()),
	}
	if diff := cmp.Diff(want, id); diff != "" {
		t.Errorf("GET /v1/id (-want +got):\n%s", diff)
	}

	var g api.Group
	s.get(t, "POST", "/v1/groups", `{"name":"lobby"}`, &g)
	b.mu.Lock()
	b.sendPeers = 0
	b.mu.Unlock()
	var sent api.SendResponse
	s.get(t, "POST", "/v1/groups/lobby/messages", `{"text":"queued"}`, &sent)

	var st api.Status
	s.get(t, "GET", "/v1/status", "", &st)
	if st.PeerID != want.PeerID || st.Name != "alice" || st.Fingerprint != want.Fingerprint || !st.Started.Equal(b.started) {
		t.Errorf("status identity = %+v", st)
	}
	if st.Outbox != 1 || len(st.Groups) != 1 || st.Groups[0].Name != "lobby" || st.Groups[0].Messages != 1 {
		t.Errorf("status = outbox %d, groups %+v; want 1 queued message in lobby", st.Outbox, st.Groups)
	}
	if st.Gossip["accepted"] != 7 || st.Gossip["rejected_malformed"] != 1 {
		t.Errorf("status gossip = %v", st.Gossip)
	}

	b.mu.Lock()
	b.groupsErr = errDisk
	b.mu.Unlock()
	s.requireError(t, http.StatusInternalServerError, "disk", "GET", "/v1/status", "")
	s.requireError(t, http.StatusInternalServerError, "disk", "GET", "/v1/groups", "")
	s.requireError(t, http.StatusInternalServerError, "disk", "GET", "/v1/peers", "")
}

type diskError struct{}

func (diskError) Error() string { return "disk on fire" }

var errDisk error = diskError{}

func TestPeers(t *testing.T) {
	b := newFakeBackend(t)
	s := startServer(t, b)
	var g api.Group
	s.get(t, "POST", "/v1/groups", `{"name":"lobby"}`, &g)
	gid, err := message.ParseGroupID(g.ID)
	if err != nil {
		t.Fatal(err)
	}
	bob, carol := fixedPeerID(t, "bob"), fixedPeerID(t, "carol")
	b.mu.Lock()
	b.connected = []peer.AddrInfo{
		{ID: bob, Addrs: []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/5001")}},
		{ID: carol},
	}
	b.groupPeers[gid] = []peer.ID{bob}
	b.mu.Unlock()

	var peers []api.Peer
	s.get(t, "GET", "/v1/peers", "", &peers)
	want := []api.Peer{
		{PeerID: bob.String(), Addrs: []string{"/ip4/127.0.0.1/tcp/5001"}, Groups: []string{"lobby"}},
		{PeerID: carol.String(), Addrs: []string{}, Groups: []string{}},
	}
	if diff := cmp.Diff(want, peers); diff != "" {
		t.Errorf("GET /v1/peers (-want +got):\n%s", diff)
	}
	var groups []api.Group
	s.get(t, "GET", "/v1/groups", "", &groups)
	if len(groups) != 1 || groups[0].Peers != 1 || groups[0].Name != "lobby" {
		t.Errorf("GET /v1/groups = %+v, want lobby with one peer", groups)
	}
}

func TestJoinAndLeave(t *testing.T) {
	s := startServer(t, newFakeBackend(t))
	var groups []api.Group
	s.get(t, "GET", "/v1/groups", "", &groups)
	if groups == nil || len(groups) != 0 {
		t.Errorf("GET /v1/groups with none = %v, want []", groups)
	}

	var g api.Group
	s.get(t, "POST", "/v1/groups", `{"name":" Lobby "}`, &g)
	if g.Name != "lobby" || g.Kind != "open" || len(g.ID) != 64 || g.JoinedAt.IsZero() {
		t.Errorf("join = %+v", g)
	}
	var again api.Group
	s.get(t, "POST", "/v1/groups", `{"name":"lobby"}`, &again)
	if again != g {
		t.Errorf("joining again = %+v, want %+v", again, g)
	}

	for _, c := range []struct {
		status int
		want   string
		body   string
	}{
		{http.StatusBadRequest, "bad channel name", `{"name":"no spaces"}`},
		{http.StatusBadRequest, "bad channel name", `{"name":""}`},
		{http.StatusBadRequest, "bad channel name", `{}`},
		{http.StatusBadRequest, "bad request body", `{"name":`},
		{http.StatusBadRequest, "bad request body", `not json`},
		{http.StatusBadRequest, "bad request body", `["lobby"]`},
		{http.StatusBadRequest, "unknown field", `{"name":"lobby","secret":"x"}`},
		{http.StatusBadRequest, "more than one", `{"name":"lobby"} {"name":"talks"}`},
		{http.StatusRequestEntityTooLarge, "over", `{"name":"` + strings.Repeat("a", apiserver.MaxRequestBody) + `"}`},
	} {
		s.requireError(t, c.status, c.want, "POST", "/v1/groups", c.body)
	}
	s.requireError(t, http.StatusBadRequest, "bad request body", "POST", "/v1/groups", "")

	var left api.Group
	s.get(t, "DELETE", "/v1/groups/lobby", "", &left)
	if left.ID != g.ID || left.Name != "lobby" {
		t.Errorf("leave = %+v, want lobby", left)
	}
	s.requireError(t, http.StatusNotFound, "not joined", "DELETE", "/v1/groups/lobby", "")
	s.requireError(t, http.StatusNotFound, "not joined", "DELETE", "/v1/groups/"+g.ID, "")
	s.requireError(t, http.StatusBadRequest, "bad channel name", "DELETE", "/v1/groups/"+url.PathEscape("no spaces"), "")
}

func TestSendAndHistory(t *testing.T) {
	b := newFakeBackend(t)
	s := startServer(t, b)
	var g api.Group
	s.get(t, "POST", "/v1/groups", `{"name":"lobby"}`, &g)

	texts := []string{"one", "two", "three \u200b"}
	var sent []api.SendResponse
	for _, text := range texts {
		body, err := json.Marshal(api.SendRequest{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		var r api.SendResponse
		s.get(t, "POST", "/v1/groups/lobby/messages", string(body), &r)
		m := r.Message
		if r.Peers != 1 || r.Queued || m.Text != text || m.Group != "lobby" || m.GroupID != g.ID ||
			m.Name != "alice" || m.Author != string(b.user.Fingerprint()) || m.Origin != "own" || m.Kind != "text" {
			t.Errorf("send %q = %+v", text, r)
		}
		sent = append(sent, r)
	}
	b.mu.Lock()
	b.sendPeers = 0
	b.mu.Unlock()
	var queued api.SendResponse
	s.get(t, "POST", "/v1/groups/"+g.ID+"/messages", `{"text":"by group ID, alone"}`, &queued)
	if queued.Peers != 0 || !queued.Queued {
		t.Errorf("send with no peers = %+v, want queued", queued)
	}
	sent = append(sent, queued)

	// Page through oldest first, two at a time, then newest first.
	var ids []string
	for cursor, pages := "", 0; ; pages++ {
		if pages > len(sent) {
			t.Fatal("paging does not end")
		}
		var p api.Page
		s.get(t, "GET", "/v1/groups/lobby/messages?limit=2&cursor="+url.QueryEscape(cursor), "", &p)
		for _, m := range p.Messages {
			ids = append(ids, m.ID)
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	// One page holds them all, in (sent_at, id) order; the pages above
	// must add up to it.
	var all api.Page
	s.get(t, "GET", "/v1/groups/lobby/messages", "", &all)
	var want []string
	for _, m := range all.Messages {
		want = append(want, m.ID)
	}
	if all.Next != "" || !slices.Equal(ids, want) {
		t.Errorf("paged history = %v, want %v", ids, want)
	}
	var sentIDs []string
	for _, r := range sent {
		sentIDs = append(sentIDs, r.Message.ID)
	}
	if !sameElements(want, sentIDs) {
		t.Errorf("history = %v, want the sent messages %v", want, sentIDs)
	}
	var newest api.Page
	s.get(t, "GET", "/v1/groups/lobby/messages?newest=true&limit=1", "", &newest)
	if len(newest.Messages) != 1 || newest.Messages[0].ID != want[len(want)-1] || newest.Next == "" {
		t.Errorf("newest page = %+v, want the last message and a cursor", newest)
	}
	// A cursor only works in the direction it was made for.
	s.requireError(t, http.StatusBadRequest, "direction", "GET", "/v1/groups/lobby/messages?cursor="+url.QueryEscape(newest.Next), "")

	for _, c := range []struct {
		status int
		want   string
		path   string
	}{
		{http.StatusBadRequest, "limit", "/v1/groups/lobby/messages?limit=abc"},
		{http.StatusBadRequest, "limit", "/v1/groups/lobby/messages?limit=0"},
		{http.StatusBadRequest, "limit", "/v1/groups/lobby/messages?limit=-3"},
		{http.StatusBadRequest, "limit", "/v1/groups/lobby/messages?limit=1.5"},
		{http.StatusBadRequest, "newest", "/v1/groups/lobby/messages?newest=maybe"},
		{http.StatusBadRequest, "cursor", "/v1/groups/lobby/messages?cursor=garbage"},
		{http.StatusNotFound, "not joined", "/v1/groups/talks/messages"},
		{http.StatusBadRequest, "bad channel name", "/v1/groups/" + url.PathEscape("no spaces") + "/messages"},
	} {
		s.requireError(t, c.status, c.want, "GET", c.path, "")
	}

	for _, c := range []struct {
		status int
		want   string
		path   string
		body   string
	}{
		{http.StatusBadRequest, "empty text", "/v1/groups/lobby/messages", `{"text":""}`},
		{http.StatusBadRequest, "limit", "/v1/groups/lobby/messages", `{"text":"` + strings.Repeat("x", message.MaxTextSize+1) + `"}`},
		{http.StatusBadRequest, "bad request body", "/v1/groups/lobby/messages", `{"text":`},
		{http.StatusBadRequest, "unknown field", "/v1/groups/lobby/messages", `{"text":"hi","to":"bob"}`},
		{http.StatusRequestEntityTooLarge, "over", "/v1/groups/lobby/messages", `{"text":"` + strings.Repeat("x", apiserver.MaxRequestBody) + `"}`},
		{http.StatusNotFound, "not joined", "/v1/groups/talks/messages", `{"text":"hi"}`},
		{http.StatusBadRequest, "bad channel name", "/v1/groups/" + url.PathEscape("no spaces") + "/messages", `{"text":"hi"}`},
	} {
		s.requireError(t, c.status, c.want, "POST", c.path, c.body)
	}
	if n, err := b.Count(mustGroupID(t, g.ID)); err != nil || n != len(sent) {
		t.Errorf("the backend holds %d messages, %v; want %d: a refused send must store nothing", n, err, len(sent))
	}
}

func mustGroupID(t testing.TB, s string) message.GroupID {
	t.Helper()
	id, err := message.ParseGroupID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The Client's methods map to the endpoints above and report failures as
// *APIError with the daemon's status and message.
func TestClientMethods(t *testing.T) {
	b := newFakeBackend(t)
	s := startServer(t, b)
	ctx := context.Background()
	c := s.client
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := c.ID(ctx)
	if err != nil || id.Name != "alice" {
		t.Errorf("ID = %+v, %v", id, err)
	}
	g, err := c.Join(ctx, "lobby")
	if err != nil || g.Name != "lobby" {
		t.Fatalf("Join = %+v, %v", g, err)
	}
	r, err := c.Send(ctx, "lobby", "hello \u200d")
	if err != nil || r.Message.Text != "hello \u200d" {
		t.Errorf("Send = %+v, %v", r, err)
	}
	if _, err := c.Send(ctx, "lobby", "bad \xff byte"); !errors.Is(err, message.ErrBadPayload) {
		t.Errorf("Send(invalid UTF-8) = %v, want ErrBadPayload before anything is sent", err)
	}
	p, err := c.History(ctx, "lobby", 10, true, "")
	if err != nil || len(p.Messages) != 1 || p.Messages[0].ID != r.Message.ID {
		t.Errorf("History = %+v, %v", p, err)
	}
	if st, err := c.Status(ctx); err != nil || len(st.Groups) != 1 {
		t.Errorf("Status = %+v, %v", st, err)
	}
	if gs, err := c.Groups(ctx); err != nil || len(gs) != 1 {
		t.Errorf("Groups = %+v, %v", gs, err)
	}
	if ps, err := c.Peers(ctx); err != nil || ps == nil || len(ps) != 0 {
		t.Errorf("Peers = %+v, %v; want []", ps, err)
	}
	if _, err := c.Leave(ctx, "lobby"); err != nil {
		t.Error(err)
	}
	_, err = c.Send(ctx, "lobby", "gone")
	var apiErr *api.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || !strings.Contains(apiErr.Message, "not joined") {
		t.Errorf("Send after Leave = %v, want a 404 APIError", err)
	}
	_, err = c.Join(ctx, "bad name")
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Errorf("Join(bad name) = %v, want a 400 APIError", err)
	}
}

// sameElements reports whether a and b hold the same strings, in any order.
func sameElements(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
