package riblt

import (
	"encoding/binary"
	"fmt"
)

// Client is the side that decodes: the initiator. It sends Request, then
// feeds every answer to Receive, which returns the next message to send or
// nil when the session is over; then Decoded says whether the difference is
// known (Need and Have) or the caller must reconcile another way. It is not
// safe for concurrent use.
type Client struct {
	cfg    Config
	hasher Hasher
	keys   []keyed // this side's keys, sorted
	our0   Symbol
	dec    *Decoder

	peerSize int64 // the server's set size; -1 until its first answer
	asked    int   // symbols asked for in all
	fallback bool  // the server or this side gave up on coded symbols
}

// NewClient returns the initiator's side of a session over set, keyed by
// secret, which must be fresh and random for every session (crypto/rand):
// it keeps authors from choosing IDs that collide.
func NewClient(secret [SecretSize]byte, set Set, cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if set.Size() > MaxSetSize {
		return nil, fmt.Errorf("riblt client: set of %d IDs, at most %d", set.Size(), MaxSetSize)
	}
	c := &Client{cfg: cfg, hasher: NewHasher(secret), peerSize: -1}
	c.keys, c.our0 = keysOfSet(c.hasher, set)
	return c, nil
}

// Hasher returns the session's key derivation, to match the messages the
// server delivers with the keys asked for.
func (c *Client) Hasher() Hasher { return c.hasher }

// Request returns the first message: the session secret, this side's set
// size, its symbol cap (Config.MaxSymbols) and symbol 0 of its set, from
// which the server sizes its first answer.
func (c *Client) Request() []byte {
	secret := make([]byte, 0, requestSize+binary.MaxVarintLen64)
	secret = binary.LittleEndian.AppendUint64(secret, c.hasher.k0)
	secret = binary.LittleEndian.AppendUint64(secret, c.hasher.k1)
	out := binary.AppendUvarint(secret, uint64(c.our0.Count))
	out = binary.AppendUvarint(out, uint64(c.cfg.MaxSymbols))
	out = binary.LittleEndian.AppendUint64(out, c.our0.Sum)
	return binary.LittleEndian.AppendUint32(out, c.our0.Check)
}

// Receive processes one answer. It returns the next message to send, or nil
// when the session is over: Decoded reports whether it succeeded, and if not
// the difference must be reconciled another way (the server said it is too
// large, or it would need more than Config.MaxSymbols symbols). Errors wrap
// ErrMalformed when the answer breaks the protocol (the server is to blame)
// or ErrInconsistent when its symbols do not decode against this side's set
// (rarely, honest bad luck; reconcile another way).
func (c *Client) Receive(answer []byte) ([]byte, error) {
	if c.fallback || c.Decoded() {
		return nil, fmt.Errorf("riblt answer after the session ended: %w", ErrOutOfTurn)
	}
	if len(answer) == 0 {
		return nil, fmt.Errorf("riblt answer: %w", ErrTruncated)
	}
	kind := answer[0]
	size, rest, err := readUvarint(answer[1:])
	switch {
	case err != nil:
		return nil, fmt.Errorf("riblt answer: set size: %w", err)
	case size > MaxSetSize:
		return nil, fmt.Errorf("riblt answer: %w: set of %d", ErrBadField, size)
	case c.peerSize >= 0 && int64(size) != c.peerSize:
		return nil, fmt.Errorf("riblt answer: %w: set size changed from %d to %d", ErrBadField, c.peerSize, size)
	}
	c.peerSize = int64(size)
	switch kind {
	case answerFallback:
		if len(rest) > 0 || c.dec != nil {
			return nil, fmt.Errorf("riblt answer: %w: fallback after symbols or with %d bytes more", ErrBadField, len(rest))
		}
		c.fallback = true
		return nil, nil
	case answerSymbols:
	default:
		return nil, fmt.Errorf("riblt answer: %w: kind %d", ErrBadField, kind)
	}
	start, rest, err := readUvarint(rest)
	if err != nil {
		return nil, fmt.Errorf("riblt answer: first index: %w", err)
	}
	held, rest, err := readUvarint(rest)
	if err != nil {
		return nil, fmt.Errorf("riblt answer: symbols held back: %w", err)
	}
	if c.dec == nil {
		c.dec = newDecoder(c.keys, c.cfg.MaxSymbols)
		c.asked = c.cfg.MaxSymbols // the server chose the first batch
	}
	if start != uint64(c.dec.Received()) {
		return nil, fmt.Errorf("riblt answer: %w: symbols from %d, expected %d", ErrBadField, start, c.dec.Received())
	}
	syms, err := parseSymbols(rest, c.dec.Received(), size, c.asked-c.dec.Received())
	if err != nil {
		return nil, fmt.Errorf("riblt answer: %w", err)
	}
	if len(syms) == 0 {
		return nil, fmt.Errorf("riblt answer: %w: no symbols", ErrBadField)
	}
	if err := c.dec.Add(syms); err != nil {
		c.fallback = true
		return nil, fmt.Errorf("riblt answer: %w", err)
	}
	c.asked = min(c.dec.Received()+int(min(held, uint64(c.cfg.MaxSymbols))), c.cfg.MaxSymbols)
	if c.dec.Decoded() {
		return nil, nil
	}
	return c.more(), nil
}

// more asks for the next batch, or gives up when the difference looks too
// large for Config.MaxSymbols.
func (c *Client) more() []byte {
	got := c.dec.Received()
	if c.asked > got {
		// The server cut the last batch to fit its message size.
		return binary.AppendUvarint(nil, uint64(c.asked-got))
	}
	if got >= c.cfg.MaxSymbols {
		c.fallback = true
		return nil
	}
	// Ask for enough for the estimate plus two standard errors, and at
	// least half as many symbols again: a few symbols estimate a large
	// difference poorly, and another round trip costs more than symbols.
	est, stderr := c.dec.Estimate()
	need := symbolsFor(est + 2*stderr)
	if need > c.cfg.MaxSymbols {
		c.fallback = true
		return nil
	}
	c.asked = min(max(need, got+got/2+2), c.cfg.MaxSymbols)
	return binary.AppendUvarint(nil, uint64(c.asked-got))
}

// Decoded reports whether the difference is known.
func (c *Client) Decoded() bool { return c.dec != nil && c.dec.Decoded() }

// Fallback reports whether the session ended without the difference: the
// caller reconciles another way.
func (c *Client) Fallback() bool { return c.fallback }

// Symbols returns how many coded symbols were received.
func (c *Client) Symbols() int {
	if c.dec == nil {
		return 0
	}
	return c.dec.Received()
}

// Need returns the keys only the server holds, once Decoded: the server's
// Lookup finds their IDs.
func (c *Client) Need() []uint64 {
	if !c.Decoded() {
		return nil
	}
	return c.dec.Remote()
}

// Have returns the positions in this side's Set of the IDs only it holds,
// once Decoded.
func (c *Client) Have() []int {
	if !c.Decoded() {
		return nil
	}
	return c.dec.Local()
}
