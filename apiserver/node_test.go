package apiserver_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	ma "github.com/multiformats/go-multiaddr"

	"starling/api"
	"starling/apiserver"
	"starling/identity"
	"starling/node"
	"starling/store"
)

var _ apiserver.Backend = (*node.Node)(nil)

// announcingNode tells the test when the server has subscribed to the node,
// so that a message sent afterwards is sure to reach the event stream.
type announcingNode struct {
	*node.Node
	subscribed chan struct{}
}

func (a *announcingNode) Subscribe(ctx context.Context) (<-chan store.Stored, func() error) {
	events, errf := a.Node.Subscribe(ctx)
	a.subscribed <- struct{}{}
	return events, errf
}

// startNode runs a real node alone on 127.0.0.1 with an in-memory store.
func startNode(t testing.TB) *node.Node {
	t.Helper()
	user, err := identity.NewUser("nora")
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Config{
		User:              user,
		TransportKey:      key,
		ListenAddrs:       []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")},
		DisableKnownPeers: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return n
}

// The client drives a real node through a real server: join, send (queued,
// since the node is alone), read history and status, stream events, leave.
func TestAgainstNode(t *testing.T) {
	n := startNode(t)
	b := &announcingNode{Node: n, subscribed: make(chan struct{}, 1)}
	s := startServer(t, b)
	c := s.client
	ctx := context.Background()

	id, err := c.ID(ctx)
	if err != nil || id.PeerID != n.ID().String() || id.Fingerprint != string(n.User().Fingerprint()) {
		t.Fatalf("ID = %+v, %v", id, err)
	}
	g, err := c.Join(ctx, "Lobby")
	if err != nil || g.Name != "lobby" {
		t.Fatalf("Join = %+v, %v", g, err)
	}

	st := startStream(t, s, "lobby")
	select {
	case <-b.subscribed:
	case <-time.After(waitTimeout):
		t.Fatal("the event stream did not subscribe")
	}
	sent, err := c.Send(ctx, "lobby", "anyone? e\u0301\u200b")
	if err != nil {
		t.Fatal(err)
	}
	if !sent.Queued || sent.Peers != 0 || sent.Message.Origin != "own" {
		t.Errorf("Send with no peers = %+v, want queued", sent)
	}
	ev := st.next(t)
	if ev.ID != sent.Message.ID || ev.Text != "anyone? e\u0301\u200b" || ev.Group != "lobby" {
		t.Errorf("event = %+v, want the sent message", ev)
	}

	page, err := c.History(ctx, "lobby", 0, false, "")
	if err != nil || len(page.Messages) != 1 || page.Messages[0].ID != sent.Message.ID || page.Messages[0].Text != sent.Message.Text {
		t.Errorf("History = %+v, %v; want the sent message", page, err)
	}
	status, err := c.Status(ctx)
	if err != nil || status.Outbox != 1 || len(status.Groups) != 1 || status.Groups[0].Messages != 1 {
		t.Errorf("Status = %+v, %v; want one queued message in lobby", status, err)
	}
	if h := status.Store; h == nil || h.State != "ok" || h.FreeBytes != -1 || h.FloorBytes <= h.HardFloorBytes {
		t.Errorf("Status.Store = %+v; want an in-memory store's: ok, free space unknown, and its floors", h)
	}
	left, err := c.Leave(ctx, "lobby")
	if err != nil {
		t.Fatal(err)
	}
	if left.Name != "lobby" || left.LeftAt == nil || left.Rejoin != "lobby" || left.Messages != 1 {
		t.Errorf("Leave = %+v; want lobby, left, its message kept, joined again by its name", left)
	}
	// Leaving keeps the history readable.
	page, err = c.History(ctx, "lobby", 0, false, "")
	if err != nil || len(page.Messages) != 1 || page.Messages[0].ID != sent.Message.ID || page.Messages[0].Text != sent.Message.Text {
		t.Errorf("History after Leave = %+v, %v; want the kept message", page, err)
	}
	var apiErr *api.APIError
	if _, err := c.Send(ctx, "lobby", "gone"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound ||
		apiErr.Code != api.CodeNotJoined || apiErr.Rejoin != "lobby" {
		t.Errorf("Send after Leave = %#v, want a 404 not_joined APIError that says to join lobby again", err)
	}
	if _, err := c.History(ctx, "never-joined", 0, false, ""); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || apiErr.Rejoin != "" {
		t.Errorf("History of a channel never joined = %#v, want a 404 APIError", err)
	}
}
