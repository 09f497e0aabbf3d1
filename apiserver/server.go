package apiserver

import (
	"context"
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/api"
	"starling/catchup"
	"starling/delivery"
	"starling/doctor"
	"starling/gossip"
	"starling/group"
	"starling/identity"
	"starling/message"
	"starling/relay"
	"starling/store"
)

// Backend is what the API serves. node.Node satisfies it. Every method must
// be safe for concurrent use.
type Backend interface {
	ID() peer.ID
	Addrs() []ma.Multiaddr
	User() *identity.User
	Started() time.Time
	// Join joins an open channel by name, a group by its invite link, or a
	// group this user left by its ID or name.
	Join(ctx context.Context, name string) (store.Group, error)
	// JoinChannel joins the open channel called name, whatever else the
	// name names.
	JoinChannel(ctx context.Context, name string) (store.Group, error)
	Leave(ctx context.Context, ref string) (store.Group, error)
	Groups() ([]store.Group, error)
	// LeftGroups lists the groups this user left (Leave) that the store
	// keeps.
	LeftGroups() ([]store.Group, error)
	ResolveGroup(ref string) (store.Group, error)
	// History reads a joined group's messages or a left group's (the
	// Group's LeftAt is set then).
	// Send returns how many peers took the message; 0 means it is queued.
	Send(ctx context.Context, ref, text string) (*message.Message, int, error)
	History(ref string, q store.Query) (store.Group, store.Page, error)
	Count(group message.GroupID) (int, error)
	// Subscribe streams newly stored messages until ctx ends; errf ends the
	// subscription and says why it ended.
	Subscribe(ctx context.Context) (events <-chan store.Stored, errf func() error)
	ConnectedPeers() []peer.AddrInfo
	GroupPeers(group message.GroupID) []peer.ID
	OutboxLen() (int, error)
	GossipStats() gossip.Stats
	// Sync catches up now with the peers of the group named by ref (all
	// groups when empty); each Result carries its session's error.
	Sync(ctx context.Context, ref string) ([]catchup.Result, error)
	// LastSync is a group's last completed catch-up session.
	LastSync(group message.GroupID) (catchup.Result, bool)

	// Open decodes a stored message of a joined or left group for display
	// (unsealing it in a private group); an error means this node cannot
	// read it.
	Open(m *message.Message) (group.Content, error)
	// CreateGroup creates a group owned by this user and joins it.
	CreateGroup(ctx context.Context, kind group.Kind, name string, endsAt time.Time) (store.Group, error)
	// GroupState returns a joined group and its State.
	GroupState(ref string) (store.Group, *group.State, error)
	// SetBlock blocks or mutes an author, or lifts that with mode "".
	SetBlock(author identity.Fingerprint, mode string) (ed25519.PublicKey, error)
	// Delivery reports where one of this user's recent messages went.
	Delivery(id message.ID) (delivery.Status, bool)
	// SubscribeDeliveries streams delivery changes like Subscribe.
	SubscribeDeliveries(ctx context.Context) (updates <-chan delivery.Status, errf func() error)
	// Relays lists the organiser relays this node uses.
	Relays() []relay.Link
	// BlockMode is "block", "mute" or "" for an author.
	BlockMode(author ed25519.PublicKey) string
}

// Moderation is what the group management endpoints serve
// (Config.Moderation); the node's moderation.Service is one.
type Moderation interface {
	// Invite returns an invite link to a joined group.
	Invite(ref string, relays []string) (string, error)
	// CarrierInvite returns a private group's carrier link: whoever joins
	// with it carries the group's messages but cannot read them.
	CarrierInvite(ref string, relays []string) (string, error)
	RemoveMember(ctx context.Context, ref string, member identity.Fingerprint) error
	// AddMember admits someone removed, or whose invite went stale, to a
	// private group.
	AddMember(ctx context.Context, ref string, member identity.Fingerprint) error
	DeleteMessage(ctx context.Context, ref string, target message.ID, reason string) (*message.Message, int, error)
	Ban(ctx context.Context, ref string, author identity.Fingerprint, reason string) (*message.Message, int, error)
	Unban(ctx context.Context, ref string, author identity.Fingerprint) (*message.Message, int, error)
	UpdateGroup(ctx context.Context, ref string, u group.Update) (*message.Message, error)
}

// Config configures a Server.
type Config struct {
	Backend Backend
	// Moderation serves invites, members, deletions, bans and settings;
	// without it their endpoints answer 501.
	Moderation Moderation
	// Alerts serves organiser alerts; without it their endpoints answer
	// 501.
	Alerts Alerts
	// Pictures serves pictures; without it their endpoints answer 501.
	Pictures Pictures
	// People finds people by less than a whole fingerprint and says who
	// they are; without it requests name people by whole fingerprints and
	// whois answers 501.
	People People
	// Conversation serves replies, reactions and @name people; without it
	// their endpoints answer 501.
	Conversation Conversation
	// Token is the bearer token every request must carry.
	Token string
	// Interfaces, if set, lists this machine's network interfaces for the
	// status's findings (doctor.Interfaces); nil skips the checks that
	// need them.
	Interfaces func() ([]doctor.Interface, error)
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// MaxRequestBody caps request bodies; a text message is at most 16 KiB.
const MaxRequestBody = 64 << 10

// Server is the HTTP side of the API.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

// New builds a server; Serve runs it.
func New(cfg Config) (*Server, error) {
	if cfg.Backend == nil {
		return nil, errors.New("api: no backend")
	}
	if len(cfg.Token) < 16 {
		return nil, errors.New("api: token too short")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /v1/id", s.handleID)
	s.mux.HandleFunc("GET /v1/status", s.handleStatus)
	s.mux.HandleFunc("POST /v1/network/probe", s.handleProbe)
	s.mux.HandleFunc("GET /v1/peers", s.handlePeers)
	s.mux.HandleFunc("GET /v1/groups", s.handleGroups)
	s.mux.HandleFunc("POST /v1/groups", s.handleJoin)
	s.mux.HandleFunc("DELETE /v1/groups/{group}", s.handleLeave)
	s.mux.HandleFunc("GET /v1/groups/{group}/messages", s.handleHistory)
	s.mux.HandleFunc("POST /v1/groups/{group}/messages", s.handleSend)
	s.mux.HandleFunc("GET /v1/events", s.handleEvents)
	s.mux.HandleFunc("POST /v1/sync", s.handleSync)
	s.mux.HandleFunc("POST /v1/create", s.handleCreate)
	s.mux.HandleFunc("GET /v1/groups/{group}", s.handleGroup)
	s.mux.HandleFunc("PATCH /v1/groups/{group}", s.handleUpdate)
	s.mux.HandleFunc("POST /v1/groups/{group}/invite", s.handleInvite)
	s.mux.HandleFunc("POST /v1/groups/{group}/remove", s.handleRemove)
	s.mux.HandleFunc("POST /v1/groups/{group}/add", s.handleAdd)
	s.mux.HandleFunc("POST /v1/groups/{group}/delete", s.handleDelete)
	s.mux.HandleFunc("POST /v1/groups/{group}/ban", s.handleBan)
	s.mux.HandleFunc("POST /v1/groups/{group}/unban", s.handleUnban)
	s.mux.HandleFunc("GET /v1/whois/{fingerprint}", s.handleWhois)
	s.mux.HandleFunc("POST /v1/blocks", s.handleBlock)
	s.imageRoutes()
	s.conversationRoutes()
	s.alertRoutes()
}

// ServeHTTP checks Host and the token, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !loopbackHost(r.Host) {
		writeError(w, http.StatusForbidden, fmt.Errorf("host %q is not a loopback address", r.Host))
		return
	}
	got := r.Header.Get("Authorization")
	want := "Bearer " + s.cfg.Token
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		writeError(w, http.StatusUnauthorized, errors.New("missing or wrong API token"))
		return
	}
	if h, pattern := s.mux.Handler(r); pattern == "" {
		serveUnrouted(w, r, h)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// serveUnrouted answers a request that no route matches. The mux's own 404
// and 405 answers are plain text; they are turned into JSON like every other
// error. Anything else the mux does (a redirect to a clean path) stands.
func serveUnrouted(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	switch probe.status {
	case http.StatusNotFound:
		writeError(w, http.StatusNotFound, fmt.Errorf("no endpoint %s", r.URL.Path))
	case http.StatusMethodNotAllowed:
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("%s does not take %s; use %s", r.URL.Path, r.Method, allow))
	default:
		h.ServeHTTP(w, r)
	}
}

// statusProbe records the status and headers a handler answers with and
// discards its body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }

func (p *statusProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

func (p *statusProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

// loopbackHost accepts Host headers naming this machine's loopback, which
// defeats DNS rebinding: a web page's requests carry its own host name.
func loopbackHost(hostport string) bool {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		// No port: "localhost", "127.0.0.1" or "[::1]".
		h = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Serve answers requests on ln until ctx ends, then shuts down, giving open
// requests a moment to finish. Event streams end with ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	<-errc
	return err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	e := api.Error{Error: err.Error(), Code: codeOf(err)}
	var nj *group.NotJoinedError
	if errors.As(err, &nj) {
		e.Channel, e.Rejoin = nj.Channel, nj.Rejoin
	}
	writeJSON(w, status, e)
}

// codeOf names the errors a client may act on.
func codeOf(err error) string {
	switch {
	case errors.Is(err, group.ErrNotJoined):
		return api.CodeNotJoined
	case errors.Is(err, group.ErrCarried):
		return api.CodeCarried
	}
	return ""
}
