package apiserver

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"starling/api"
	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/store"
)

// errBadRequest marks a request the API itself finds malformed.
var errBadRequest = errors.New("bad request")

func fingerprints(keys []ed25519.PublicKey) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, string(identity.FingerprintOf(k)))
	}
	return out
}

func parseFingerprint(what, s string) (identity.Fingerprint, error) {
	fp, err := identity.ParseFingerprint(s)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", errBadRequest, what, err)
	}
	return fp, nil
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	var req api.CreateRequest
	if err := readJSON(w, r, &req); err != nil {
		failBody(w, err)
		return
	}
	kind, err := group.ParseKind(req.Kind)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	var ends time.Time
	if req.EndsAt != nil {
		ends = *req.EndsAt
	}
	g, err := s.cfg.Backend.CreateGroup(r.Context(), kind, req.Name, ends)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeGroup(w, r, g.ID.String())
}

func (s *Server) handleGroup(w http.ResponseWriter, r *http.Request) {
	s.writeGroup(w, r, r.PathValue("group"))
}

// writeGroup answers with a joined group's detail.
func (s *Server) writeGroup(w http.ResponseWriter, r *http.Request, ref string) {
	b := s.cfg.Backend
	g, st, err := b.GroupState(ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, _ := b.Count(g.ID)
	v := api.GroupDetail{Group: NewGroup(g, n, len(b.GroupPeers(g.ID))), Admins: []string{}, Posters: []string{},
		Removed: []string{}, Banned: []string{}, Members: []api.Member{}, Epoch: st.Epoch(),
		You: NewStanding(st.Standing(b.User().PublicKey()), g.Name)}
	v.Refused = v.You.Why
	if d, _, ok := st.Descriptor(); ok {
		v.Owner, v.Version = string(identity.FingerprintOf(d.Owner)), d.Version
		v.Admins, v.Posters = fingerprints(d.Admins), fingerprints(d.Posters)
		v.Removed, v.Banned = fingerprints(d.Removed), fingerprints(d.Banned)
		v.SlowModeSeconds = d.SlowModeSeconds
		if d.EndsAtMS != 0 {
			end := time.UnixMilli(int64(d.EndsAtMS)).UTC()
			v.EndsAt = &end
		}
	}
	for _, k := range st.Members() {
		p, _ := st.Profile(k)
		v.Members = append(v.Members, api.Member{Fingerprint: string(identity.FingerprintOf(k)), Nick: p.Nick, Admin: st.IsAdmin(k)})
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleInvite(w http.ResponseWriter, r *http.Request) {
	mod, ok := s.moderation(w)
	if !ok {
		return
	}
	var req api.InviteRequest
	if err := readJSON(w, r, &req); err != nil {
		failBody(w, err)
		return
	}
	invite := mod.Invite
	if req.Carrier {
		invite = mod.CarrierInvite
	}
	link, err := invite(r.PathValue("group"), req.Relays)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.InviteResponse{Link: link})
}

func (s *Server) handleRemove(w http.ResponseWriter, r *http.Request) {
	if mod, ok := s.moderation(w); ok {
		s.changeMember(w, r, mod.RemoveMember)
	}
}

func (s *Server) handleAdd(w http.ResponseWriter, r *http.Request) {
	if mod, ok := s.moderation(w); ok {
		s.changeMember(w, r, mod.AddMember)
	}
}

// changeMember applies a change to the member a ModerationRequest names
// and answers with the group's detail.
func (s *Server) changeMember(w http.ResponseWriter, r *http.Request, change func(context.Context, string, identity.Fingerprint) error) {
	var req api.ModerationRequest
	if err := readJSON(w, r, &req); err != nil {
		failBody(w, err)
		return
	}
	fp, err := s.person("member", req.Member)
	if err == nil {
		err = change(r.Context(), r.PathValue("group"), fp)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeGroup(w, r, r.PathValue("group"))
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	mod, ok := s.moderation(w)
	if !ok {
		return
	}
	var req api.ModerationRequest
	if err := readJSON(w, r, &req); err != nil {
		failBody(w, err)
		return
	}
	id, err := message.ParseID(req.ID)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	s.writeSent(w, r, func() (*message.Message, int, error) {
		return mod.DeleteMessage(r.Context(), r.PathValue("group"), id, req.Reason)
	})
}

func (s *Server) handleBan(w http.ResponseWriter, r *http.Request) {
	mod, ok := s.moderation(w)
	if !ok {
		return
	}
	s.moderate(w, r, func(ctx context.Context, ref string, fp identity.Fingerprint, req api.ModerationRequest) (*message.Message, int, error) {
		return mod.Ban(ctx, ref, fp, req.Reason)
	})
}

func (s *Server) handleUnban(w http.ResponseWriter, r *http.Request) {
	mod, ok := s.moderation(w)
	if !ok {
		return
	}
	s.moderate(w, r, func(ctx context.Context, ref string, fp identity.Fingerprint, _ api.ModerationRequest) (*message.Message, int, error) {
		return mod.Unban(ctx, ref, fp)
	})
}

// moderate sends the operation a ModerationRequest about a member asks
// for and answers with what happened to it.
func (s *Server) moderate(w http.ResponseWriter, r *http.Request, op func(context.Context, string, identity.Fingerprint, api.ModerationRequest) (*message.Message, int, error)) {
	var req api.ModerationRequest
	if err := readJSON(w, r, &req); err != nil {
		failBody(w, err)
		return
	}
	fp, err := s.person("member", req.Member)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeSent(w, r, func() (*message.Message, int, error) {
		return op(r.Context(), r.PathValue("group"), fp, req)
	})
}

// writeSent answers with what happened to a control message this user sent.
func (s *Server) writeSent(w http.ResponseWriter, r *http.Request, send func() (*message.Message, int, error)) {
	g, err := s.cfg.Backend.ResolveGroup(r.PathValue("group"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, peers, err := send()
	if err != nil {
		s.fail(w, r, s.refused(r.PathValue("group"), err))
		return
	}
	c, _ := s.cfg.Backend.Open(m)
	view := NewMessage(store.Stored{Msg: m, Origin: store.OriginOwn, ReceivedAt: m.Body.SentAt()}, g.Name, c)
	writeJSON(w, http.StatusOK, api.SendResponse{Message: view, Peers: peers, Queued: peers == 0})
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	mod, ok := s.moderation(w)
	if !ok {
		return
	}
	var req api.UpdateRequest
	if err := readJSON(w, r, &req); err != nil {
		failBody(w, err)
		return
	}
	b := s.cfg.Backend
	_, st, err := b.GroupState(r.PathValue("group"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := updateOf(req, st, s.whois)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := mod.UpdateGroup(r.Context(), r.PathValue("group"), u); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeGroup(w, r, r.PathValue("group"))
}

// updateOf turns a request into a group.Update, naming members by the keys
// of their profiles in the group or, failing that, by whois: a reader of an
// announcement channel publishes no profile there until they may post, so
// the key that makes them a poster comes from another group.
func updateOf(req api.UpdateRequest, st *group.State, whois func(identity.Fingerprint) (ed25519.PublicKey, map[message.GroupID]string, error)) (group.Update, error) {
	u := group.Update{Name: req.Name}
	members := map[identity.Fingerprint]ed25519.PublicKey{}
	for _, k := range st.Members() {
		members[identity.FingerprintOf(k)] = k
	}
	keys := func(what string, fps []string) ([]ed25519.PublicKey, error) {
		var out []ed25519.PublicKey
		for _, s := range fps {
			fp, err := parseFingerprint(what, s)
			if err != nil {
				return nil, err
			}
			k, ok := members[fp]
			if !ok {
				if k, _, err = whois(fp); err != nil {
					return nil, fmt.Errorf("%w: %s: nobody with fingerprint %s has a profile in %s or a message in another group you joined", errBadRequest, what, fp, st.Name())
				}
			}
			out = append(out, k)
		}
		return out, nil
	}
	var err error
	if u.AddAdmins, err = keys("add_admins", req.AddAdmins); err != nil {
		return u, err
	}
	if u.RemoveAdmins, err = keys("remove_admins", req.RemoveAdmins); err != nil {
		return u, err
	}
	if u.AddPosters, err = keys("add_posters", req.AddPosters); err != nil {
		return u, err
	}
	if u.RemovePosters, err = keys("remove_posters", req.RemovePosters); err != nil {
		return u, err
	}
	if req.SlowModeSeconds != nil {
		if *req.SlowModeSeconds < 0 {
			return u, fmt.Errorf("%w: slow_mode_seconds must not be negative", errBadRequest)
		}
		d := time.Duration(*req.SlowModeSeconds) * time.Second
		u.SlowMode = &d
	}
	if req.EndsAt != nil {
		var end time.Time
		if *req.EndsAt != "" {
			t, err := time.Parse(time.RFC3339, *req.EndsAt)
			if err != nil {
				return u, fmt.Errorf("%w: ends_at: want RFC 3339 such as 2026-12-01T18:00:00Z or an empty string for never", errBadRequest)
			}
			end = t
		}
		u.EndsAt = &end
	}
	return u, nil
}

func (s *Server) handleWhois(w http.ResponseWriter, r *http.Request) {
	b := s.cfg.Backend
	people, ok := provided(w, s.cfg.People, errNoPeople)
	if !ok {
		return
	}
	fp, err := s.person("fingerprint", r.PathValue("fingerprint"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	key, nicks, err := people.Whois(fp)
	if err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	p := api.Person{Fingerprint: string(fp), Key: hex.EncodeToString(key), Mode: b.BlockMode(key), Groups: []api.PersonGroup{}}
	for gid, nick := range nicks {
		name := gid.String()
		if g, err := b.ResolveGroup(name); err == nil {
			name = g.Name
		}
		p.Groups = append(p.Groups, api.PersonGroup{Group: name, GroupID: gid.String(), Nick: nick})
	}
	// By name, then ID: the same answer every time, not map order.
	slices.SortFunc(p.Groups, func(a, b api.PersonGroup) int {
		return cmp.Or(strings.Compare(a.Group, b.Group), strings.Compare(a.GroupID, b.GroupID))
	})
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleBlock(w http.ResponseWriter, r *http.Request) {
	var req api.BlockRequest
	if err := readJSON(w, r, &req); err != nil {
		failBody(w, err)
		return
	}
	fp, err := s.person("fingerprint", req.Fingerprint)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch req.Mode {
	case "block", "mute", "":
	default:
		writeError(w, http.StatusBadRequest, fmt.Errorf("mode %q: use block, mute, or an empty mode to lift", req.Mode))
		return
	}
	if _, err := s.cfg.Backend.SetBlock(fp, req.Mode); err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusOK, req)
}

// moderation returns the server's Moderation, or answers 501.
func (s *Server) moderation(w http.ResponseWriter) (Moderation, bool) {
	return provided(w, s.cfg.Moderation, errNoModeration)
}

// errNoModeration: the server was given no Moderation.
var errNoModeration = errors.New("this node does not manage groups")

// provided returns svc, one of the services a Server may be given, or
// answers 501 with err when it was not given it.
func provided[T any](w http.ResponseWriter, svc T, err error) (T, bool) {
	if any(svc) == nil {
		writeError(w, http.StatusNotImplemented, err)
		return svc, false
	}
	return svc, true
}
