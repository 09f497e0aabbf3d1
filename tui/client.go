package tui

import (
	"context"
	"time"

	"starling/api"
)

// Client is what the chat asks of the daemon; *api.Client satisfies it.
// The chat calls it from several goroutines at once (commands run
// concurrently with the event stream), so it must be safe for concurrent
// use. Every call ends when its context does.
type Client interface {
	Status(ctx context.Context) (api.Status, error)
	Group(ctx context.Context, ref string) (api.GroupDetail, error)
	History(ctx context.Context, ref string, limit int, newest bool, cursor string) (api.Page, error)
	Send(ctx context.Context, ref, text string) (api.SendResponse, error)
	// Watch streams messages and delivery updates (of every group when ref
	// is empty) until ctx ends or the stream does; opened is called once
	// the daemon has subscribed.
	Watch(ctx context.Context, ref string, opened func(), fn func(api.Event) error) error
	Join(ctx context.Context, name string) (api.Group, error)
	CreateGroup(ctx context.Context, name, kind string, endsAt *time.Time) (api.GroupDetail, error)
	Invite(ctx context.Context, ref string, relays []string) (string, error)
	Block(ctx context.Context, fingerprint, mode string) error
}

var _ Client = (*api.Client)(nil)

// The messages the daemon's answers and the event stream turn into; Update
// handles them on the program's goroutine.
type (
	// tickMsg asks for a fresh status (peers, relays, outbox).
	tickMsg   struct{}
	statusMsg struct {
		seq int // which request this answers
		st  api.Status
		err error
	}
	// historyMsg is a page of a group's history: the newest, or the one
	// before cursor.
	historyMsg struct {
		groupID, cursor string
		page            api.Page
		err             error
	}
	eventMsg struct{ ev api.Event }
	// streamMsg says the event stream opened (err nil) or broke.
	streamMsg struct{ err error }
	sentMsg   struct {
		groupID, text string
		res           api.SendResponse
		err           error
	}
	joinedMsg struct {
		id, name string
		err      error
	}
	inviteMsg struct {
		groupID, link string
		err           error
	}
	blockedMsg struct {
		who  author
		mode string
		err  error
	}
)
