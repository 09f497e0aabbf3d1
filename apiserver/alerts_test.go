package apiserver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"starling/api"
)

// nextAlert waits for the next message of kind "alert" on the stream.
func nextAlert(t testing.TB, events <-chan api.Event) api.Message {
	t.Helper()
	return *nextEvent(t, events, "alert", func(e api.Event) bool { return e.Message != nil && e.Message.Kind == "alert" }).Message
}

// An owner sends an alert through the API; it shows on the stream and in
// history as kind "alert", its reach is listed, and acknowledging it marks
// it. An open channel, an empty text and a member's attempt are refused
// with clear errors.
func TestAlertsAgainstNode(t *testing.T) {
	n := startNode(t)
	s := startServer(t, n)
	c := s.client
	ctx := context.Background()
	if _, err := c.CreateGroup(ctx, "stage", "announce", nil); err != nil {
		t.Fatal(err)
	}
	events := watchAll(t, s, "stage")
	a, err := c.SendAlert(ctx, "stage", "Doors close in 10 minutes")
	if err != nil {
		t.Fatal(err)
	}
	if !a.Mine || a.Text != "Doors close in 10 minutes" || a.Group != "stage" || a.ID == "" {
		t.Errorf("sent %+v", a)
	}
	if m := nextAlert(t, events); m.ID != a.ID || m.Text != a.Text || m.Name != "nora" {
		t.Errorf("the stream shows %+v", m)
	}
	page, err := c.History(ctx, "stage", 10, true, "")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range page.Messages {
		found = found || (m.Kind == "alert" && m.ID == a.ID)
	}
	if !found {
		t.Errorf("history has no alert: %+v", page)
	}
	acked, err := c.AckAlert(ctx, "stage", a.ID)
	if err != nil || !acked.YouAcked || acked.Reached != 1 || acked.Devices != 1 {
		t.Errorf("ack: %+v, %v", acked, err)
	}
	if got := acked.ReachLine(); got != "reached 1 of the 1 device seen in this group in the last hour" {
		t.Errorf("reach line %q", got)
	}
	list, err := c.Alerts(ctx, "stage")
	if err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Errorf("alerts: %+v, %v", list, err)
	}

	s.requireError(t, http.StatusBadRequest, "alert needs a text", "POST", "/v1/groups/stage/alerts", `{"text":"  "}`)
	s.requireError(t, http.StatusNotFound, "no such alert", "POST", "/v1/groups/stage/alerts/"+strings.Repeat("0", 64)+"/ack", "")
	s.requireError(t, http.StatusBadRequest, "64 hex", "POST", "/v1/groups/stage/alerts/xyz/ack", "")
	if _, err := c.Join(ctx, "lobby"); err != nil {
		t.Fatal(err)
	}
	s.requireError(t, http.StatusForbidden, "open channel", "POST", "/v1/groups/lobby/alerts", `{"text":"hi"}`)

}
