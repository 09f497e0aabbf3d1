package doctor

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"starling/api"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func at(ago time.Duration) *time.Time {
	t := now.Add(-ago)
	return &t
}

// wifi is a laptop on a Wi-Fi: loopback and wlan0 with a private address.
func wifi() []Interface {
	return []Interface{
		{Name: "lo", Up: true, Loopback: true, Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}},
		{Name: "wlan0", Up: true, Multicast: true, Addrs: []netip.Prefix{netip.MustParsePrefix("10.20.0.12/24"), netip.MustParsePrefix("fe80::1/64")}},
	}
}

// healthy is a node that has run for ten minutes with mDNS working and two
// peers found on the LAN.
func healthy() Facts {
	return Facts{
		Now:        now,
		Interfaces: wifi(),
		Status: &api.Status{
			Started: now.Add(-10 * time.Minute),
			Peers:   2,
			Gossip:  map[string]uint64{"accepted": 10},
			Store:   &api.StoreHealth{State: "ok", FreeBytes: 20 << 30, FloorBytes: 349 << 20, HardFloorBytes: 317 << 20},
			Network: &api.Network{
				MDNS: api.MDNS{Enabled: true, Listening: true, Interfaces: []string{"wlan0"}, Since: at(10 * time.Minute),
					Own: 40, Others: 30, Starling: 12, LastOwn: at(20 * time.Second), LastOther: at(5 * time.Second), LastStarling: at(5 * time.Second)},
				DirectPeers: 2,
				Subnets:     []string{"10.20.0.0/24"},
			},
		},
	}
}

// alone is healthy with nobody found.
func alone() Facts {
	f := healthy()
	f.Status.Peers, f.Status.Network.DirectPeers = 0, 0
	return f
}

func causes(fs []api.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Cause
	}
	return out
}

func TestDiagnose(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Facts)
		want []string // causes, in order
		// top, if set, must appear in the first finding's summary, evidence
		// or advice.
		top []string
	}{
		{name: "healthy", edit: func(*Facts) {}, want: nil},
		{name: "no node", edit: func(f *Facts) { f.Status, f.NoNode = nil, "no daemon is running for /home/x" },
			want: []string{CauseNoNode}, top: []string{"starling up", "/home/x"}},
		{name: "no node, no network, disk full", edit: func(f *Facts) {
			f.Status = nil
			f.Interfaces[1].Up = false
			f.Store = &api.StoreHealth{State: "full", FreeBytes: 100 << 20, FloorBytes: 349 << 20, HardFloorBytes: 317 << 20}
		}, want: []string{CauseNoNode, CauseNoNetwork, CauseDiskFull}},
		{name: "interface down", edit: func(f *Facts) {
			f.Interfaces[1].Up = false
			*f = withAlone(*f)
		}, want: []string{CauseNoNetwork, CauseNoRelay}, top: []string{"wlan0 is down", "Wi-Fi"}},
		{name: "only a self-assigned address", edit: func(f *Facts) {
			f.Interfaces[1].Addrs = []netip.Prefix{netip.MustParsePrefix("169.254.7.7/16")}
		}, want: []string{CauseNoNetwork}, top: []string{"169.254.7.7/16", "self-assigned"}},
		{name: "no multicast", edit: func(f *Facts) {
			*f = withAlone(*f)
			f.Interfaces[1].Multicast = false
			f.Status.Network.MDNS.Own, f.Status.Network.MDNS.LastOwn = 0, nil
		}, want: []string{CauseNoMulticast, CauseNoRelay}, top: []string{"cannot do multicast"}},
		{name: "mDNS blocked: never heard its own", edit: func(f *Facts) {
			*f = withAlone(*f)
			m := &f.Status.Network.MDNS
			m.Own, m.Others, m.Starling, m.LastOwn, m.LastOther, m.LastStarling = 0, 0, 0, nil, nil, nil
		}, want: []string{CauseMDNSBlocked, CauseNoRelay}, top: []string{"none of its own", "5353"}},
		{name: "no IPv4: the silence of IPv4 mDNS says nothing", edit: func(f *Facts) {
			f.Interfaces[1].Addrs = []netip.Prefix{netip.MustParsePrefix("2001:db8::5/64")}
			m := &f.Status.Network.MDNS
			m.Own, m.LastOwn = 0, nil
		}, want: nil},
		{name: "mDNS blocked since a while", edit: func(f *Facts) {
			f.Status.Network.MDNS.LastOwn = at(5 * time.Minute)
		}, want: []string{CauseMDNSBlocked}, top: []string{"last heard its own mDNS packets 5m0s ago"}},
		{name: "mDNS blocked is a warning while peers are found", edit: func(f *Facts) {
			f.Status.Network.MDNS.Own = 0
		}, want: []string{CauseMDNSBlocked}},
		{name: "mDNS cannot listen", edit: func(f *Facts) {
			f.Status.Network.MDNS.Listening, f.Status.Network.MDNS.Error = false, "cannot listen on UDP port 5353: address in use"
		}, want: []string{CauseMDNSBlocked}, top: []string{"address in use"}},
		{name: "mDNS just started", edit: func(f *Facts) {
			*f = withAlone(*f)
			f.Status.Started = now.Add(-5 * time.Second)
			m := &f.Status.Network.MDNS
			m.Since, m.Own, m.LastOwn, m.Others, m.LastOther, m.Starling, m.LastStarling = at(5*time.Second), 0, nil, 0, nil, 0, nil
		}, want: nil},
		{name: "mDNS off", edit: func(f *Facts) {
			*f = withAlone(*f)
			f.Status.Network.MDNS = api.MDNS{}
		}, want: []string{CauseMDNSOff, CauseNoRelay}, top: []string{"--no-mdns"}},
		{name: "mDNS hears nobody", edit: func(f *Facts) {
			*f = withAlone(*f)
			m := &f.Status.Network.MDNS
			m.Others, m.Starling, m.LastOther, m.LastStarling = 0, 0, nil, nil
		}, want: []string{CauseMDNSSilent, CauseNoRelay}, top: []string{"none from any other device", "relay"}},
		{name: "no Starling on mDNS", edit: func(f *Facts) {
			*f = withAlone(*f)
			f.Status.Network.MDNS.Starling, f.Status.Network.MDNS.LastStarling = 0, nil
		}, want: []string{CauseNoStarling, CauseNoRelay}, top: []string{"no Starling node"}},
		{name: "client isolation seen on the connections", edit: func(f *Facts) {
			f.Status.Network.DirectPeers, f.Status.Network.RelayedPeers, f.Status.Network.RelayedSameLAN = 0, 3, 3
		}, want: []string{CauseClientIsolation}, top: []string{"may keep devices apart", "3 peers with addresses on 10.20.0.0/24 are connected only through a relay", "dials them directly"}},
		{name: "client isolation proved by probes", edit: func(f *Facts) {
			n := f.Status.Network
			n.DirectPeers, n.RelayedPeers, n.RelayedSameLAN = 0, 3, 3
			n.Probes = api.Probes{Tried: 3, Failed: 3, SameLAN: 3, ByReason: map[string]uint64{"timeout": 3},
				Last: &api.DialFailure{Peer: "p", Reason: "timeout", Error: "i/o timeout"}}
		}, want: []string{CauseClientIsolation}, top: []string{"keeps devices apart (client isolation)", "3 peers dialled directly on this network failed (3 timeout); the last: i/o timeout"}},
		{name: "client isolation on mDNS", edit: func(f *Facts) {
			*f = withAlone(*f)
			f.Status.Relays = []api.Relay{{PeerID: "12D3KooWrelay", Connected: true, Reserved: true}}
			f.Status.Network.Dials = api.Dials{Attempts: 4, Failures: 2, Recent: []api.DialFailure{
				{Peer: "a", Reason: "timeout", Error: "i/o timeout"}, {Peer: "r", Relay: true, Reason: "refused"}}}
		}, want: []string{CauseClientIsolation, CausePeersUnreachable}, top: []string{"answer mDNS, but connections to them time out", "1 dial"}},
		{name: "peers refuse", edit: func(f *Facts) {
			*f = withAlone(*f)
			f.Status.Network.MDNS.LastStarling = at(10 * time.Minute)
			f.Status.Relays = []api.Relay{{PeerID: "12D3KooWrelay", Connected: true, Reserved: true}}
			f.Status.Network.Dials = api.Dials{Attempts: 4, Failures: 2, Recent: []api.DialFailure{
				{Peer: "a", Reason: "refused", Error: "connection refused"}, {Peer: "b", Reason: "refused", Error: "connection refused"}}}
		}, want: []string{CausePeersUnreachable, CauseNoStarling}, top: []string{"Dials to 2 peers failed", "2 refused", "no node listens"}},
		{name: "relay unreachable", edit: func(f *Facts) {
			*f = withAlone(*f)
			f.Status.Relays = []api.Relay{{PeerID: "12D3KooWrelayrelay", Addrs: []string{"/ip4/10.20.0.10/tcp/4001"}}}
			f.Status.Network.RelayIssues = []api.RelayIssue{{PeerID: "12D3KooWrelayrelay", DialReason: "refused", DialError: "connection refused", DialAt: at(3 * time.Second)}}
		}, want: []string{CauseRelayUnreachable}, top: []string{"relay …layrelay at /ip4/10.20.0.10/tcp/4001: the last dial, 3s ago, was refused", "whether the relay is running"}},
		{name: "relay unreachable while peers are found is a warning", edit: func(f *Facts) {
			f.Status.Relays = []api.Relay{{PeerID: "r"}}
			f.Status.Network.RelayIssues = []api.RelayIssue{{PeerID: "r", DialReason: "timeout", DialError: "deadline"}}
		}, want: []string{CauseRelayUnreachable}, top: []string{"timed out", "event's Wi-Fi"}},
		{name: "relay refuses a reservation", edit: func(f *Facts) {
			f.Status.Relays = []api.Relay{{PeerID: "r", Connected: true}}
			f.Status.Network.RelayIssues = []api.RelayIssue{{PeerID: "r", ReservationError: "reservation failed: PERMISSION_DENIED"}}
		}, want: []string{CauseNoReservation}, top: []string{"PERMISSION_DENIED", "--relay ADDRESS"}},
		{name: "this clock is ahead", edit: func(f *Facts) {
			f.Status.Network.Clock = api.Clock{OffsetMS: 62 * 60e3, MinMS: 61 * 60e3, MaxMS: 63 * 60e3, Authors: 3, Ahead: 3, Samples: 9}
		}, want: []string{CauseClockSkew}, top: []string{"about 62 minutes ahead of its peers'", "3 of 3 authors", "do not reach them", "automatic date and time"}},
		{name: "this clock is a little behind", edit: func(f *Facts) {
			f.Status.Network.Clock = api.Clock{OffsetMS: -2 * 60e3, MinMS: -3 * 60e3, MaxMS: 0, Authors: 3, Behind: 2, Samples: 9}
		}, want: []string{CauseClockSkew}, top: []string{"about 2 minutes behind its peers'"}},
		{name: "one peer's clock differs", edit: func(f *Facts) {
			f.Status.Network.Clock = api.Clock{OffsetMS: 3600e3, MinMS: 3600e3, MaxMS: 3600e3, Authors: 1, Ahead: 1, Samples: 2}
		}, want: []string{CauseClockSkew}, top: []string{"its peer's differ by about 60 minutes (this one is ahead)", "both devices"}},
		{name: "one of three authors is off", edit: func(f *Facts) {
			f.Status.Network.Clock = api.Clock{OffsetMS: 100, MinMS: -3600e3, MaxMS: 300, Authors: 3, Behind: 1, Samples: 5}
		}, want: []string{CauseClockSkew}, top: []string{"The clocks of 1 of 3 authors differ"}},
		{name: "messages from the future, nobody to compare with", edit: func(f *Facts) {
			f.Status.Gossip["ignored_future_skew"] = 7
		}, want: []string{CauseClockSkew}, top: []string{"7 deliveries", "this clock is behind, or the senders' are ahead"}},
		{name: "messages from the future, others agree with this clock", edit: func(f *Facts) {
			f.Status.Gossip["ignored_future_skew"] = 7
			f.Status.Network.Clock = api.Clock{OffsetMS: 200, MinMS: 100, MaxMS: 300, Authors: 2, Samples: 5}
		}, want: []string{CauseClockSkew}, top: []string{"the sender's clock is ahead"}},
		{name: "disk low", edit: func(f *Facts) {
			f.Status.Store = &api.StoreHealth{State: "low", Reason: "only 300 MiB free", FreeBytes: 300 << 20, FloorBytes: 349 << 20, HardFloorBytes: 317 << 20, Refused: 4}
		}, want: []string{CauseDiskFull}, top: []string{"refuses messages from others", "only 300 MiB free", "4 writes refused"}},
		{name: "disk read-only", edit: func(f *Facts) { f.Status.Store.State = "read-only" }, want: []string{CauseDiskFull},
			top: []string{"read-only", "20.0 GiB free; messages from others need 349.0 MiB"}},
		{name: "disk almost full", edit: func(f *Facts) { f.Status.Store.FreeBytes = 500 << 20 },
			want: []string{CauseDiskLow}, top: []string{"500.0 MiB free", "below 349.0 MiB"}},
		{name: "nobody, nothing wrong", edit: func(f *Facts) {
			*f = withAlone(*f)
			f.Status.Relays = []api.Relay{{PeerID: "r", Connected: true, Reserved: true}}
		}, want: []string{CauseNoPeers}, top: []string{"nothing on this device explains why"}},
		{name: "a relay alone is fine", edit: func(f *Facts) {
			*f = withAlone(*f)
			f.Status.Network.Relay = true
			f.Status.Network.MDNS = api.MDNS{}
		}, want: nil},
		{name: "an old node without a network block", edit: func(f *Facts) {
			f.Status.Network = nil
			f.Status.Peers = 0
		}, want: []string{CauseNoRelay}},
		{name: "problems before warnings", edit: func(f *Facts) {
			f.Status.Store.FreeBytes = 500 << 20                                                                     // warning
			f.Status.Network.Clock = api.Clock{OffsetMS: 3600e3, MinMS: 3600e3, MaxMS: 3600e3, Authors: 2, Ahead: 2} // problem
		}, want: []string{CauseClockSkew, CauseDiskLow}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := healthy()
			c.edit(&f)
			got := Diagnose(f)
			if !slices.Equal(causes(got), c.want) {
				t.Fatalf("causes %q, want %q\n%+v", causes(got), c.want, got)
			}
			for _, g := range got {
				if g.Summary == "" || g.Advice == "" || (g.Severity != Problem && g.Severity != Warning) {
					t.Errorf("finding %s lacks a summary, advice or severity: %+v", g.Cause, g)
				}
			}
			if len(c.top) == 0 {
				return
			}
			all := got[0].Summary + "\n" + strings.Join(got[0].Evidence, "\n") + "\n" + got[0].Advice
			for _, w := range c.top {
				if !strings.Contains(all, w) {
					t.Errorf("the top finding does not say %q:\n%s", w, all)
				}
			}
		})
	}
}

// withAlone is f with nobody found.
func withAlone(f Facts) Facts {
	f.Status.Peers, f.Status.Network.DirectPeers = 0, 0
	return f
}

func TestSeverityFollowsPeers(t *testing.T) {
	f := alone()
	f.Status.Network.MDNS.Own = 0
	if got := Diagnose(f); len(got) == 0 || got[0].Severity != Problem {
		t.Errorf("mDNS blocked with nobody found: %+v, want a problem first", got)
	}
	f = healthy()
	f.Status.Network.MDNS.Own = 0
	if got := Diagnose(f); len(got) != 1 || got[0].Severity != Warning {
		t.Errorf("mDNS blocked with peers found: %+v, want one warning", got)
	}
}

func TestPending(t *testing.T) {
	f := alone()
	if p := Pending(f); p != "" {
		t.Errorf("after ten minutes: %q", p)
	}
	f.Status.Started = now.Add(-4 * time.Second)
	if p := Pending(f); !strings.Contains(p, "4s ago") || !strings.Contains(p, "30s") {
		t.Errorf("after four seconds: %q", p)
	}
	f.Status = nil
	if p := Pending(f); p != "" {
		t.Errorf("without a node: %q", p)
	}
}

func TestNoPeers(t *testing.T) {
	st := &api.Status{Peers: 1, Relays: []api.Relay{{Connected: true}}}
	if !NoPeers(st) {
		t.Error("a relay alone counts as a peer found")
	}
	st.Peers = 2
	if NoPeers(st) {
		t.Error("a relay and a peer count as nobody")
	}
	st.Network = &api.Network{RelayedPeers: 1}
	if NoPeers(st) {
		t.Error("a relayed peer counts as nobody")
	}
}

func TestInterfaces(t *testing.T) {
	ifaces, err := Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	// Every machine that runs the tests has a loopback interface.
	if !slices.ContainsFunc(ifaces, func(i Interface) bool { return i.Loopback && i.Up }) {
		t.Errorf("no loopback interface up among %+v", ifaces)
	}
}

// The node's times are read on its own clock, which may not be the
// doctor's.
func TestNodeClock(t *testing.T) {
	f := alone()
	nodeNow := now.Add(time.Hour) // the node's clock is an hour ahead
	f.Status.Network.Now = &nodeNow
	f.Status.Started = nodeNow.Add(-10 * time.Second)
	f.Status.Network.MDNS.Since = &f.Status.Started
	f.Status.Network.MDNS.Own, f.Status.Network.MDNS.LastOwn = 0, nil
	if got := Diagnose(f); len(got) != 0 {
		t.Errorf("ten seconds after start by the node's clock: %+v, want nothing yet", got)
	}
	if p := Pending(f); !strings.Contains(p, "10s ago") {
		t.Errorf("pending %q", p)
	}
	later := nodeNow.Add(time.Minute)
	f.Status.Network.Now = &later
	if got := Diagnose(f); len(got) == 0 || got[0].Cause != CauseMDNSBlocked {
		t.Errorf("a minute later: %+v, want mDNS blocked", got)
	}
}

func TestWhy(t *testing.T) {
	st := &api.Status{Findings: []api.Finding{
		{Cause: CauseDiskFull, Summary: "disk"}, {Cause: CauseMDNSOff, Summary: "off"}, {Cause: CauseNoRelay, Summary: "relay"},
	}}
	if f, ok := Why(st); !ok || f.Cause != CauseMDNSOff {
		t.Errorf("Why = %+v, %v; want mdns-off, past the disk", f, ok)
	}
	st.Findings = st.Findings[:1]
	if f, ok := Why(st); ok {
		t.Errorf("Why with only the disk = %+v", f)
	}
	st.Peers = 1
	st.Findings = []api.Finding{{Cause: CauseMDNSOff}}
	if f, ok := Why(st); ok {
		t.Errorf("Why with a peer = %+v", f)
	}
}
