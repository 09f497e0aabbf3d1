package api

import "time"

// Identity answers GET /v1/id.
type Identity struct {
	PeerID      string   `json:"peer_id"`
	Addrs       []string `json:"addrs"`
	Fingerprint string   `json:"fingerprint"`
	Name        string   `json:"name"`
	PublicKey   string   `json:"public_key"`
}

// Message is one message as the API and `starling log --json` show it.
type Message struct {
	ID         string    `json:"id"`
	Group      string    `json:"group"`
	GroupID    string    `json:"group_id"`
	Author     string    `json:"author"`
	AuthorKey  string    `json:"author_key"`
	Name       string    `json:"name"`
	SentAt     time.Time `json:"sent_at"`
	ReceivedAt time.Time `json:"received_at"`
	Kind       string    `json:"kind"`
	Text       string    `json:"text"`
	Origin     string    `json:"origin"`
	// Late marks a message that arrived by catch-up rather than live.
	Late bool   `json:"late"`
	Ref  string `json:"ref,omitempty"`
	// Target is the fingerprint a ban names.
	Target string `json:"target,omitempty"`
	// Action is what an Op (kind "op") does: "ban", "unban", "remove",
	// "add", "role", "settings" or "rekey"; Role is the role a "role" Op
	// gives ("member", "poster", "admin"), Reason a ban's reason. Describe
	// says it in words.
	Action string `json:"action,omitempty"`
	Role   string `json:"role,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Unreadable marks a private group's message this node holds no key
	// for (it stores and serves the ciphertext).
	Unreadable bool `json:"unreadable,omitempty"`
	// Delivery is set on this user's own recent messages.
	Delivery *Delivery `json:"delivery,omitempty"`
	// Image is set on a picture (kind "image"; Text is its caption).
	Image *Image `json:"image,omitempty"`
	// Reactions to a text, the most reacted first (see conversation.go).
	Reactions []Reaction `json:"reactions,omitempty"`
	// MentionsYou: the text mentions this user ("@name").
	MentionsYou bool `json:"mentions_you,omitempty"`
}

// Delivery is where one of this user's own messages went, as far as this
// node knows (see package delivery).
type Delivery struct {
	ID      string `json:"id"`
	Group   string `json:"group"`
	GroupID string `json:"group_id"`
	// State is "queued" (only on this device), "sent" (handed to Peers
	// peers), "relayed" (an organiser relay holds it) or "refused" (it
	// will not go out: this user was removed or banned before it left).
	State string `json:"state"`
	// Peers counts the distinct peers it was handed to, relays included;
	// Relays the organiser relays known to hold it.
	Peers  int       `json:"peers"`
	Relays int       `json:"relays"`
	At     time.Time `json:"at"`
}

// Event is one item of the event stream: exactly one field is set.
type Event struct {
	Message  *Message
	Delivery *Delivery
	// Reactions: a text's reactions changed.
	Reactions *ReactionsUpdate
}

// Relay is one organiser relay this node uses.
type Relay struct {
	PeerID    string   `json:"peer_id"`
	Addrs     []string `json:"addrs"`
	Connected bool     `json:"connected"`
	// Reserved: this node holds a circuit reservation on the relay.
	Reserved bool `json:"reserved"`
}

// Page answers GET /v1/groups/{group}/messages.
type Page struct {
	Messages []Message `json:"messages"`
	Next     string    `json:"next,omitempty"`
	// Skipped counts the damaged messages the store left out of this page
	// (`starling store check --repair` quarantines them).
	Skipped int `json:"skipped,omitempty"`
}

// SendRequest is the body of POST /v1/groups/{group}/messages.
type SendRequest struct {
	Text string `json:"text"`
	// Reply names the message this one answers: its ID, or a prefix of
	// at least 8 hex digits unique among the group's recent messages.
	Reply string `json:"reply,omitempty"`
}

// SendResponse says what happened to a sent message: handed to Peers peers,
// or Queued in the outbox until a peer in the group appears.
type SendResponse struct {
	Message Message `json:"message"`
	Peers   int     `json:"peers"`
	Queued  bool    `json:"queued"`
}

// JoinRequest is the body of POST /v1/groups: an open channel's name or an
// invite link. A name that names a group this user left (its ID, or its
// name) joins that group again, with its kept history, unless Channel is
// set: then Name is an open channel's name, whatever else it names.
type JoinRequest struct {
	Name    string `json:"name"`
	Channel bool   `json:"channel,omitempty"`
}

// Group is a joined group, or one just left (LeftAt set).
type Group struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	JoinedAt time.Time `json:"joined_at"`
	Messages int       `json:"messages"`
	Peers    int       `json:"peers"`
	// LastSync is the group's last completed catch-up session.
	LastSync *Sync `json:"last_sync,omitempty"`
	// Refused says in one line why this user can no longer post here
	// (removed, banned, or joined with an invite a removal made stale);
	// empty while they can. The chats show it and refuse input with it.
	Refused string `json:"refused,omitempty"`
	// LeftAt is when this user left the group (in leave's answer); its
	// messages stay on this device and `log` reads them.
	LeftAt *time.Time `json:"left_at,omitempty"`
	// Rejoin is what join takes to join a left group again: a channel's
	// name, any other group's ID (its name may be an open channel's too).
	Rejoin string `json:"rejoin,omitempty"`
}

// Sync is one catch-up session: with whom, when, and what moved.
type Sync struct {
	Group         string    `json:"group"`
	GroupID       string    `json:"group_id"`
	Peer          string    `json:"peer"`
	At            time.Time `json:"at"`
	Fetched       int       `json:"fetched"`
	Pushed        int       `json:"pushed"`
	Ignored       int       `json:"ignored"`
	Rounds        int       `json:"rounds"`
	Complete      bool      `json:"complete"`
	BytesSent     int64     `json:"bytes_sent"`
	BytesReceived int64     `json:"bytes_received"`
	TookMS        float64   `json:"took_ms"`
	Error         string    `json:"error,omitempty"`
}

// SyncRequest is the body of POST /v1/sync; an empty group means all.
type SyncRequest struct {
	Group string `json:"group"`
}

// Peer is a connected peer.
type Peer struct {
	PeerID string   `json:"peer_id"`
	Addrs  []string `json:"addrs"`
	Groups []string `json:"groups"`
}

// Status answers GET /v1/status.
type Status struct {
	PeerID      string            `json:"peer_id"`
	Fingerprint string            `json:"fingerprint"`
	Name        string            `json:"name"`
	Started     time.Time         `json:"started"`
	Peers       int               `json:"peers"`
	Outbox      int               `json:"outbox"`
	Groups      []Group           `json:"groups"`
	Relays      []Relay           `json:"relays"`
	Gossip      map[string]uint64 `json:"gossip"`
	// Store is the store's condition; absent when the node does not say.
	Store *StoreHealth `json:"store,omitempty"`
	// Network is what the node knows of its reachability (mDNS heard,
	// dial failures, relayed peers, clock offset); absent when the node
	// does not say.
	Network *Network `json:"network,omitempty"`
	// Findings are what `starling doctor` would say is wrong, most
	// important first (package doctor); the chats show the first when no
	// peer is found.
	Findings []Finding `json:"findings,omitempty"`
}

// StoreHealth is the store's condition: its free disk space against its
// floors, and the damaged records its reads skipped.
type StoreHealth struct {
	// State is "ok", "low" (messages from others are refused), "full"
	// (nothing new is saved) or "read-only" (the disk was full when the
	// node started; it reopens for writing once there is room).
	State string `json:"state"`
	// Reason says why in one line a person can act on; empty when ok.
	Reason string `json:"reason,omitempty"`
	// FreeBytes is the free space on the store's filesystem, -1 when
	// unknown; below FloorBytes received messages are refused, below
	// HardFloorBytes everything is.
	FreeBytes      int64 `json:"free_bytes"`
	FloorBytes     int64 `json:"floor_bytes"`
	HardFloorBytes int64 `json:"hard_floor_bytes"`
	// Refused counts writes refused for want of space since the node
	// started; Skipped the damaged records reads skipped.
	Refused uint64 `json:"refused"`
	Skipped uint64 `json:"skipped"`
}

// Error is the body of every failed request.
type Error struct {
	Error string `json:"error"`
	// Code names the error for programs, when it is one they may act on
	// (Code* constants); a client's error wraps it (see APIError).
	Code string `json:"code,omitempty"`
	// Channel is the open channel a not_joined error names, if it named
	// one.
	Channel string `json:"channel,omitempty"`
	// Rejoin, in a not_joined error that names a group this user left, is
	// what join takes to join that group again (as Group.Rejoin).
	Rejoin string `json:"rejoin,omitempty"`
}

// Error codes.
const (
	// CodeNotJoined: the request names a group this node has not joined.
	CodeNotJoined = "not_joined"
	// CodeCarried: a member's link for a group this node only carries.
	CodeCarried = "carried"
)
