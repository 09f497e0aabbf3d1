package apiserver_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"starling/api"
	"starling/catchup"
	"starling/message"
)

// POST /v1/sync reports every session the backend ran, failures included,
// and the groups view shows each group's last good session.
func TestSync(t *testing.T) {
	b := newFakeBackend(t)
	s := startServer(t, b)
	var g api.Group
	s.get(t, "POST", "/v1/groups", `{"name":"lobby"}`, &g)
	gid, err := message.ParseGroupID(g.ID)
	if err != nil {
		t.Fatal(err)
	}
	bob, mallory := fixedPeerID(t, "bob"), fixedPeerID(t, "mallory")
	good := catchup.Result{Peer: bob, Group: gid, Fetched: 7, Pushed: 2, Rounds: 2, Complete: true,
		Started: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Took: 3 * time.Millisecond}
	bad := catchup.Result{Peer: mallory, Group: gid, Err: errors.New("peer misbehaved")}
	b.mu.Lock()
	b.syncs = []catchup.Result{good, bad}
	b.mu.Unlock()

	var got []api.Sync
	s.get(t, "POST", "/v1/sync", `{"group":"lobby"}`, &got)
	if len(got) != 2 || got[0].Peer != bob.String() || got[0].Fetched != 7 || got[0].Group != "lobby" ||
		got[0].Error != "" || got[1].Peer != mallory.String() || got[1].Error != "peer misbehaved" {
		t.Errorf("POST /v1/sync = %+v", got)
	}
	s.get(t, "POST", "/v1/sync", `{}`, &got)
	if len(got) != 2 {
		t.Errorf("POST /v1/sync for all groups = %+v", got)
	}

	var groups []api.Group
	s.get(t, "GET", "/v1/groups", "", &groups)
	if len(groups) != 1 || groups[0].LastSync == nil || groups[0].LastSync.Peer != bob.String() || groups[0].LastSync.Pushed != 2 {
		t.Errorf("GET /v1/groups = %+v, want lobby with its last sync with bob", groups)
	}

	s.requireError(t, http.StatusNotFound, "not joined", "POST", "/v1/sync", `{"group":"talks"}`)
	s.requireError(t, http.StatusBadRequest, "bad channel name", "POST", "/v1/sync", `{"group":"no spaces"}`)
	s.requireError(t, http.StatusBadRequest, "unknown field", "POST", "/v1/sync", `{"groups":"lobby"}`)
}
