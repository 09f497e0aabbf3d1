package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"starling/message"
)

// keepAlive is how often an idle event stream sends a comment, so that
// clients and proxies can tell a quiet group from a dead daemon.
const keepAlive = 15 * time.Second

// handleEvents streams new messages as server-sent events: each event is
// `event: message` with a Message as data, or `event: delivery` with a
// Delivery when one of this user's messages got further. With ?group=REF
// only that group's.
// When the backend ends the subscription (the client fell behind, or the
// node is shutting down), the stream ends with `event: end` whose data is an
// Error saying why; the client reads history from where it was and
// reconnects.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	b := s.cfg.Backend
	var only *message.GroupID
	if ref := r.URL.Query().Get("group"); ref != "" {
		g, err := b.ResolveGroup(ref)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		only = &g.ID
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, fmt.Errorf("streaming unsupported"))
		return
	}
	events, errf := b.Subscribe(r.Context())
	defer errf()
	deliveries, derrf := b.SubscribeDeliveries(r.Context())
	defer derrf()

	names := map[message.GroupID]string{}
	nameOf := func(id message.GroupID) string {
		if n, ok := names[id]; ok {
			return n
		}
		n := id.String()
		if g, err := b.ResolveGroup(n); err == nil {
			n = g.Name
		}
		names[id] = n
		return n
	}

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": starling event stream\n\n")
	flusher.Flush()

	end := func(errf func() error) {
		reason := "closed"
		if err := errf(); err != nil {
			reason = err.Error()
		}
		fmt.Fprintf(w, "event: end\ndata: %s\n\n", mustJSON(Error{Error: reason}))
		flusher.Flush()
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		case d, ok := <-deliveries:
			if !ok {
				end(derrf)
				return
			}
			if only != nil && d.Group != *only {
				continue
			}
			fmt.Fprintf(w, "event: delivery\ndata: %s\n\n", mustJSON(NewDelivery(d, nameOf(d.Group))))
			flusher.Flush()
		case st, ok := <-events:
			if !ok {
				end(errf)
				return
			}
			if only != nil && st.Msg.Body.Group != *only {
				continue
			}
			if v, ok := s.view(st, nameOf(st.Msg.Body.Group)); ok {
				fmt.Fprintf(w, "event: message\ndata: %s\n\n", mustJSON(v))
				flusher.Flush()
			}
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{"error":"encoding failed"}`)
	}
	return b
}

func hexKey(k []byte) string { return fmt.Sprintf("%x", k) }
