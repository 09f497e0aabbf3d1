package api

import (
	"context"
	"net/url"
)

// Conversation: replies, reactions and mentions.
//
// A reply is a text whose ref names the message it answers:
// SendRequest.Reply. A reaction is one emoji on a text, one per person per
// emoji: POST /v1/groups/{group}/reactions adds or (Remove) takes back
// this user's; each text in history and on the stream carries the counts
// (Message.Reactions), and the stream's "reactions" event carries a text's
// new counts when they change. A mention is "@name" in a text: the server
// marks the texts that mention this user (Message.MentionsYou), and
// GET /v1/groups/{group}/people lists the nicknames an @name picker offers
// (see CompleteMention).

// Reaction is one emoji's reactions to a message: Count distinct people
// (one per person, however many reactions they signed).
type Reaction struct {
	Emoji string `json:"emoji"`
	Count int    `json:"count"`
	// Mine: this user's reaction is among them; they may take it back.
	Mine bool `json:"mine,omitempty"`
	// Names are the nicknames of the first MaxReactionNames who reacted
	// (as this node knows them), for a tooltip.
	Names []string `json:"names,omitempty"`
}

// MaxReactionNames bounds Reaction.Names.
const MaxReactionNames = 10

// ReactRequest is the body of POST /v1/groups/{group}/reactions: ID names
// the text (its ID, or a prefix of at least 8 hex digits unique among the
// group's recent messages).
type ReactRequest struct {
	ID     string `json:"id"`
	Emoji  string `json:"emoji"`
	Remove bool   `json:"remove,omitempty"`
}

// ReactResponse says what a ReactRequest did. Changed is false when there
// was nothing to do: this user's reaction with that emoji stood already,
// or there was none to take back.
type ReactResponse struct {
	ID        string     `json:"id"`
	Group     string     `json:"group"`
	GroupID   string     `json:"group_id"`
	Changed   bool       `json:"changed"`
	Peers     int        `json:"peers"`
	Reactions []Reaction `json:"reactions"`
}

// ReactionsUpdate is the stream's "reactions" event: the reactions to the
// text ID now.
type ReactionsUpdate struct {
	ID        string     `json:"id"`
	Group     string     `json:"group"`
	GroupID   string     `json:"group_id"`
	Reactions []Reaction `json:"reactions"`
}

// Speaker is someone seen in a group: GET /v1/groups/{group}/people.
type Speaker struct {
	Fingerprint string `json:"fingerprint"`
	Name        string `json:"name"`
}

// Reply sends text as a reply to the message replyTo names (an ID or a
// unique prefix).
func (c *Client) Reply(ctx context.Context, ref, text, replyTo string) (SendResponse, error) {
	if err := CheckText(text); err != nil {
		return SendResponse{}, err
	}
	var v SendResponse
	return v, c.do(ctx, "POST", "/v1/groups/"+url.PathEscape(ref)+"/messages", SendRequest{Text: text, Reply: replyTo}, &v)
}

// React adds this user's emoji to the text id names, or takes it back
// (remove).
func (c *Client) React(ctx context.Context, ref, id, emoji string, remove bool) (ReactResponse, error) {
	var v ReactResponse
	return v, c.do(ctx, "POST", "/v1/groups/"+url.PathEscape(ref)+"/reactions", ReactRequest{ID: id, Emoji: emoji, Remove: remove}, &v)
}

// People lists the nicknames seen in a group, for an @name picker.
func (c *Client) People(ctx context.Context, ref string) ([]Speaker, error) {
	var v []Speaker
	return v, c.do(ctx, "GET", "/v1/groups/"+url.PathEscape(ref)+"/people", nil, &v)
}
