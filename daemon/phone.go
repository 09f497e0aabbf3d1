package daemon

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	ma "github.com/multiformats/go-multiaddr"

	"starling/node"
	"starling/peering"
	"starling/phone"
	"starling/store"
	"starling/webui"
)

// Phone serves the phone page (package phone) on the node's WebSocket
// listeners, so that a phone loads the page and connects to the node on
// one port, and writes the door poster.
type Phone struct {
	// Listen is the HOST:PORT the page and its WebSocket are served on:
	// the node listens on /ip4/HOST/tcp/PORT/ws (/tls/ws with TLS) besides
	// its other addresses. Empty: the page is served on the node's other
	// /ws listeners only, and there is no poster.
	Listen string
	// Event names the event on the poster; default the first joined
	// group's name.
	Event string
	// Host is the host name or address the poster's link names: with TLS,
	// a name the certificate holds that resolves on the venue's LAN.
	// Default: this machine's first private LAN address.
	Host string
	// TLS, if set, serves the page over https and its WebSocket as wss,
	// with a service worker that keeps the page available offline.
	TLS *tls.Config
}

// phoneServer is what the phone page needs from the daemon: the node once
// it exists, and the poster once it is drawn.
type phoneServer struct {
	cfg    *Phone
	node   atomic.Pointer[node.Node]
	listen ma.Multiaddr // Listen's multiaddr
	port   string       // its port, once listening
	mu     sync.Mutex
	png    []byte
	svg    []byte
}

// LoadTLS reads a certificate and its key (PEM files) for Phone.TLS.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s, --tls-key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// phoneListen is the multiaddr the page is served on.
func phoneListen(p *Phone) (ma.Multiaddr, string, error) {
	host, port, err := net.SplitHostPort(p.Listen)
	if err != nil {
		return nil, "", fmt.Errorf("phone page address %q: want HOST:PORT, such as 0.0.0.0:8080", p.Listen)
	}
	proto := "ip4"
	if host == "" {
		host = "0.0.0.0"
	} else if ip, err := netip.ParseAddr(host); err != nil {
		return nil, "", fmt.Errorf("phone page address %q: the host must be an IP address", p.Listen)
	} else if ip.Is6() {
		proto = "ip6"
	}
	ws := "ws"
	if p.TLS != nil {
		ws = "tls/ws"
	}
	a, err := ma.NewMultiaddr(fmt.Sprintf("/%s/%s/tcp/%s/%s", proto, host, port, ws))
	if err != nil {
		return nil, "", fmt.Errorf("phone page address %q: %w", p.Listen, err)
	}
	return a, port, nil
}

// setupPhone wires the page into the node's configuration, before the node
// is built.
func setupPhone(cfg *Config) (*phoneServer, error) {
	p := cfg.Phone
	s := &phoneServer{cfg: p}
	if p.Listen != "" {
		a, port, err := phoneListen(p)
		if err != nil {
			return nil, err
		}
		if len(cfg.Node.ListenAddrs) == 0 {
			cfg.Node.ListenAddrs = peering.DefaultListenAddrs()
		}
		cfg.Node.ListenAddrs = append(cfg.Node.ListenAddrs, a)
		s.listen, s.port = a, port
	}
	cfg.Node.WebSocket.TLS = p.TLS
	cfg.Node.WebSocket.HTTP = phone.Handler(phone.Config{Node: s.info, Poster: s.poster, TLS: p.TLS != nil})
	return s, nil
}

// pageAddrs are the node's addresses a page served by it can dial: /ws,
// or with TLS /tls/ws (browsers refuse ws from an https page).
func (s *phoneServer) pageAddrs(n *node.Node) []ma.Multiaddr {
	var out []ma.Multiaddr
	for _, a := range n.Addrs() {
		if _, err := a.ValueForProtocol(ma.P_WS); err != nil {
			if _, err := a.ValueForProtocol(ma.P_WSS); err != nil {
				continue
			}
		}
		secure := false
		for _, c := range a {
			if c.Protocol().Code == ma.P_TLS || c.Protocol().Code == ma.P_WSS {
				secure = true
			}
		}
		if secure == (s.cfg.TLS != nil) {
			out = append(out, a)
		}
	}
	return out
}

func (s *phoneServer) info() phone.NodeInfo {
	n := s.node.Load()
	if n == nil {
		return phone.NodeInfo{}
	}
	u := n.User()
	info := phone.NodeInfo{Fingerprint: string(u.Fingerprint()), FingerprintPretty: u.Fingerprint().Pretty(), Name: u.Name, PeerID: n.ID().String()}
	for _, a := range s.pageAddrs(n) {
		info.Addrs = append(info.Addrs, a.String())
	}
	return info
}

func (s *phoneServer) poster() ([]byte, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.png, s.svg
}

// startPhone reports where the page is and writes the poster (phone.png
// and phone.svg in the home) for the first joined group that this node can
// invite to, naming this node's page address as the relay to dial.
func (d *daemon) startPhone() error {
	s := d.phone
	s.node.Store(d.n)
	if s.listen == nil {
		return nil
	}
	if s.port == "0" {
		s.port = boundPort(d.n, s.listen)
	}
	host := s.cfg.Host
	if host == "" {
		host = posterHost(s.listen)
	}
	if host == "" {
		fmt.Fprintf(d.cfg.Out, "phone page on port %s (no LAN address found for the poster: give --phone-host)\n", s.port)
		return nil
	}
	scheme, ws := "http", "ws"
	if s.cfg.TLS != nil {
		scheme, ws = "https", "tls/ws"
	}
	page := scheme + "://" + net.JoinHostPort(host, s.port)
	fmt.Fprintf(d.cfg.Out, "phone page %s/\n", page)
	d.started.Phone = &PhoneStarted{Page: page + "/"}
	hostProto := "dns"
	if ip, err := netip.ParseAddr(host); err == nil {
		hostProto = "ip4"
		if ip.Is6() {
			hostProto = "ip6"
		}
	}
	relayAddr := fmt.Sprintf("/%s/%s/tcp/%s/%s/p2p/%s", hostProto, host, s.port, ws, d.n.ID())
	groups, err := d.n.Groups()
	if err != nil {
		return err
	}
	// The groups of Config.Join first, in their order, then the others.
	ids := slices.Clone(d.joined)
	for _, g := range groups {
		if !slices.Contains(ids, g.ID) {
			ids = append(ids, g.ID)
		}
	}
	var link, event string
	for _, id := range ids {
		i := slices.IndexFunc(groups, func(g store.Group) bool { return g.ID == id })
		if i < 0 {
			continue
		}
		if l, err := d.n.Moderation().Invite(id.String(), []string{relayAddr}); err == nil {
			link, event = l, groups[i].Name
			break
		}
	}
	if link == "" {
		fmt.Fprintln(d.cfg.Out, "phone poster: none (no joined group this node can invite to: give --group a channel name or a member's link)")
		return nil
	}
	if s.cfg.Event != "" {
		event = s.cfg.Event
	}
	url := page + "/#" + strings.ReplaceAll(link, "%", "%25")
	png, svg, err := phone.Poster(phone.PosterText{Event: event, Link: url, Show: page})
	if err != nil {
		return fmt.Errorf("phone poster: %w", err)
	}
	pngPath, svgPath := filepath.Join(string(d.cfg.Home), "phone-poster.png"), filepath.Join(string(d.cfg.Home), "phone-poster.svg")
	if err := os.WriteFile(pngPath, png, 0o644); err != nil {
		return fmt.Errorf("phone poster: %w", err)
	}
	if err := os.WriteFile(svgPath, svg, 0o644); err != nil {
		return fmt.Errorf("phone poster: %w", err)
	}
	s.mu.Lock()
	s.png, s.svg = png, svg
	s.mu.Unlock()
	d.started.Phone.Poster = url
	fmt.Fprintf(d.cfg.Out, "phone poster %s, %s (also %s/poster.png): %s\n", pngPath, svgPath, page, url)
	return nil
}

// PhoneStarted is where the phone page is, for Started.
type PhoneStarted struct {
	// Page is the page's URL (with the host the poster names).
	Page string
	// Poster is the link the door poster's QR code holds ("" : no poster).
	Poster string
}

// boundPort is the port the node listens on for listen, which asked for
// port 0: the last listener of the same address and transport.
func boundPort(n *node.Node, listen ma.Multiaddr) string {
	want, _ := listen.ValueForProtocol(ma.P_IP4)
	if want == "" {
		want, _ = listen.ValueForProtocol(ma.P_IP6)
	}
	tls := func(a ma.Multiaddr) bool {
		_, err := a.ValueForProtocol(ma.P_TLS)
		return err == nil
	}
	port := "0"
	for _, a := range n.Host().Network().ListenAddresses() {
		ip, _ := a.ValueForProtocol(ma.P_IP4)
		if ip == "" {
			ip, _ = a.ValueForProtocol(ma.P_IP6)
		}
		if _, err := a.ValueForProtocol(ma.P_WS); err != nil || ip != want || tls(a) != tls(listen) {
			continue
		}
		if p, err := a.ValueForProtocol(ma.P_TCP); err == nil {
			port = p
		}
	}
	return port
}

// posterHost is the address the poster names when --phone-host is not
// given: the listener's own address when it names one, else this
// machine's first private LAN address of the listener's family (IPv4
// first when it listens on both).
func posterHost(listen ma.Multiaddr) string {
	ip4, err4 := listen.ValueForProtocol(ma.P_IP4)
	ip6, _ := listen.ValueForProtocol(ma.P_IP6)
	if err4 == nil && ip4 != "0.0.0.0" {
		return ip4
	}
	if ip6 != "" && ip6 != "::" {
		return ip6
	}
	lan, err := webui.LANAddrs()
	if err != nil {
		return ""
	}
	for _, a := range lan {
		if a.Is4() == (err4 == nil) {
			return a.String()
		}
	}
	return ""
}
