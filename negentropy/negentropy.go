package negentropy

import "fmt"

// DefaultMaxMessageSize is Config.MaxMessageSize when it is zero. It admits
// a frame-size-unlimited peer's answer listing about 500,000 IDs.
const DefaultMaxMessageSize = 16 << 20

// Config tunes one side of a reconciliation. The zero value is valid.
type Config struct {
	// FrameSizeLimit caps the size of every message this side builds, in
	// bytes. When a message would grow past it, this side stops and
	// fingerprints the rest of the set, and the exchange takes more round
	// trips. Zero means no limit; otherwise it must be at least
	// MinFrameSizeLimit (4096). The peer may use a different limit.
	FrameSizeLimit int
	// MaxMessageSize caps the size of every message accepted from the peer;
	// larger ones fail with ErrFrameTooLarge before any work is done. Zero
	// means DefaultMaxMessageSize. The transport should cap its reads too:
	// this check cannot stop the bytes from being read.
	MaxMessageSize int
}

// Negentropy is one side of one reconciliation session. The answering side
// keeps no state between messages (the protocol resets its encoding state
// for every message); the initiator remembers the IDs it has reported.
//
// A Negentropy is not safe for concurrent use; run one session per
// goroutine. Many sessions may share one immutable Storage.
type Negentropy struct {
	storage        Storage
	frameSizeLimit int
	maxMessageSize int
	initiator      bool
	reported       map[[IDSize]byte]struct{} // initiator: every ID returned as have or need so far
}

// New returns a session over storage, which must not change until the
// session ends. It fails for a frame size limit between 1 and 4095, a
// negative MaxMessageSize, and an unsealed Vector.
func New(storage Storage, cfg Config) (*Negentropy, error) {
	if cfg.FrameSizeLimit < 0 || (cfg.FrameSizeLimit > 0 && cfg.FrameSizeLimit < MinFrameSizeLimit) {
		return nil, fmt.Errorf("%w: got %d", ErrFrameSizeLimit, cfg.FrameSizeLimit)
	}
	if cfg.MaxMessageSize < 0 {
		return nil, fmt.Errorf("max message size %d: must be 0 (default) or positive", cfg.MaxMessageSize)
	}
	if s, ok := storage.(interface{ Sealed() bool }); ok && !s.Sealed() {
		return nil, ErrNotSealed
	}
	if cfg.MaxMessageSize == 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	return &Negentropy{storage: storage, frameSizeLimit: cfg.FrameSizeLimit, maxMessageSize: cfg.MaxMessageSize}, nil
}

// Initiate makes this side the initiator (client) and returns the first
// message to send. It may be called once per session.
func (n *Negentropy) Initiate() ([]byte, error) {
	if n.initiator {
		return nil, fmt.Errorf("initiate: %w: already initiated", ErrRole)
	}
	n.initiator = true
	n.reported = make(map[[IDSize]byte]struct{})
	w := writer{buf: []byte{ProtocolVersion}}
	n.splitRange(&w, 0, n.storage.Size(), infinityBound)
	return w.buf, nil
}

// Reconcile answers one message from the initiator; the side that did not
// call Initiate uses it. The answer is never empty: a message the peer sent
// in another protocol version is answered with just this side's version byte,
// as the protocol asks.
func (n *Negentropy) Reconcile(msg []byte) ([]byte, error) {
	if n.initiator {
		return nil, fmt.Errorf("reconcile: %w: the initiator calls ReconcileClient", ErrRole)
	}
	out, err := n.reconcile(msg, nil)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	return out, nil
}

// ReconcileClient processes one answer on the initiator's side. It returns
// the IDs found only on this side (have) and only on the peer's (need) in
// this message, and the next message to send, or nil when reconciliation is
// complete.
//
// Each ID is returned at most once per session. The protocol itself may
// report an ID twice when a frame size limit cuts a message short: the side
// that stops drops the Skip ranges the other side sent after that point, and
// its closing fingerprint reopens ranges already settled. The reference
// implementation and go-nostr pass such repeats on; this session remembers
// what it returned (memory proportional to the differences found) and drops
// them. A peer can still list IDs it invents, so callers should bound a
// session's rounds or bytes.
func (n *Negentropy) ReconcileClient(msg []byte) (next []byte, have, need [][IDSize]byte, err error) {
	if !n.initiator {
		return nil, nil, nil, fmt.Errorf("reconcile client: %w: call Initiate first", ErrRole)
	}
	d := diff{reported: n.reported}
	out, err := n.reconcile(msg, &d)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reconcile client: %w", err)
	}
	if len(out) == 1 {
		out = nil
	}
	return out, d.have, d.need, nil
}

// diff collects the initiator's findings from one message.
type diff struct {
	have, need [][IDSize]byte
	reported   map[[IDSize]byte]struct{} // shared with the session
}

// add records id in dst unless the session has already returned it.
func (d *diff) add(dst *[][IDSize]byte, id [IDSize]byte) {
	if _, dup := d.reported[id]; dup {
		return
	}
	d.reported[id] = struct{}{}
	*dst = append(*dst, id)
}
