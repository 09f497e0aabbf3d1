package peering

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/transport/websocket"
	ma "github.com/multiformats/go-multiaddr"

	"starling/gossip"
	"starling/group"
	"starling/message"
)

// wsInbox is a gossip.Inbound that keeps what it is delivered.
type wsInbox struct {
	mu  sync.Mutex
	got []string
}

func (*wsInbox) Seen(message.ID) bool                                { return false }
func (*wsInbox) Judge(peer.ID, *message.Message) message.Verdict     { return message.Accept }
func (*wsInbox) AdmitLive(peer.ID, *message.Message) message.Verdict { return message.Accept }
func (b *wsInbox) Deliver(r gossip.Received) {
	t, err := message.DecodeText(r.Msg.Body.Payload)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err == nil {
		b.got = append(b.got, t.Text)
	}
}

func (b *wsInbox) has(text string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, g := range b.got {
		if g == text {
			return true
		}
	}
	return false
}

// wsAddr is the host's listen address on the WebSocket transport.
func wsAddr(t *testing.T, h host.Host) ma.Multiaddr {
	t.Helper()
	for _, a := range h.Addrs() {
		if _, err := a.ValueForProtocol(ma.P_WS); err == nil {
			return a
		}
	}
	t.Fatalf("no /ws address among %v", h.Addrs())
	return nil
}

// TestWebSocketPeerReceivesGossip is what the phone page does, with a Go
// libp2p host in the browser's place: it has only the WebSocket transport
// and no listen address, dials a node's /ws listener (an attendee's, as
// `starling up` runs, and an organiser relay's), joins a channel's topic
// with Starling's GossipSub settings and receives what the node publishes.
// The same port serves the page over plain HTTP.
func TestWebSocketPeerReceivesGossip(t *testing.T) {
	for _, role := range []string{"up", "relay"} {
		t.Run(role, func(t *testing.T) {
			cfg := loopbackConfig(t)
			cfg.ListenAddrs = []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0"), ma.StringCast("/ip4/127.0.0.1/tcp/0/ws")}
			cfg.WebSocket.HTTP = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "the phone page")
			})
			if role == "relay" {
				cfg.RelayService = &RelayService{}
			}
			sv, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer sv.Close()
			stop := run(t, sv)
			defer func() {
				if err := stop(); err != nil {
					t.Errorf("Run: %v", err)
				}
			}()
			addr := wsAddr(t, sv.Host())

			// The page is served on the WebSocket port.
			port, err := addr.ValueForProtocol(ma.P_TCP)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get("http://127.0.0.1:" + port + "/")
			if err != nil {
				t.Fatalf("GET the page from the /ws listener: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != "the phone page" {
				t.Fatalf("GET the page from the /ws listener: %s %q", resp.Status, body)
			}

			browser, err := libp2p.New(libp2p.NoListenAddrs, libp2p.Transport(websocket.New), libp2p.DisableRelay())
			if err != nil {
				t.Fatal(err)
			}
			defer browser.Close()

			gid, _, err := group.OpenChannelID("lobby")
			if err != nil {
				t.Fatal(err)
			}
			nodeGossip, err := gossip.New(sv.Host(), gossip.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer nodeGossip.Close()
			in := &wsInbox{}
			browserGossip, err := gossip.New(browser, gossip.Config{Inbound: in})
			if err != nil {
				t.Fatal(err)
			}
			defer browserGossip.Close()
			for _, g := range []*gossip.Gossip{nodeGossip, browserGossip} {
				if err := g.Join(gid); err != nil {
					t.Fatal(err)
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := browser.Connect(ctx, peer.AddrInfo{ID: sv.Host().ID(), Addrs: []ma.Multiaddr{addr}}); err != nil {
				t.Fatalf("dial %s: %v", addr, err)
			}
			conns := browser.Network().ConnsToPeer(sv.Host().ID())
			if len(conns) != 1 || !strings.HasSuffix(conns[0].RemoteMultiaddr().String(), "/ws") {
				t.Fatalf("connections to the node: %v, want one over /ws", conns)
			}
			waitFor(t, "the node sees the browser on the topic", func() bool { return len(nodeGossip.Peers(gid)) == 1 })

			_, key, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			payload, err := message.EncodeText(message.Text{Text: "hello over websockets", Nick: "node"})
			if err != nil {
				t.Fatal(err)
			}
			m, err := message.Sign(key, message.Body{
				Group: gid, SentAtMS: uint64(time.Now().UnixMilli()), Kind: message.KindText, Payload: payload,
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := nodeGossip.Publish(ctx, m); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the browser receives the node's message", func() bool { return in.has("hello over websockets") })
		})
	}
}
