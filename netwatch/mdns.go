package netwatch

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/net/ipv4"
)

// The mDNS group and port (RFC 6762). Only IPv4 is watched: a LAN that
// blocks it blocks IPv6 mDNS too, in practice.
var mdnsGroup = &net.UDPAddr{IP: net.IPv4(224, 0, 0, 251), Port: 5353}

// Listener bounds.
const (
	// mdnsRecords is how many questions and answers of one packet are
	// looked at for Starling's service.
	mdnsRecords = 64
	// mdnsPoll is how often a waiting read checks its context.
	mdnsPoll = time.Second
)

// MDNSConfig configures an MDNS listener. Zero fields take the defaults
// documented on them.
type MDNSConfig struct {
	// Service is the DNS-SD service whose packets count as Starling's, such
	// as "_starling._udp". Required.
	Service string
	// Rejoin is how often the interfaces are listed again: the group is
	// joined on new ones and this device's addresses are learnt anew.
	// Default 30 s.
	Rejoin time.Duration
	// Clock defaults to time.Now.
	Clock func() time.Time
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// MDNS listens to the mDNS group without sending anything, beside the
// node's own mDNS service (both sockets share port 5353, as the kernel
// lets sockets that set SO_REUSEADDR; Go sets it when the address to
// listen on is a multicast one). It counts what it hears: the node's own
// packets, looped back by the kernel, show that multicast works on this
// device; other devices' show that it crosses the LAN. It never answers and
// keeps nothing of a packet but the counts.
type MDNS struct {
	cfg     MDNSConfig
	service string // "_starling._udp.local.", lower case

	mu  sync.Mutex
	rep MDNSReport

	own map[netip.Addr]bool // this device's addresses; Run's goroutine only
}

// NewMDNS returns a listener; Run runs it.
func NewMDNS(cfg MDNSConfig) *MDNS {
	if cfg.Rejoin <= 0 {
		cfg.Rejoin = 30 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &MDNS{
		cfg:     cfg,
		service: strings.ToLower(strings.TrimSuffix(cfg.Service, ".") + ".local."),
		rep:     MDNSReport{Enabled: true},
		own:     map[netip.Addr]bool{},
	}
}

// Report returns what the listener heard so far.
func (m *MDNS) Report() MDNSReport {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rep
	r.Interfaces = append([]string(nil), m.rep.Interfaces...)
	return r
}

// Run listens until ctx ends. When the socket cannot be opened (another
// program holds port 5353 without sharing it), the report says why and Run
// tries again every Rejoin.
func (m *MDNS) Run(ctx context.Context) {
	m.mu.Lock()
	m.rep.Since = m.cfg.Clock()
	m.mu.Unlock()
	for ctx.Err() == nil {
		conn, err := net.ListenUDP("udp4", mdnsGroup)
		if err != nil {
			m.setListening(nil, "cannot listen on UDP port 5353: "+err.Error())
			m.cfg.Logger.Debug("mDNS listener cannot open its socket", "err", err)
			t := time.NewTimer(m.cfg.Rejoin)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			continue
		}
		m.serve(ctx, conn)
		conn.Close()
	}
}

// serve reads packets until ctx ends or the socket fails.
func (m *MDNS) serve(ctx context.Context, conn *net.UDPConn) {
	pc := ipv4.NewPacketConn(conn)
	m.join(pc)
	next := time.Now().Add(m.cfg.Rejoin)
	buf := make([]byte, 9000) // mDNS allows jumbo packets
	for {
		conn.SetReadDeadline(time.Now().Add(mdnsPoll))
		n, src, err := conn.ReadFromUDPAddrPort(buf)
		if ctx.Err() != nil {
			return
		}
		var ne net.Error
		switch {
		case err == nil:
			m.heard(buf[:n], src.Addr().Unmap())
		case errors.As(err, &ne) && ne.Timeout():
		default:
			m.setListening(nil, "reading mDNS packets failed: "+err.Error())
			return
		}
		if time.Now().After(next) {
			m.join(pc)
			next = time.Now().Add(m.cfg.Rejoin)
		}
	}
}

// join joins the mDNS group on every interface that is up and can do
// multicast (again: the kernel forgets the membership of an interface
// that went away) and learns this device's addresses.
func (m *MDNS) join(pc *ipv4.PacketConn) {
	ifaces, err := net.Interfaces()
	if err != nil {
		m.setListening(nil, "cannot list network interfaces: "+err.Error())
		return
	}
	own := map[netip.Addr]bool{}
	var joined []string
	var lastErr error
	for _, ifi := range ifaces {
		if addrs, err := ifi.Addrs(); err == nil {
			for _, a := range addrs {
				if p, err := netip.ParsePrefix(a.String()); err == nil {
					own[p.Addr().Unmap()] = true
				}
			}
		}
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagMulticast == 0 {
			continue
		}
		err := pc.JoinGroup(&ifi, &net.UDPAddr{IP: mdnsGroup.IP})
		if err != nil && !errors.Is(err, syscall.EADDRINUSE) {
			lastErr = err
			continue
		}
		joined = append(joined, ifi.Name)
	}
	m.own = own
	switch {
	case len(joined) > 0:
		m.setListening(joined, "")
	case lastErr != nil:
		m.setListening(nil, "cannot join the mDNS group on any interface: "+lastErr.Error())
	default:
		m.setListening(nil, "no network interface that is up can do multicast")
	}
}

func (m *MDNS) setListening(ifaces []string, why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rep.Listening, m.rep.Interfaces, m.rep.Error = len(ifaces) > 0, ifaces, why
}

// heard counts one packet from src.
func (m *MDNS) heard(pkt []byte, src netip.Addr) {
	own := m.own[src]
	starling := !own && mentions(pkt, m.service)
	now := m.cfg.Clock()
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case own:
		m.rep.Own++
		m.rep.LastOwn = now
	default:
		m.rep.Others++
		m.rep.LastOther = now
		if starling {
			m.rep.Starling++
			m.rep.LastStarling = now
		}
	}
}

// mentions reports whether an mDNS packet asks about or answers for
// service (lower case, ending in "."): a question or answer of that name or
// of an instance of it, or a pointer to one. A packet that does not parse
// mentions nothing.
func mentions(pkt []byte, service string) bool {
	var p dnsmessage.Parser
	if _, err := p.Start(pkt); err != nil {
		return false
	}
	of := func(name dnsmessage.Name) bool {
		s := strings.ToLower(name.String())
		return s == service || strings.HasSuffix(s, "."+service)
	}
	seen := 0
	for ; seen < mdnsRecords; seen++ {
		q, err := p.Question()
		if err != nil {
			break
		}
		if of(q.Name) {
			return true
		}
	}
	if err := p.SkipAllQuestions(); err != nil {
		return false
	}
	for ; seen < mdnsRecords; seen++ {
		h, err := p.AnswerHeader()
		if err != nil {
			return false
		}
		if of(h.Name) {
			return true
		}
		if h.Type != dnsmessage.TypePTR {
			if p.SkipAnswer() != nil {
				return false
			}
			continue
		}
		ptr, err := p.PTRResource()
		if err != nil {
			return false
		}
		if of(ptr.PTR) {
			return true
		}
	}
	return false
}
