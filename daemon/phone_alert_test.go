package daemon_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"starling/api"
	"starling/internal/testwait"
	"starling/phone/engine"
)

// phoneSync runs one catch-up session of the phone's engine over a libp2p
// stream to p, as the page does, and returns what it stored.
func phoneSync(ctx context.Context, t *testing.T, e *engine.Engine, h host.Host, p peer.ID, groupID string) []engine.Stored {
	t.Helper()
	s, err := h.NewStream(ctx, p, engine.CatchupProtocol)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := e.SyncStart(groupID)
	if err != nil {
		t.Fatal(err)
	}
	defer e.SyncClose(st.Session)
	var stored []engine.Stored
	out, buf := st.Out, make([]byte, 4096)
	for {
		if _, err := s.Write(out); err != nil {
			t.Fatal(err)
		}
		n, err := s.Read(buf)
		if n == 0 {
			t.Fatalf("catch-up stream: %v", err)
		}
		f := e.SyncFeed(st.Session, buf[:n])
		stored = append(stored, f.Stored...)
		if f.Error != "" {
			t.Fatalf("catch-up: %s", f.Error)
		}
		if f.Done {
			return stored
		}
		out = f.Out
	}
}

// TestPhoneAcksAlert: a phone's engine learns an organiser's alert from
// the organiser's node by catch-up and pushes its acknowledgement on the
// node's alert protocol; the node takes it and counts the phone in the
// alert's reach.
func TestPhoneAcksAlert(t *testing.T) {
	cfg := config(t, "olga")
	s, stop := startOnce(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := api.Dial(cfg.Home)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CreateGroup(ctx, "hall", "announce", nil); err != nil {
		t.Fatal(err)
	}
	alert, err := c.SendAlert(ctx, "hall", "fire drill at 3")
	if err != nil {
		t.Fatal(err)
	}
	link, err := c.Invite(ctx, "hall", nil)
	if err != nil {
		t.Fatal(err)
	}

	e := engine.New(nil)
	if _, _, err := e.CreateIdentity("pat"); err != nil {
		t.Fatal(err)
	}
	j, err := e.Join(link)
	if err != nil {
		t.Fatal(err)
	}
	h, err := libp2p.New(libp2p.NoListenAddrs)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Connect(ctx, peer.AddrInfo{ID: s.Node.ID(), Addrs: s.Node.Host().Addrs()}); err != nil {
		t.Fatal(err)
	}
	shown := false
	for _, st := range phoneSync(ctx, t, e, h, s.Node.ID(), j.Group.ID) {
		shown = shown || (st.View.Kind == "alert" && st.View.ID == alert.ID && st.View.Text == "fire drill at 3")
	}
	if !shown {
		t.Fatal("the phone did not get the alert by catch-up")
	}
	ack, err := e.AckAlert(j.Group.ID, alert.ID)
	if err != nil {
		t.Fatal(err)
	}
	str, err := h.NewStream(ctx, s.Node.ID(), protocol.ID(ack.Protocol))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := str.Write(ack.Out); err != nil {
		t.Fatal(err)
	}
	status := make([]byte, 1)
	if _, err := io.ReadFull(str, status); err != nil || status[0] != 2 {
		t.Fatalf("the node answered the ack with %v, %v; want 2 (taken)", status, err)
	}
	str.Close()
	testwait.UntilNil(t, time.Minute, "the node counts the phone in the alert's reach", func() error {
		as, err := c.Alerts(ctx, "hall")
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.ID == alert.ID && a.Reached >= 1 {
				return nil
			}
		}
		return fmt.Errorf("alerts %+v", as)
	})
	h.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
