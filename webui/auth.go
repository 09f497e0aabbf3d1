package webui

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// allowedHost accepts a Host header that names the address the request
// arrived on: on loopback, 127.0.0.1, localhost or [::1] with that port; on
// a LAN address (LAN mode only), that address and port. A web page that
// reaches this port through DNS rebinding sends its own host name, so it
// gets nothing. The listener's port is the one that counts: Host names
// without a port only pass on port 80, where browsers leave it out.
func allowedHost(r *http.Request, lan bool) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	tcp, ok := local.(*net.TCPAddr)
	if !ok {
		return false
	}
	port := strconv.Itoa(tcp.Port)
	ip := tcp.IP
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	var names []string
	switch {
	case ip.IsLoopback():
		names = []string{"localhost", "127.0.0.1", "[::1]"}
		if s := ip.String(); s != "127.0.0.1" && s != "::1" {
			names = append(names, hostName(ip))
		}
	case lan:
		names = []string{hostName(ip)}
	default:
		return false
	}
	host := strings.ToLower(r.Host)
	for _, n := range names {
		if host == n+":"+port || (port == "80" && host == n) {
			return true
		}
	}
	return false
}

// hostName is how an IP address appears in a Host header.
func hostName(ip net.IP) string {
	if ip.To4() == nil {
		return "[" + ip.String() + "]"
	}
	return ip.String()
}

// sameOrigin reports whether an Origin header names this host over HTTP.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Scheme == "http" && u.Path == "" && strings.EqualFold(u.Host, host)
}

func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// Protocol is the WebSocket subprotocol of the event socket. The page also
// offers TokenProtocol+token, which carries the web token: browsers cannot
// set headers on a WebSocket, and a token in the URL would land in logs and
// history.
const (
	Protocol      = "starling.v1"
	TokenProtocol = "starling.token."
)

// authorized reports whether r carries the web token: as a bearer token, or
// on a WebSocket upgrade as a subprotocol.
func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok && r.Header.Get("Upgrade") != "" {
		got, ok = subprotocolToken(r)
	}
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) == 1
}

func subprotocolToken(r *http.Request) (string, bool) {
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(h, ",") {
			if t, ok := strings.CutPrefix(strings.TrimSpace(p), TokenProtocol); ok {
				return t, true
			}
		}
	}
	return "", false
}

// clientIP is the address a request came from, for rate limits.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter is a token bucket per client address. It holds at most
// maxClients buckets; when full it forgets the buckets that have refilled
// (they would allow a burst anyway), and refuses new clients while none has.
type limiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

const maxClients = 1024

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

func (l *limiter) allow(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[client]
	if !ok {
		if len(l.buckets) >= maxClients && !l.forgetFullLocked(now) {
			return false
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[client] = b
	}
	b.refill(now, l.rate, l.burst)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// forgetFullLocked drops refilled buckets and reports whether any went.
func (l *limiter) forgetFullLocked(now time.Time) bool {
	n := len(l.buckets)
	for c, b := range l.buckets {
		if b.refill(now, l.rate, l.burst); b.tokens >= l.burst {
			delete(l.buckets, c)
		}
	}
	return len(l.buckets) < n
}

func (b *bucket) refill(now time.Time, rate, burst float64) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(burst, b.tokens+d.Seconds()*rate)
		b.at = now
	}
}
