package netlab

import (
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Client isolation in an export's graph becomes dropped frames on the
// bridge, and a slower link a shaped one (cmd/netlab runs whole exports).
func TestExportFilters(t *testing.T) {
	needLab(t)
	// A relay (node 1) and three attendees on isolated Wi-Fi (node 0: its
	// loop loses everything) at 20 Mbit/s.
	e := Export{
		Hosts: []ExportHost{
			{Name: "relay-0", Addr: netip.MustParseAddr("10.1.0.1"), Node: 1},
			{Name: "attendee-0", Addr: netip.MustParseAddr("10.1.0.2"), Node: 0},
			{Name: "attendee-1", Addr: netip.MustParseAddr("10.1.0.3"), Node: 0},
			{Name: "attendee-2", Addr: netip.MustParseAddr("10.1.0.4"), Node: 0},
		},
		Nodes: []ExportNode{{ID: 0, Up: 20_000_000, Down: 20_000_000}, {ID: 1, Up: 1_000_000_000, Down: 1_000_000_000}},
		Links: []ExportLink{
			{A: 0, B: 0, Latency: 5 * time.Millisecond, Loss: 1},
			{A: 0, B: 1, Latency: 5 * time.Millisecond},
			{A: 1, B: 1, Latency: 5 * time.Millisecond},
		},
		Duration: time.Minute,
	}
	l := newLab(t, Config{Starling: "/bin/true", Logger: testLogger(t)})
	hosts, notes, err := buildExport(t.Context(), l, e)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "adds no latency") {
		t.Errorf("notes %q, want one on the latency the lab does not add", notes)
	}
	relay, a, c := hosts[0], hosts[1], hosts[2]
	if relay.Addr() != netip.MustParseAddr("10.1.0.1") {
		t.Errorf("relay at %s, want its exported 10.1.0.1", relay.Addr())
	}
	// Nothing listens on the relay: a refused connection shows that frames
	// pass, where a dropped one times out.
	if err := a.Dial(t.Context(), netip.AddrPortFrom(relay.Addr(), port), probeTimeout); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("attendee to relay: %v, want connection refused", err)
	}
	if err := mustNotReach(t.Context(), a, c); err != nil {
		t.Error(err)
	}
	out, err := l.output(t.Context(), "", "ip", "netns", "exec", a.Namespace(), "tc", "qdisc", "show", "dev", "eth0")
	if err != nil || !strings.Contains(string(out), "tbf") || !strings.Contains(string(out), "20Mbit") {
		t.Errorf("attendee's eth0 is not shaped to 20 Mbit/s: %s (%v)", out, err)
	}

	// What the lab cannot build is an error, not a quiet difference.
	for _, tc := range []struct {
		name string
		edit func(*Export)
		want string
	}{
		{"two losses", func(e *Export) { e.Links[1].Loss, e.Links[2].Loss = 0.01, 0.02 }, "one share on the whole segment"},
		{"a missing edge", func(e *Export) { e.Links = e.Links[1:] }, "no edge between nodes 0 and 0"},
		{"an IPv6 host", func(e *Export) { e.Hosts[1].Addr = netip.MustParseAddr("fd00::1") }, "not IPv4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := e
			bad.Hosts = append([]ExportHost(nil), e.Hosts...)
			bad.Links = append([]ExportLink(nil), e.Links...)
			tc.edit(&bad)
			l := newLab(t, Config{Starling: "/bin/true", Logger: testLogger(t)})
			if _, _, err := buildExport(t.Context(), l, bad); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestCovering(t *testing.T) {
	for _, tc := range []struct {
		addrs []string
		want  string
	}{
		{[]string{"10.1.0.1", "10.1.0.200"}, "10.1.0.0/24"},
		{[]string{"10.1.0.1", "10.1.1.0"}, "10.1.0.0/23"},
		{[]string{"10.1.0.1", "10.2.0.1"}, "10.0.0.0/14"},
	} {
		var addrs []netip.Addr
		for _, a := range tc.addrs {
			addrs = append(addrs, netip.MustParseAddr(a))
		}
		got, err := covering(addrs)
		if err != nil || got.String() != tc.want {
			t.Errorf("covering(%v) = %s, %v; want %s", tc.addrs, got, err, tc.want)
		}
	}
	if _, err := covering([]netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("11.0.0.1")}); err == nil {
		t.Error("addresses in two /8s were given one segment")
	}
}

func TestWithScriptStart(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	args := []string{"up", "--script", "s.jsonl", "--script-start", "2000-01-01T00:00:01Z", "--events", "e.jsonl"}
	got := withScriptStart(args, at)
	if got[4] != "2026-01-02T03:04:05.000000006Z" || args[4] != "2000-01-01T00:00:01Z" {
		t.Errorf("withScriptStart = %q (original %q)", got, args)
	}
	if argValue(args, "--events") != "e.jsonl" || argValue(args, "--peer") != "" {
		t.Error("argValue")
	}
}
