package riblt

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error caused by the bytes of a peer's
// message that no honest peer sends, so a caller can treat them as the
// peer's fault with one errors.Is check.
var ErrMalformed = errors.New("malformed riblt message")

// Why a peer's message was rejected. Each wraps ErrMalformed.
var (
	ErrTruncated        = fmt.Errorf("%w: it ends in the middle of a field", ErrMalformed)
	ErrVarintOverflow   = fmt.Errorf("%w: varint overflows 64 bits", ErrMalformed)
	ErrVarintNonMinimal = fmt.Errorf("%w: varint is not minimally encoded", ErrMalformed)
	ErrTooManySymbols   = fmt.Errorf("%w: more coded symbols than asked for or allowed", ErrMalformed)
	ErrBadField         = fmt.Errorf("%w: field out of range", ErrMalformed)
	ErrOutOfTurn        = fmt.Errorf("%w: message out of turn", ErrMalformed)
)

// ErrInconsistent: the peer's symbols contradict this side's set, or cost
// more work than any honest stream. A malicious peer causes it, but so may,
// once in billions of sessions, a checksum collision between honest peers,
// so it is not proof of misbehaviour: the session falls back to another
// method (see Client).
var ErrInconsistent = errors.New("coded symbols are inconsistent")
