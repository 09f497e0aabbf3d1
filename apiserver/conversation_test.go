package apiserver_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"starling/api"
	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/node"
	"starling/store"
)

// stranger signs a message in a joined channel as someone else and stores
// it on n as if gossip had brought it.
func stranger(t testing.TB, n *node.Node, u *identity.User, gid message.GroupID, c group.Content, ref message.ID) *message.Message {
	t.Helper()
	payload, err := group.EncodePayload(c)
	if err != nil {
		t.Fatal(err)
	}
	m, err := message.Sign(u.PrivateKey(), message.Body{Group: gid, SentAtMS: message.TimeMS(time.Now()), Kind: c.MessageKind(), Ref: ref, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Store().Put(context.Background(), m, store.OriginGossip); err != nil {
		t.Fatal(err)
	}
	return m
}

// watchAll streams every event of ref.
func watchAll(t testing.TB, s *testServer, ref string) <-chan api.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	got, done, opened := make(chan api.Event, 64), make(chan error, 1), make(chan struct{})
	go func() {
		done <- s.client.Watch(ctx, ref, func() { close(opened) }, func(e api.Event) error {
			got <- e
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-opened:
	case err := <-done:
		t.Fatalf("the stream did not open: %v", err)
	}
	return got
}

// nextReactions waits for the next reactions event, skipping others.
func nextReactions(t testing.TB, events <-chan api.Event) api.ReactionsUpdate {
	t.Helper()
	return *nextEvent(t, events, "reactions", func(e api.Event) bool { return e.Reactions != nil }).Reactions
}

// nextEvent waits for the next event that is, skipping others.
func nextEvent(t testing.TB, events <-chan api.Event, what string, is func(api.Event) bool) api.Event {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case e := <-events:
			if is(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event within %s", what, waitTimeout)
		}
	}
}

func counts(rs []api.Reaction) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		out[r.Emoji] = r.Count
	}
	return out
}

// Replies (by ID and by unique prefix), reactions (one per person per
// emoji, taken back, counted on history and streamed), mentions and the
// people an @name picker offers, against a real node.
func TestConversationAgainstNode(t *testing.T) {
	n := startNode(t)
	s := startServer(t, n)
	c := s.client
	ctx := context.Background()
	g, err := c.Join(ctx, "lobby")
	if err != nil {
		t.Fatal(err)
	}
	gid, _ := message.ParseGroupID(g.ID)
	events := watchAll(t, s, "lobby")

	bob, err := identity.NewUser("bob")
	if err != nil {
		t.Fatal(err)
	}
	hello := stranger(t, n, bob, gid, group.Text{Text: "hello @Nora, and @norbert", Nick: "bob"}, message.ID{})
	plain := stranger(t, n, bob, gid, group.Text{Text: "hello @noraxx", Nick: "bob"}, message.ID{})

	// Reply by a unique prefix; the reply carries the ref.
	res, err := c.Reply(ctx, "lobby", "hi bob", hello.ID.String()[:10])
	if err != nil {
		t.Fatal(err)
	}
	if res.Message.Ref != hello.ID.String() {
		t.Errorf("the reply's ref is %q, want %s", res.Message.Ref, hello.ID)
	}
	s.requireError(t, http.StatusNotFound, "no text whose ID starts with", "POST", "/v1/groups/lobby/messages", `{"text":"x","reply":"00000000"}`)
	s.requireError(t, http.StatusBadRequest, "first 8 or more", "POST", "/v1/groups/lobby/messages", `{"text":"x","reply":"abc"}`)

	// React, the same again (no change), bob's, take back.
	r, err := c.React(ctx, "lobby", hello.ID.String(), "👍", false)
	if err != nil || !r.Changed || r.ID != hello.ID.String() {
		t.Fatalf("react: %+v, %v", r, err)
	}
	if got := counts(r.Reactions); got["👍"] != 1 || !r.Reactions[0].Mine {
		t.Errorf("after reacting: %+v", r.Reactions)
	}
	if u := nextReactions(t, events); u.ID != hello.ID.String() || counts(u.Reactions)["👍"] != 1 {
		t.Errorf("reactions event: %+v", u)
	}
	if r, err := c.React(ctx, "lobby", hello.ID.String(), "👍", false); err != nil || r.Changed || counts(r.Reactions)["👍"] != 1 {
		t.Errorf("the same reaction again: %+v, %v", r, err)
	}
	stranger(t, n, bob, gid, group.Reaction{Emoji: "👍", Target: hello.ID}, hello.ID)
	stranger(t, n, bob, gid, group.Reaction{Emoji: "👍", Target: hello.ID}, hello.ID) // his second counts nothing
	for u := nextReactions(t, events); counts(u.Reactions)["👍"] != 2; u = nextReactions(t, events) {
	}
	page, err := c.History(ctx, "lobby", 0, false, "")
	if err != nil {
		t.Fatal(err)
	}
	var seen bool
	for _, m := range page.Messages {
		switch m.ID {
		case hello.ID.String():
			seen = true
			if got := counts(m.Reactions); len(got) != 1 || got["👍"] != 2 {
				t.Errorf("history's reactions: %+v", m.Reactions)
			}
			if !m.MentionsYou {
				t.Error("a text with @Nora does not mention nora")
			}
		case plain.ID.String():
			if m.MentionsYou {
				t.Error("@noraxx mentions nora")
			}
		case res.Message.ID:
			if m.MentionsYou {
				t.Error("nora's own text mentions her")
			}
		}
		if m.Kind == "reaction" {
			t.Errorf("history shows a reaction as a message: %+v", m)
		}
	}
	if !seen {
		t.Fatal("history lacks the text")
	}

	r, err = c.React(ctx, "lobby", hello.ID.String(), "👍", true)
	if err != nil || !r.Changed || counts(r.Reactions)["👍"] != 1 || r.Reactions[0].Mine {
		t.Errorf("take back: %+v, %v", r, err)
	}
	for u := nextReactions(t, events); counts(u.Reactions)["👍"] != 1; u = nextReactions(t, events) {
	}
	if r, err := c.React(ctx, "lobby", hello.ID.String(), "👍", true); err != nil || r.Changed {
		t.Errorf("taking back again: %+v, %v", r, err)
	}
	page, _ = c.History(ctx, "lobby", 0, false, "")
	for _, m := range page.Messages {
		if m.Kind == "delete" {
			t.Errorf("history shows a reaction taken back as a deletion: %+v", m)
		}
	}

	var apiErr *api.APIError
	if _, err := c.React(ctx, "lobby", hello.ID.String(), "yes", false); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Errorf("a word for an emoji: %v", err)
	}
	if _, err := c.React(ctx, "lobby", message.ID{9}.String(), "👍", false); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("a reaction to no message: %v", err)
	}

	people, err := c.People(ctx, "lobby")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, p := range people {
		names[p.Name] = p.Fingerprint
	}
	if names["bob"] != string(bob.Fingerprint()) || names["nora"] != string(n.User().Fingerprint()) {
		t.Errorf("people: %+v", people)
	}
}
