package api

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Organiser alerts. POST /v1/groups/{group}/alerts sends one (the owner and
// admins of a created group only; 403 for anyone else), GET lists the
// alerts this node holds in the group with their reach, and POST
// /v1/groups/{group}/alerts/{id}/ack says that this device displayed one
// (an interface calls it when it shows the alert; a second call does
// nothing). Alerts show in history and on the stream as messages of kind
// "alert".

// AlertRequest is the body of POST /v1/groups/{group}/alerts.
type AlertRequest struct {
	Text string `json:"text"`
}

// Alert is one alert and what this node knows of its reach: Reached of
// the Devices seen in the group in the last hour acknowledged it (Reached
// never exceeds Devices).
type Alert struct {
	ID      string    `json:"id"`
	Group   string    `json:"group"`
	GroupID string    `json:"group_id"`
	Author  string    `json:"author"`
	Name    string    `json:"name"`
	Text    string    `json:"text"`
	SentAt  time.Time `json:"sent_at"`
	Reached int       `json:"reached"`
	Devices int       `json:"devices"`
	// Acks is every verified acknowledgement held, vouched for or not.
	Acks int `json:"acks"`
	// Mine: this user sent it. YouAcked: this device acknowledged it.
	Mine     bool `json:"mine,omitempty"`
	YouAcked bool `json:"you_acked,omitempty"`
	// Live: still re-offered to peers (the first 10 minutes).
	Live bool `json:"live,omitempty"`
	// Peers is how many peers took it by gossip when it was sent (only in
	// the answer to a send).
	Peers int `json:"peers,omitempty"`
}

// ReachLine says the reach in words: "reached 1,103 of the 1,204 devices
// seen in this group in the last hour".
func (a Alert) ReachLine() string {
	device := "devices"
	if a.Devices == 1 {
		device = "device"
	}
	return fmt.Sprintf("reached %s of the %s %s seen in this group in the last hour", Thousands(a.Reached), Thousands(a.Devices), device)
}

// Thousands writes n with commas between thousands.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}

// SendAlert sends an alert to the group ref names.
func (c *Client) SendAlert(ctx context.Context, ref, text string) (Alert, error) {
	var v Alert
	return v, c.do(ctx, "POST", "/v1/groups/"+url.PathEscape(ref)+"/alerts", AlertRequest{Text: text}, &v)
}

// Alerts lists the alerts this node holds in a group, newest first.
func (c *Client) Alerts(ctx context.Context, ref string) ([]Alert, error) {
	var v []Alert
	return v, c.do(ctx, "GET", "/v1/groups/"+url.PathEscape(ref)+"/alerts", nil, &v)
}

// AckAlert says that this device displayed the alert id, and returns it.
func (c *Client) AckAlert(ctx context.Context, ref, id string) (Alert, error) {
	var v Alert
	return v, c.do(ctx, "POST", "/v1/groups/"+url.PathEscape(ref)+"/alerts/"+url.PathEscape(id)+"/ack", nil, &v)
}
