package webui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

const (
	// writeTimeout bounds one frame to the page; a page that takes longer
	// is gone or stuck, and loses its socket.
	writeTimeout = 10 * time.Second
	// maxEvent bounds one event line from the API (a message is at most
	// 16 KiB of text, escaped in JSON).
	maxEvent = 1 << 20
)

// Frame is what the socket sends, one JSON object per WebSocket message:
// Type "open" once the stream is live (every event after it reaches the
// page, so a page that reads history after "open" misses nothing), then the
// API's events as they come ("message", "delivery", ...) with the API's own
// JSON as Data, and "end" with an error object when the stream ends.
type Frame struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

// serveSocket upgrades to a WebSocket that carries the API's event stream.
// The page sends nothing on it; it reconnects when the socket closes.
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
	case err != nil:
		s.log.Debug("event socket ended", "remote", r.RemoteAddr, "err", err)
		c.Close(websocket.StatusInternalError, "the event stream failed; reconnect")
	default:
		c.Close(websocket.StatusNormalClosure, "the event stream ended; reconnect")
	}
}

// stream runs the API's GET /v1/events in this process and sends each
// event to c until ctx ends or the stream does.
func (s *Server) stream(ctx context.Context, c *websocket.Conn) error {
	ctx, cancel := context.WithCancel(ctx)
	req, err := s.apiRequest(ctx, http.MethodGet, "/v1/events", nil)
	if err != nil {
		cancel()
		return err
	}
	pr, pw := io.Pipe()
	rw := &pipeResponse{header: http.Header{}, w: pw}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.cfg.API.ServeHTTP(rw, req)
		pw.Close()
	}()
	defer func() {
		// The handler returns once ctx ends; closing the reader frees it
		// from a write that nobody will read.
		cancel()
		pr.Close()
		<-done
	}()
	return s.relay(ctx, c, pr, rw)
}

// relay reads server-sent events from r and sends them to c as Frames.
func (s *Server) relay(ctx context.Context, c *websocket.Conn, r io.Reader, rw *pipeResponse) error {
	send := func(f Frame) error {
		b, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("event from the API is not JSON: %w", err)
		}
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		defer cancel()
		return c.Write(wctx, websocket.MessageText, b)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxEvent)
	opened := false
	var event string
	var data []string
	for sc.Scan() {
		if !opened {
			opened = true
			if status := rw.status(); status != http.StatusOK {
				// The API refused; its body is one line, an error object.
				err := fmt.Errorf("the API answered %d to the event stream", status)
				body := sc.Bytes()
				if !json.Valid(body) {
					body, _ = json.Marshal(map[string]string{"error": err.Error()})
				}
				return errors.Join(err, send(Frame{Type: "end", Data: body}))
			}
			if err := send(Frame{Type: "open"}); err != nil {
				return err
			}
		}
		line := sc.Text()
		switch {
		case line == "":
			if event != "" && data != nil {
				if err := send(Frame{Type: event, Data: json.RawMessage(strings.Join(data, "\n"))}); err != nil {
					return err
				}
				if event == "end" {
					return nil
				}
			}
			event, data = "", nil
		case line == ": keep-alive":
			// The API is idle; check that the page still answers.
			pctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := c.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("the page did not answer a ping: %w", err)
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("read the API's event stream: %w", err)
	}
	return nil
}

// pipeResponse is the http.ResponseWriter of an in-process streaming
// request: the body goes into a pipe that relay reads. Flush has nothing
// to do, since a pipe write returns only once it is read.
type pipeResponse struct {
	header http.Header // the handler's goroutine only
	w      *io.PipeWriter

	mu   sync.Mutex
	code int
}

func (p *pipeResponse) Header() http.Header { return p.header }

func (p *pipeResponse) WriteHeader(code int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.code == 0 {
		p.code = code
	}
}

func (p *pipeResponse) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return p.w.Write(b)
}

func (p *pipeResponse) Flush() {}

func (p *pipeResponse) status() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code
}
