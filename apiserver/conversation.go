package apiserver

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"starling/api"
	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// Conversation is what replies, reactions and the @name picker need
// (Config.Conversation); the node's conversation.Service is one.
type Conversation interface {
	// Reply sends text as a reply to target, a text held in the group.
	Reply(ctx context.Context, ref, text string, target message.ID) (*message.Message, int, error)
	// React adds this user's emoji to target; added is false when their
	// reaction with that emoji stood already (m is that one).
	React(ctx context.Context, ref string, target message.ID, emoji string) (m *message.Message, peers int, added bool, err error)
	// Unreact deletes this user's reactions with emoji to target and says
	// how many.
	Unreact(ctx context.Context, ref string, target message.ID, emoji string) (int, error)
	// Reactions counts the reactions to target that stand.
	Reactions(group message.GroupID, target message.ID) []group.ReactionCount
	// People maps the fingerprints seen in a group to their nicknames.
	People(ref string) (map[identity.Fingerprint]string, error)
}

// errNoConversation: the server was given no Conversation.
var errNoConversation = errors.New("this node does not do replies and reactions")

// conversationRoutes registers the endpoints of this file.
func (s *Server) conversationRoutes() {
	s.mux.HandleFunc("POST /v1/groups/{group}/reactions", s.handleReact)
	s.mux.HandleFunc("GET /v1/groups/{group}/people", s.handlePeople)
}

func (s *Server) conversation(w http.ResponseWriter) (Conversation, bool) {
	return provided(w, s.cfg.Conversation, errNoConversation)
}

// handleReply is POST /v1/groups/{group}/messages with a Reply.
func (s *Server) handleReply(w http.ResponseWriter, r *http.Request, req api.SendRequest) {
	c, ok := s.conversation(w)
	if !ok {
		return
	}
	ref := r.PathValue("group")
	target, err := s.messageID(ref, req.Reply)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeSent(w, r, func() (*message.Message, int, error) { return c.Reply(r.Context(), ref, req.Text, target) })
}

func (s *Server) handleReact(w http.ResponseWriter, r *http.Request) {
	c, ok := s.conversation(w)
	if !ok {
		return
	}
	var req api.ReactRequest
	if err := readJSON(w, r, &req); err != nil {
		failBody(w, err)
		return
	}
	ref := r.PathValue("group")
	g, err := s.cfg.Backend.ResolveGroup(ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := group.CheckEmoji(req.Emoji); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("%q is not one emoji: %w", req.Emoji, err))
		return
	}
	target, err := s.messageID(ref, req.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := api.ReactResponse{ID: target.String(), Group: g.Name, GroupID: g.ID.String()}
	if req.Remove {
		n, err := c.Unreact(r.Context(), ref, target, req.Emoji)
		if err != nil {
			s.fail(w, r, s.refused(ref, err))
			return
		}
		res.Changed = n > 0
	} else {
		_, peers, added, err := c.React(r.Context(), ref, target, req.Emoji)
		if err != nil {
			s.fail(w, r, s.refused(ref, err))
			return
		}
		res.Changed, res.Peers = added, peers
	}
	res.Reactions = s.reactionViews(c, g.ID, target)
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handlePeople(w http.ResponseWriter, r *http.Request) {
	c, ok := s.conversation(w)
	if !ok {
		return
	}
	people, err := c.People(r.PathValue("group"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]api.Speaker, 0, len(people))
	for fp, name := range people {
		out = append(out, api.Speaker{Fingerprint: string(fp), Name: name})
	}
	slices.SortFunc(out, func(a, b api.Speaker) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Fingerprint, b.Fingerprint)
	})
	writeJSON(w, http.StatusOK, out)
}

// Message IDs in requests: the full 64 hex digits, or a prefix of at least
// minIDPrefix digits unique among the group's newest idScan messages.
const (
	minIDPrefix = 8
	idScan      = 5000
)

// messageID resolves a message ID or unique prefix in the group ref names.
func (s *Server) messageID(ref, id string) (message.ID, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) == 2*len(message.ID{}) {
		m, err := message.ParseID(id)
		if err != nil {
			return message.ID{}, fmt.Errorf("%w: %v", errBadRequest, err)
		}
		return m, nil
	}
	if len(id) < minIDPrefix || len(id) > 2*len(message.ID{}) {
		return message.ID{}, fmt.Errorf("%w: a message ID is 64 hex digits, or the first %d or more of them (as `starling log` shows)", errBadRequest, minIDPrefix)
	}
	if _, err := hex.DecodeString(id[:len(id)&^1]); err != nil {
		return message.ID{}, fmt.Errorf("%w: message ID %q is not hex", errBadRequest, id)
	}
	var found []message.ID
	q := store.Query{Newest: true, Limit: 1000}
	for seen := 0; seen < idScan; {
		_, page, err := s.cfg.Backend.History(ref, q)
		if err != nil {
			return message.ID{}, err
		}
		for _, st := range page.Messages {
			if strings.HasPrefix(st.Msg.ID.String(), id) && st.Msg.Body.Kind == message.KindText {
				found = append(found, st.Msg.ID)
			}
		}
		seen += len(page.Messages)
		if q.Cursor = page.Next; q.Cursor == "" {
			break
		}
	}
	switch len(found) {
	case 0:
		return message.ID{}, fmt.Errorf("no text whose ID starts with %s among the newest %d messages of %s: %w", id, idScan, ref, store.ErrNotFound)
	case 1:
		return found[0], nil
	}
	return message.ID{}, fmt.Errorf("%w: %d texts have IDs that start with %s; give more digits", errBadRequest, len(found), id)
}

// reactionViews is the API's view of the reactions to target: muted
// authors left out (blocked ones are never stored), and this user's own
// marked.
func (s *Server) reactionViews(c Conversation, gid message.GroupID, target message.ID) []api.Reaction {
	b := s.cfg.Backend
	me := b.User().PublicKey()
	var st *group.State
	if _, state, err := b.GroupState(gid.String()); err == nil {
		st = state
	}
	var out []api.Reaction
	for _, rc := range c.Reactions(gid, target) {
		v := api.Reaction{Emoji: rc.Emoji}
		for _, k := range rc.Authors {
			if b.BlockMode(k) != "" {
				continue
			}
			v.Count++
			v.Mine = v.Mine || k.Equal(me)
			if len(v.Names) < api.MaxReactionNames {
				v.Names = append(v.Names, nameOf(st, k))
			}
		}
		if v.Count > 0 {
			out = append(out, v)
		}
	}
	// Muting may have changed the order the counts give.
	slices.SortStableFunc(out, func(a, b api.Reaction) int { return b.Count - a.Count })
	return out
}

// nameOf is an author's nickname in the group's profiles, else the start
// of their fingerprint.
func nameOf(st *group.State, k ed25519.PublicKey) string {
	if st != nil {
		if p, ok := st.Profile(k); ok {
			return p.Nick
		}
	}
	return string(identity.FingerprintOf(k))[:8]
}

// decorate adds to a text's view its reactions and whether it mentions
// this user.
func (s *Server) decorate(v *api.Message, st store.Stored) {
	if st.Msg.Body.Kind != message.KindText {
		return
	}
	if c := s.cfg.Conversation; c != nil {
		v.Reactions = s.reactionViews(c, st.Msg.Body.Group, st.Msg.ID)
	}
	if !st.Msg.Body.Author.Equal(s.cfg.Backend.User().PublicKey()) {
		v.MentionsYou = api.Mentions(v.Text, s.cfg.Backend.User().Name)
	}
}

// reactionEvent is what a stored reaction, or the deletion of one, shows
// on the event stream: the new counts of the text it reacts to. ok is
// false for other messages.
func (s *Server) reactionEvent(st store.Stored, groupName string) (api.ReactionsUpdate, bool) {
	target, ok := s.reactionTargetOf(st)
	if !ok {
		return api.ReactionsUpdate{}, false
	}
	u := api.ReactionsUpdate{ID: target.String(), Group: groupName, GroupID: st.Msg.Body.Group.String(), Reactions: []api.Reaction{}}
	if c := s.cfg.Conversation; c != nil {
		if rs := s.reactionViews(c, st.Msg.Body.Group, target); rs != nil {
			u.Reactions = rs
		}
	}
	return u, true
}

// reactionTargetOf: the text a reaction, or the deletion of a reaction,
// is about.
func (s *Server) reactionTargetOf(st store.Stored) (message.ID, bool) {
	b := &st.Msg.Body
	switch b.Kind {
	case message.KindReaction:
		return b.Ref, true
	case message.KindDelete:
		if _, state, err := s.cfg.Backend.GroupState(b.Group.String()); err == nil {
			return state.ReactionTarget(b.Ref)
		}
	}
	return message.ID{}, false
}
