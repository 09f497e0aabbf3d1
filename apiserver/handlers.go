package apiserver

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"

	"starling/api"
	"starling/group"
	"starling/message"
	"starling/relay"
	"starling/store"
)

// statusOf maps a backend error to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, group.ErrNotJoined), errors.Is(err, store.ErrNotFound), errors.Is(err, group.ErrUnknownPerson):
		return http.StatusNotFound
	case errors.Is(err, group.ErrBadName), errors.Is(err, message.ErrBadPayload),
		errors.Is(err, store.ErrBadCursor), errors.Is(err, group.ErrBadPayload),
		errors.Is(err, group.ErrBadInvite), errors.Is(err, errBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, group.ErrNotAllowed), errors.Is(err, group.ErrRemoved), errors.Is(err, group.ErrBanned),
		errors.Is(err, group.ErrNotMember), errors.Is(err, group.ErrRevoked):
		return http.StatusForbidden
	case errors.Is(err, group.ErrNameTaken):
		return http.StatusConflict
	case errors.Is(err, group.ErrStale), errors.Is(err, group.ErrNoCurrentKey):
		// The node's view of the group is not there yet; it may be soon.
		return http.StatusConflict
	case errors.Is(err, group.ErrRateLimited):
		return http.StatusTooManyRequests
	case errors.Is(err, group.ErrGroupExpired):
		return http.StatusGone
	case errors.Is(err, message.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		s.log.Warn("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, status, err)
}

func (s *Server) handleID(w http.ResponseWriter, r *http.Request) {
	b := s.cfg.Backend
	id := api.Identity{
		PeerID:      b.ID().String(),
		Addrs:       []string{},
		Fingerprint: string(b.User().Fingerprint()),
		Name:        b.User().Name,
		PublicKey:   hex.EncodeToString(b.User().PublicKey()),
	}
	for _, a := range b.Addrs() {
		id.Addrs = append(id.Addrs, a.String())
	}
	writeJSON(w, http.StatusOK, id)
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	b := s.cfg.Backend
	groups, err := s.groupViews()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	outbox, err := b.OutboxLen()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st := api.Status{
		PeerID:      b.ID().String(),
		Fingerprint: string(b.User().Fingerprint()),
		Name:        b.User().Name,
		Started:     b.Started().UTC(),
		Peers:       len(b.ConnectedPeers()),
		Outbox:      outbox,
		Groups:      groups,
		Relays:      relayViews(b.Relays()),
		Gossip:      b.GossipStats().Map(),
	}
	if r, ok := b.(storeReporter); ok {
		h := NewStoreHealth(r.Disk(), r.CorruptSkipped())
		st.Store = &h
	}
	s.diagnose(&st)
	writeJSON(w, http.StatusOK, st)
}

// storeReporter is what the status shows of the store, when the Backend
// has it (the node does; test fakes need not).
type storeReporter interface {
	Disk() store.Disk
	CorruptSkipped() uint64
}

func (s *Server) groupViews() ([]api.Group, error) {
	b := s.cfg.Backend
	groups, err := b.Groups()
	if err != nil {
		return nil, err
	}
	out := []api.Group{}
	for _, g := range groups {
		n, err := b.Count(g.ID)
		if err != nil {
			return nil, err
		}
		v := NewGroup(g, n, len(b.GroupPeers(g.ID)))
		v.Refused = s.refusedIn(g.ID, g.Name)
		if r, ok := b.LastSync(g.ID); ok {
			last := NewSync(r, g.Name)
			v.LastSync = &last
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) handlePeers(w http.ResponseWriter, r *http.Request) {
	b := s.cfg.Backend
	groups, err := b.Groups()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	inGroup := map[string][]string{}
	for _, g := range groups {
		for _, p := range b.GroupPeers(g.ID) {
			inGroup[p.String()] = append(inGroup[p.String()], g.Name)
		}
	}
	out := []api.Peer{}
	for _, p := range b.ConnectedPeers() {
		v := api.Peer{PeerID: p.ID.String(), Addrs: []string{}, Groups: inGroup[p.ID.String()]}
		if v.Groups == nil {
			v.Groups = []string{}
		}
		for _, a := range p.Addrs {
			v.Addrs = append(v.Addrs, a.String())
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGroups(w http.ResponseWriter, r *http.Request) {
	if v := r.URL.Query().Get("left"); v != "" {
		left, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, errors.New("left must be true or false"))
			return
		}
		if left {
			s.handleLeftGroups(w, r)
			return
		}
	}
	groups, err := s.groupViews()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, groups)
}

// handleLeftGroups lists the groups this user left, with their kept
// messages and how to join each again.
func (s *Server) handleLeftGroups(w http.ResponseWriter, r *http.Request) {
	b := s.cfg.Backend
	groups, err := b.LeftGroups()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []api.Group{}
	for _, g := range groups {
		n, err := b.Count(g.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out = append(out, NewGroup(g, n, 0))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleJoin(w http.ResponseWriter, r *http.Request) {
	var req api.JoinRequest
	if err := readJSON(w, r, &req); err != nil {
		failBody(w, err)
		return
	}
	join := s.cfg.Backend.Join
	if req.Channel {
		join = s.cfg.Backend.JoinChannel
	}
	g, err := join(r.Context(), req.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, _ := s.cfg.Backend.Count(g.ID)
	writeJSON(w, http.StatusOK, NewGroup(g, n, len(s.cfg.Backend.GroupPeers(g.ID))))
}

func (s *Server) handleLeave(w http.ResponseWriter, r *http.Request) {
	g, err := s.cfg.Backend.Leave(r.Context(), r.PathValue("group"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, _ := s.cfg.Backend.Count(g.ID)
	writeJSON(w, http.StatusOK, NewGroup(g, n, 0))
}

func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	q := store.Query{Cursor: store.Cursor(r.URL.Query().Get("cursor"))}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, errors.New("limit must be a positive whole number"))
			return
		}
		q.Limit = n
	}
	if v := r.URL.Query().Get("newest"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, errors.New("newest must be true or false"))
			return
		}
		q.Newest = b
	}
	g, page, err := s.cfg.Backend.History(r.PathValue("group"), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := api.Page{Messages: make([]api.Message, 0, len(page.Messages)), Next: string(page.Next), Skipped: page.Skipped}
	for _, m := range page.Messages {
		if v, ok := s.view(m, g.Name); ok {
			out.Messages = append(out.Messages, v)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	var req api.SendRequest
	if err := readJSON(w, r, &req); err != nil {
		failBody(w, err)
		return
	}
	if err := api.CheckText(req.Text); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if req.Reply != "" {
		s.handleReply(w, r, req)
		return
	}
	ref := r.PathValue("group")
	g, err := s.cfg.Backend.ResolveGroup(ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, peers, err := s.cfg.Backend.Send(r.Context(), ref, req.Text)
	if err != nil {
		s.fail(w, r, s.refused(ref, err))
		return
	}
	view, _ := s.view(store.Stored{Msg: m, Origin: store.OriginOwn, ReceivedAt: m.Body.SentAt()}, g.Name)
	writeJSON(w, http.StatusOK, api.SendResponse{Message: view, Peers: peers, Queued: peers == 0})
}

func (s *Server) handleSync(w http.ResponseWriter, r *http.Request) {
	var req api.SyncRequest
	if err := readJSON(w, r, &req); err != nil {
		failBody(w, err)
		return
	}
	b := s.cfg.Backend
	results, err := b.Sync(r.Context(), req.Group)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]api.Sync, 0, len(results))
	for _, res := range results {
		name := res.Group.String()
		if g, err := b.ResolveGroup(name); err == nil {
			name = g.Name
		}
		out = append(out, NewSync(res, name))
	}
	writeJSON(w, http.StatusOK, out)
}

// view is how a stored message shows in history and the event stream:
// texts (replies included), deletions, whose Ref names the deleted message
// so that interfaces can show it gone where it was, and the group's Ops
// (bans, removals, roles: what people see happen, api.Describe); the
// genesis, Ops' parts and profiles are not chat. Nothing by an author this
// user muted or blocked.
func (s *Server) view(st store.Stored, groupName string) (api.Message, bool) {
	b := s.cfg.Backend
	if k := st.Msg.Body.Kind; k != message.KindText && k != message.KindDelete && k != message.KindOp && k != message.KindImage && k != message.KindAlert {
		return api.Message{}, false
	}
	if b.BlockMode(st.Msg.Body.Author) != "" {
		return api.Message{}, false
	}
	if _, ok := s.reactionTargetOf(st); ok {
		return api.Message{}, false // a reaction taken back shows in its text's counts
	}
	c, err := b.Open(st.Msg)
	if err != nil {
		c = nil
	}
	m := NewMessage(st, groupName, c)
	if st.Msg.Body.Kind == message.KindAlert {
		if _, state, err := b.GroupState(st.Msg.Body.Group.String()); err == nil {
			m.Name = nameOf(state, st.Msg.Body.Author)
		}
	}
	s.imageView(&m, st.Msg, c)
	s.decorate(&m, st)
	if d, ok := b.Delivery(st.Msg.ID); ok {
		v := NewDelivery(d, groupName)
		m.Delivery = &v
	}
	return m, true
}

func relayViews(links []relay.Link) []api.Relay {
	out := make([]api.Relay, 0, len(links))
	for _, l := range links {
		out = append(out, NewRelay(l))
	}
	return out
}
