package netwatch

import (
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// packet builds an mDNS packet: a query for qname, or a response with a PTR
// from name to target.
func packet(t *testing.T, response bool, qname, name, target string) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{Response: response, Authoritative: response})
	b.EnableCompression()
	if qname != "" {
		if err := b.StartQuestions(); err != nil {
			t.Fatal(err)
		}
		if err := b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(qname), Type: dnsmessage.TypePTR, Class: dnsmessage.ClassINET}); err != nil {
			t.Fatal(err)
		}
	}
	if name != "" {
		if err := b.StartAnswers(); err != nil {
			t.Fatal(err)
		}
		// A record before the PTR, which mentions must skip.
		if err := b.AResource(dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName("host.local."), Class: dnsmessage.ClassINET, TTL: 120},
			dnsmessage.AResource{A: [4]byte{10, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		if err := b.PTRResource(dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: 120},
			dnsmessage.PTRResource{PTR: dnsmessage.MustNewName(target)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMentions(t *testing.T) {
	const svc = "_starling._udp.local."
	for _, c := range []struct {
		name string
		pkt  []byte
		want bool
	}{
		{"query for the service", packet(t, false, "_starling._udp.local.", "", ""), true},
		{"query in another case", packet(t, false, "_Starling._UDP.local.", "", ""), true},
		{"answer naming the service", packet(t, true, "", "_starling._udp.local.", "abc._starling._udp.local."), true},
		{"pointer to an instance", packet(t, true, "", "_services._dns-sd._udp.local.", "abc._starling._udp.local."), true},
		{"another service", packet(t, true, "_airplay._tcp.local.", "_airplay._tcp.local.", "tv._airplay._tcp.local."), false},
		{"a look-alike", packet(t, false, "x_starling._udp.local.", "", ""), false},
		{"garbage", []byte{1, 2, 3}, false},
		{"empty", nil, false},
	} {
		if got := mentions(c.pkt, svc); got != c.want {
			t.Errorf("%s: mentions = %v, want %v", c.name, got, c.want)
		}
	}
}

func FuzzMentions(f *testing.F) {
	f.Add([]byte{0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		mentions(pkt, "_starling._udp.local.")
	})
}

func TestHeardSortsOwnOthersAndStarling(t *testing.T) {
	now := t0
	m := NewMDNS(MDNSConfig{Service: "_starling._udp", Clock: func() time.Time { return now }})
	self, other := netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.9")
	m.own[self] = true
	starling := packet(t, false, "_starling._udp.local.", "", "")
	printer := packet(t, true, "", "_ipp._tcp.local.", "printer._ipp._tcp.local.")

	m.heard(starling, self)
	now = now.Add(time.Second)
	m.heard(printer, other)
	now = now.Add(time.Second)
	m.heard(starling, other)

	r := m.Report()
	if r.Own != 1 || r.Others != 2 || r.Starling != 1 {
		t.Fatalf("own %d others %d starling %d, want 1, 2, 1", r.Own, r.Others, r.Starling)
	}
	if !r.LastOwn.Equal(t0) || !r.LastOther.Equal(t0.Add(2*time.Second)) || !r.LastStarling.Equal(t0.Add(2*time.Second)) {
		t.Errorf("times: %+v", r)
	}
	if !r.Enabled {
		t.Error("a listener reports mDNS disabled")
	}
}
