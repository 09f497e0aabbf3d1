package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"starling/api"
)

const (
	// writeTimeout bounds one frame to the page; a page that takes longer
	// is gone or stuck, and loses its socket.
	writeTimeout = 10 * time.Second
	// pingEvery is how often the socket checks that the page still
	// answers, so a page that went away without closing frees its slot.
	pingEvery = 15 * time.Second
)

// Frame is what the socket sends, one JSON object per WebSocket message:
// Type "open" once the stream is live (every event after it reaches the
// page, so a page that reads history after "open" misses nothing), then the
// API's events as they come ("message", "delivery", as api.Event.Name
// names them) with the JSON the API's event stream carries as Data, and
// "end" with an error object when the stream ends.
type Frame struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

// serveSocket upgrades to a WebSocket that carries the API's events. The
// page sends nothing on it; it reconnects when the socket closes.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		writeError(w, http.StatusServiceUnavailable, errors.New("too many open pages on this web UI; close one"))
		return
	}
	// Serve waits for s.sockets; Add runs before the upgrade, while
	// Shutdown still counts this request.
	s.sockets.Add(1)
	defer s.sockets.Done()
	// ServeHTTP has checked Origin against Host; Accept checks it again.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{Protocol}})
	if err != nil {
		s.log.Debug("websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	defer c.CloseNow()
	if c.Subprotocol() != Protocol {
		c.Close(websocket.StatusPolicyViolation, "offer the "+Protocol+" subprotocol")
		return
	}
	c.SetReadLimit(4 << 10)
	ctx := c.CloseRead(r.Context())
	err = s.stream(ctx, c)
	switch {
	case ctx.Err() != nil:
		// The page went, or the server is stopping: no close handshake to
		// wait for (the page reconnects either way).
		c.CloseNow()
	case errors.Is(err, api.ErrStreamEnded):
		c.Close(websocket.StatusNormalClosure, "the event stream ended; reconnect")
	default:
		s.log.Debug("event socket ended", "remote", r.RemoteAddr, "err", err)
		c.Close(websocket.StatusInternalError, "the event stream failed; reconnect")
	}
}

// stream sends the API's events of every group to c, as Frames, until ctx
// ends, the page stops answering or the API ends the stream; it says why
// in an "end" frame when the API ended it or refused it. It returns why it
// ended.
func (s *Server) stream(ctx context.Context, c *websocket.Conn) error {
	ctx, cancel := context.WithCancelCause(ctx)
	send := func(f Frame) error {
		b, err := json.Marshal(f)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		defer cancel()
		return c.Write(wctx, websocket.MessageText, b)
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel(nil) // before Wait: it ends the pings
	wg.Go(func() { s.ping(ctx, c, cancel) })

	opened := false
	err := s.cfg.API.Watch(ctx, "", func() {
		opened = true
		if err := send(Frame{Type: "open"}); err != nil {
			cancel(err)
		}
	}, func(e api.Event) error {
		data, err := e.Data()
		if err != nil {
			return err
		}
		return send(Frame{Type: e.Name(), Data: data})
	})
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause // the page failed to take a frame or a ping
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil && (!opened || errors.Is(err, api.ErrStreamEnded)) {
		// The API refused the stream or ended it: the page hears why.
		body, merr := json.Marshal(api.Error{Error: err.Error()})
		if merr == nil {
			err = errors.Join(err, send(Frame{Type: "end", Data: body}))
		}
	}
	return err
}

// ping checks every pingEvery that the page still answers, and ends the
// stream (cancel) when it does not. It returns when ctx ends.
func (s *Server) ping(ctx context.Context, c *websocket.Conn, cancel context.CancelCauseFunc) {
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, done := context.WithTimeout(ctx, writeTimeout)
		err := c.Ping(pctx)
		done()
		if err != nil && ctx.Err() == nil {
			cancel(fmt.Errorf("the page did not answer a ping: %w", err))
			return
		}
	}
}
