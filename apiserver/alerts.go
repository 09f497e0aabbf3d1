package apiserver

import (
	"context"
	"errors"
	"net/http"

	"starling/api"
	"starling/group"
	"starling/identity"
	"starling/message"
)

// Alerts is what the organiser alerts' endpoints serve (Config.Alerts);
// the node's alerts.Service is one.
type Alerts interface {
	// Send sends an alert (owner and admins only).
	Send(ctx context.Context, ref, text string) (*message.Message, int, error)
	// Ack says this device displayed the alert.
	Ack(ctx context.Context, gid message.GroupID, id message.ID) error
	// List lists the alerts held in a group, newest first.
	List(ref string) ([]group.AlertReach, error)
	// Reach is one alert's reach.
	Reach(gid message.GroupID, id message.ID) (group.AlertReach, error)
}

// errNoAlerts: the server was given no Alerts.
var errNoAlerts = errors.New("this node does not do alerts")

func (s *Server) alertRoutes() {
	s.mux.HandleFunc("POST /v1/groups/{group}/alerts", s.handleSendAlert)
	s.mux.HandleFunc("GET /v1/groups/{group}/alerts", s.handleAlerts)
	s.mux.HandleFunc("POST /v1/groups/{group}/alerts/{id}/ack", s.handleAckAlert)
}

func (s *Server) alerting(w http.ResponseWriter) (Alerts, bool) {
	return provided(w, s.cfg.Alerts, errNoAlerts)
}

func (s *Server) handleSendAlert(w http.ResponseWriter, r *http.Request) {
	a, ok := s.alerting(w)
	if !ok {
		return
	}
	var req api.AlertRequest
	if err := readJSON(w, r, &req); err != nil {
		failBody(w, err)
		return
	}
	ref := r.PathValue("group")
	if err := group.CheckAlertText(req.Text); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	m, peers, err := a.Send(r.Context(), ref, req.Text)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reach, err := a.Reach(m.Body.Group, m.ID)
	if err != nil {
		reach = group.AlertReach{ID: m.ID, Group: m.Body.Group, Author: m.Body.Author, Text: req.Text, SentAt: m.Body.SentAt()}
	}
	v := s.alertView(reach)
	v.Peers = peers
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) {
	a, ok := s.alerting(w)
	if !ok {
		return
	}
	list, err := a.List(r.PathValue("group"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]api.Alert, 0, len(list))
	for _, reach := range list {
		out = append(out, s.alertView(reach))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleAckAlert(w http.ResponseWriter, r *http.Request) {
	a, ok := s.alerting(w)
	if !ok {
		return
	}
	g, err := s.cfg.Backend.ResolveGroup(r.PathValue("group"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := message.ParseID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if err := a.Ack(r.Context(), g.ID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	reach, err := a.Reach(g.ID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.alertView(reach))
}

// alertView is the API's view of an alert's reach.
func (s *Server) alertView(r group.AlertReach) api.Alert {
	b := s.cfg.Backend
	name := ""
	if _, st, err := b.GroupState(r.Group.String()); err == nil {
		name = nameOf(st, r.Author)
	}
	groupName := ""
	if g, err := b.ResolveGroup(r.Group.String()); err == nil {
		groupName = g.Name
	}
	return api.Alert{
		ID: r.ID.String(), Group: groupName, GroupID: r.Group.String(),
		Author: string(identity.FingerprintOf(r.Author)), Name: name, Text: r.Text, SentAt: r.SentAt.UTC(),
		Reached: r.Acked, Devices: r.Devices, Acks: r.AckKeys,
		Mine: r.Author.Equal(b.User().PublicKey()), YouAcked: r.YouAcked, Live: r.Live,
	}
}
