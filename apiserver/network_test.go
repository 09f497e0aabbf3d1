package apiserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"starling/api"
	"starling/apiserver"
	"starling/doctor"
	"starling/netwatch"
)

// networkBackend is the fake with the node's network report and probes.
type networkBackend struct {
	*fakeBackend
	report netwatch.Report
	probes int // ProbeDirect calls
}

func (b *networkBackend) Network() netwatch.Report { return b.report }

func (b *networkBackend) ProbeDirect(ctx context.Context) netwatch.ProbeReport {
	b.probes++
	return netwatch.ProbeReport{Tried: 2, Failed: 2, SameLAN: 2, ByReason: map[netwatch.Reason]uint64{netwatch.ReasonTimeout: 2},
		Last: &netwatch.DialFailure{Peer: "p", Reason: netwatch.ReasonTimeout, Error: "i/o timeout", At: time.Date(2026, 3, 1, 9, 5, 0, 0, time.UTC)}}
}

// The status carries the node's network block and, from it, the doctor's
// findings; here mDNS has run for a minute without hearing its own packets.
func TestStatusNetworkAndFindings(t *testing.T) {
	since := time.Now().Add(-time.Minute)
	b := &networkBackend{fakeBackend: newFakeBackend(t), report: netwatch.Report{
		MDNS: netwatch.MDNSReport{Enabled: true, Listening: true, Interfaces: []string{"eth0"}, Since: since},
		Dials: netwatch.DialReport{Attempts: 3, Failures: 1, ByReason: map[netwatch.Reason]uint64{netwatch.ReasonRefused: 1},
			Recent: []netwatch.DialFailure{{Peer: "p1", Reason: netwatch.ReasonRefused, Error: "connection refused", At: since}}},
		Relays:  map[string]netwatch.RelayReport{"r1": {ReservationError: "PERMISSION_DENIED", ReservationAt: since}},
		Subnets: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/24")},
		Clock:   netwatch.ClockReport{OffsetMS: 1500, MinMS: 1000, MaxMS: 2000, Authors: 2, Samples: 4},
	}}
	s := startServer(t, b)
	var st api.Status
	s.get(t, "GET", "/v1/status", "", &st)
	if st.Network == nil {
		t.Fatal("status has no network block")
	}
	sinceUTC := since.UTC()
	want := api.Network{
		MDNS:        api.MDNS{Enabled: true, Listening: true, Interfaces: []string{"eth0"}, Since: &sinceUTC},
		Subnets:     []string{"10.20.0.0/24"},
		Dials:       api.Dials{Attempts: 3, Failures: 1, ByReason: map[string]uint64{"refused": 1}, Recent: []api.DialFailure{{Peer: "p1", Reason: "refused", Error: "connection refused", At: sinceUTC}}},
		RelayIssues: []api.RelayIssue{{PeerID: "r1", ReservationError: "PERMISSION_DENIED", ReservationAt: &sinceUTC}},
		Clock:       api.Clock{OffsetMS: 1500, MinMS: 1000, MaxMS: 2000, Authors: 2, Samples: 4},
	}
	if diff := cmp.Diff(want, *st.Network); diff != "" {
		t.Errorf("network block (-want +got):\n%s", diff)
	}
	if len(st.Findings) == 0 || st.Findings[0].Cause != doctor.CauseMDNSBlocked || st.Findings[0].Severity != doctor.Problem {
		t.Errorf("findings %+v, want mDNS blocked first, as a problem", st.Findings)
	}

	var p api.Probes
	s.get(t, "POST", "/v1/network/probe", "", &p)
	if b.probes != 1 || p.Tried != 2 || p.SameLAN != 2 || p.ByReason["timeout"] != 2 || p.Last == nil || p.Last.Error != "i/o timeout" {
		t.Errorf("probe answer %+v after %d probes", p, b.probes)
	}
	if got, err := s.client.ProbeNetwork(t.Context()); err != nil || got.Tried != 2 {
		t.Errorf("client ProbeNetwork = %+v, %v", got, err)
	}
	s.requireError(t, http.StatusMethodNotAllowed, "POST", "GET", "/v1/network/probe", "")
}

// A backend without a network report has no network block and cannot
// probe; the status still has the findings its other fields allow.
func TestStatusWithoutNetwork(t *testing.T) {
	s := startServer(t, newFakeBackend(t))
	var st api.Status
	s.get(t, "GET", "/v1/status", "", &st)
	if st.Network != nil {
		t.Errorf("network block %+v from a backend without one", st.Network)
	}
	s.requireError(t, http.StatusNotImplemented, "cannot probe", "POST", "/v1/network/probe", "")
}

// The interfaces the server is configured with reach the diagnosis.
func TestStatusFindingsUseInterfaces(t *testing.T) {
	token, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	down := func() ([]doctor.Interface, error) {
		return []doctor.Interface{{Name: "lo", Up: true, Loopback: true}, {Name: "wlan0"}}, nil
	}
	for _, c := range []struct {
		name  string
		ifs   func() ([]doctor.Interface, error)
		found bool
	}{
		{"down", down, true},
		{"unknown", func() ([]doctor.Interface, error) { return nil, errors.New("no netlink") }, false},
		{"not configured", nil, false},
	} {
		srv, err := apiserver.New(apiserver.Config{Backend: newFakeBackend(t), Token: token, Interfaces: c.ifs})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/v1/status", nil)
		req.Host = "127.0.0.1"
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		var st api.Status
		if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || w.Code != http.StatusOK {
			t.Fatalf("%s: status %d %s: %v", c.name, w.Code, w.Body, err)
		}
		found := false
		for _, f := range st.Findings {
			found = found || f.Cause == doctor.CauseNoNetwork
		}
		if found != c.found {
			t.Errorf("%s: no-network found %v, want %v: %+v", c.name, found, c.found, st.Findings)
		}
	}
}
