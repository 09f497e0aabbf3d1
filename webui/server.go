package webui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"starling/api"
)

// API is the local API as the web UI uses it, in the same process:
// *apiserver.Server satisfies it. Both methods must be safe for concurrent
// use.
type API interface {
	// ServeHTTP answers the page's requests, proxied to /v1/...
	http.Handler
	// Watch streams new messages and delivery updates (of every group
	// when ref is empty) to fn until ctx ends, fn fails or the API ends
	// the stream (an error wrapping api.ErrStreamEnded); opened is called
	// once every later event will reach fn. It has api.Client.Watch's
	// contract.
	Watch(ctx context.Context, ref string, opened func(), fn func(api.Event) error) error
}

// Config configures a Server.
type Config struct {
	// API is the local API. Required.
	API API
	// APIToken is the bearer token the API's handler requires. Required.
	APIToken string
	// Token is what the browser must present: the t= of the link's
	// fragment. Empty: a fresh random one (see Server.Token).
	Token string
	// LAN allows listeners on addresses beyond loopback (--web-lan). Off,
	// Serve refuses them and ServeHTTP refuses requests that arrive on one.
	LAN bool
	// RequestRate and RequestBurst bound the API, socket and QR requests of
	// one client IP address (per second, and how many may come at once).
	// Zero: 20 per second, bursts of 60. The page and its scripts are not
	// counted. Requests with the web token and requests without it are
	// counted apart, each kind at this rate, so that requests without it
	// cannot use up the budget of the page that has it.
	RequestRate  float64
	RequestBurst int
	// MaxSockets bounds the open WebSockets (one per open page); past it a
	// new one gets 503. Zero: 16.
	MaxSockets int
	// Now is the clock for rate limits. Nil: time.Now.
	Now func() time.Time
	// Logger defaults to discarding.
	Logger *slog.Logger
}

const (
	defaultRate       = 20
	defaultBurst      = 60
	defaultMaxSockets = 16
	// maxBody caps request bodies, as the API does (api.MaxRequestBody).
	maxBody = 64 << 10
	// shutdownGrace is how long Serve waits for open requests at the end.
	shutdownGrace = 5 * time.Second
)

// Server serves the web UI. Serve runs it; ServeHTTP is its handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	assets  *assets
	limit   *limiter      // requests with the token
	refused *limiter      // requests without it
	slots   chan struct{} // one per open WebSocket
	sockets sync.WaitGroup
}

// New checks cfg, fills its defaults and builds a server.
func New(cfg Config) (*Server, error) {
	if cfg.API == nil {
		return nil, errors.New("webui: no API handler")
	}
	if cfg.APIToken == "" {
		return nil, errors.New("webui: no API token")
	}
	if cfg.Token == "" {
		t, err := NewToken()
		if err != nil {
			return nil, err
		}
		cfg.Token = t
	}
	if len(cfg.Token) < 32 {
		return nil, errors.New("webui: token too short; use at least 32 characters (NewToken makes one)")
	}
	if cfg.RequestRate <= 0 {
		cfg.RequestRate = defaultRate
	}
	if cfg.RequestBurst <= 0 {
		cfg.RequestBurst = defaultBurst
	}
	if cfg.MaxSockets <= 0 {
		cfg.MaxSockets = defaultMaxSockets
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		mux:     http.NewServeMux(),
		assets:  a,
		limit:   newLimiter(cfg.RequestRate, cfg.RequestBurst, cfg.Now),
		refused: newLimiter(cfg.RequestRate, cfg.RequestBurst, cfg.Now),
		slots:   make(chan struct{}, cfg.MaxSockets),
	}
	s.routes()
	return s, nil
}

// NewToken returns a fresh random web token: 32 bytes in hex.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Token is the token the browser must present.
func (s *Server) Token() string { return s.cfg.Token }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /{$}", s.serveAsset)
	s.mux.HandleFunc("GET /style.css", s.serveAsset)
	s.mux.HandleFunc("GET /look.css", s.serveAsset)
	s.mux.HandleFunc("GET /talk.css", s.serveAsset)
	s.mux.HandleFunc("GET /alert.css", s.serveAsset)
	s.mux.HandleFunc("GET /icon.svg", s.serveAsset)
	s.mux.HandleFunc("GET /js/{file}", s.serveAsset)
	s.mux.Handle("/api/v1/", s.guard(http.HandlerFunc(s.serveAPI)))
	s.mux.Handle("GET /ws", s.guard(http.HandlerFunc(s.serveSocket)))
	s.mux.Handle("POST /ui/v1/qr", s.guard(http.HandlerFunc(s.serveQR)))
}

// ServeHTTP sets the security headers, checks Host (and Origin when the
// request carries one), then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allowedHost(r, s.cfg.LAN) {
		setSecurityHeaders(w.Header(), "")
		writeError(w, http.StatusForbidden, fmt.Errorf("host %q is not this web UI's address", r.Host))
		return
	}
	setSecurityHeaders(w.Header(), r.Host)
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r.Host) {
		writeError(w, http.StatusForbidden, fmt.Errorf("origin %q may not use this web UI", origin))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// setSecurityHeaders: scripts, styles and images from this origin only (no
// inline script), sockets to this host (a checked Host; "" for none), no
// framing, no referrer.
func setSecurityHeaders(h http.Header, host string) {
	connect := "'self'"
	if host != "" {
		// Older browsers do not count ws: as 'self'.
		connect += " ws://" + host
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
		"img-src 'self' blob: data:; connect-src "+connect+"; object-src 'none'; "+
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
}

// guard admits a request with the web token within its client's rate.
//
// The token comes first: any web page can make a browser send requests
// here without it (an <img> tag sends them with no Origin header), and
// those come from the same address as the page that has the token. So a
// request without it is charged to a budget of its own and refused, and
// never touches the budget of the requests that carry it.
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if !s.authorized(r) {
			if !s.refused.allow(clientIP(r)) {
				tooMany(w)
				return
			}
			writeError(w, http.StatusUnauthorized, errors.New("missing or wrong web UI token; open the link that `starling open` prints"))
			return
		}
		if !s.limit.allow(clientIP(r)) {
			tooMany(w)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// tooMany answers a request over its client's rate.
func tooMany(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusTooManyRequests, errors.New("too many requests; slow down"))
}

// Serve answers on every listener until ctx ends or one fails, then shuts
// down, giving open requests a moment to finish, and returns once every
// socket it upgraded has closed. It closes the listeners. Listeners beyond
// loopback need Config.LAN.
func (s *Server) Serve(ctx context.Context, lns ...net.Listener) error {
	if len(lns) == 0 {
		return errors.New("webui: no listener")
	}
	for _, ln := range lns {
		if !s.cfg.LAN && !isLoopback(ln.Addr()) {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("webui: %s is not a loopback address; serving beyond this machine needs LAN mode (--web-lan)", ln.Addr())
		}
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { errc <- srv.Serve(ln) }()
	}
	var err error
	pending := len(lns)
	select {
	case err = <-errc:
		pending--
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if serr := srv.Shutdown(shutCtx); err == nil || errors.Is(err, http.ErrServerClosed) {
		err = serr
	}
	for ; pending > 0; pending-- {
		<-errc
	}
	// Sockets were hijacked, so Shutdown does not wait for them; they end
	// with ctx.
	s.sockets.Wait()
	return err
}

// Link is the address of the web UI on hostport with the token in the
// fragment.
func Link(hostport, token string) string { return "http://" + hostport + "/#t=" + token }

// writeJSON and writeError answer as the API does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
	}{err.Error()})
}
