package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"starling/api"
	"starling/message"
)

// keepAlive is how often an event stream sends a comment, so that clients
// and proxies can tell a quiet group from a dead daemon.
const keepAlive = 15 * time.Second

// Watch streams, in this process, what GET /v1/events streams over HTTP:
// each new message and each change to where one of this user's messages
// went (of the group ref names; of every group when ref is empty), to fn,
// until ctx ends (ctx.Err()), fn fails (its error) or the backend ends the
// subscription (an error wrapping api.ErrStreamEnded with the reason). A ref
// that names no joined group fails before anything else. opened, if not
// nil, is called once subscribed: every message stored after that reaches
// fn. It is api.Client.Watch without HTTP, for the web UI in the same
// process. fn runs on the caller's goroutine and may block: the backend
// ends a subscription that falls too far behind.
func (s *Server) Watch(ctx context.Context, ref string, opened func(), fn func(api.Event) error) error {
	return s.watch(ctx, ref, opened, fn, nil)
}

// ended is how the backend ended a subscription; reason is its words.
type ended struct{ reason string }

func (e ended) Error() string { return api.ErrStreamEnded.Error() + ": " + e.reason }
func (e ended) Unwrap() error { return api.ErrStreamEnded }

// endOf is the error that says why the backend ended a subscription.
func endOf(errf func() error) error {
	if err := errf(); err != nil {
		return ended{reason: err.Error()}
	}
	return ended{reason: "closed"}
}

// watch is Watch that also calls idle every keepAlive when idle is not nil;
// an error from idle ends it.
func (s *Server) watch(ctx context.Context, ref string, opened func(), fn func(api.Event) error, idle func() error) error {
	b := s.cfg.Backend
	var only *message.GroupID
	if ref != "" {
		g, err := b.ResolveGroup(ref)
		if err != nil {
			return err
		}
		only = &g.ID
	}
	events, errf := b.Subscribe(ctx)
	defer errf()
	deliveries, derrf := b.SubscribeDeliveries(ctx)
	defer derrf()

	names := map[message.GroupID]string{}
	groupName := func(id message.GroupID) string {
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

	if opened != nil {
		opened()
	}
	var tick <-chan time.Time
	if idle != nil {
		t := time.NewTicker(keepAlive)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
			if err := idle(); err != nil {
				return err
			}
		case d, ok := <-deliveries:
			if !ok {
				return endOf(derrf)
			}
			if only != nil && d.Group != *only {
				continue
			}
			v := NewDelivery(d, groupName(d.Group))
			if err := fn(api.Event{Delivery: &v}); err != nil {
				return err
			}
		case st, ok := <-events:
			if !ok {
				return endOf(errf)
			}
			if only != nil && st.Msg.Body.Group != *only {
				continue
			}
			if u, ok := s.reactionEvent(st, groupName(st.Msg.Body.Group)); ok {
				if err := fn(api.Event{Reactions: &u}); err != nil {
					return err
				}
				continue
			}
			if v, ok := s.view(st, groupName(st.Msg.Body.Group)); ok {
				if err := fn(api.Event{Message: &v}); err != nil {
					return err
				}
			}
		}
	}
}

// handleEvents streams Watch as server-sent events (see package api): each
// new message, and each change to where one of this user's messages went;
// with ?group=REF only that group's. When the backend ends the subscription
// (the client fell behind, or the node is shutting down), the stream ends
// with an "end" event saying why; the client reads history from where it
// was and reconnects.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, fmt.Errorf("streaming unsupported"))
		return
	}
	// The answer goes out once the subscription is live, so a client that
	// reads history after the answer misses nothing.
	opened := false
	open := func() {
		opened = true
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		_ = api.WriteComment(w, "starling event stream")
		flusher.Flush()
	}
	send := func(e api.Event) error {
		if err := api.WriteEvent(w, e); err != nil {
			return err
		}
		flusher.Flush()
		return nil
	}
	idle := func() error {
		if err := api.WriteComment(w, "keep-alive"); err != nil {
			return err
		}
		flusher.Flush()
		return nil
	}
	err := s.watch(r.Context(), r.URL.Query().Get("group"), open, send, idle)
	var end ended
	switch {
	case !opened:
		s.fail(w, r, err)
	case errors.As(err, &end):
		_ = api.WriteEnd(w, end.reason)
		flusher.Flush()
	}
}
