package negentropy

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error caused by the bytes of a peer's
// message, so a caller can treat them all as the peer's fault with one
// errors.Is check.
var ErrMalformed = errors.New("malformed negentropy message")

// Why a peer's message was rejected. Each wraps ErrMalformed.
var (
	ErrTruncated          = fmt.Errorf("%w: it ends in the middle of a field", ErrMalformed)
	ErrVarintOverflow     = fmt.Errorf("%w: varint overflows 64 bits", ErrMalformed)
	ErrVarintNonMinimal   = fmt.Errorf("%w: varint is not minimally encoded", ErrMalformed)
	ErrBadVersion         = fmt.Errorf("%w: first byte is not a protocol version (0x60-0x6f)", ErrMalformed)
	ErrUnsupportedVersion = fmt.Errorf("%w: peer only speaks another protocol version", ErrMalformed)
	ErrBadMode            = fmt.Errorf("%w: unknown range mode", ErrMalformed)
	ErrBadBound           = fmt.Errorf("%w: bound id prefix longer than 32 bytes", ErrMalformed)
	ErrBoundOrder         = fmt.Errorf("%w: range bounds out of order", ErrMalformed)
	ErrFrameTooLarge      = fmt.Errorf("%w: message larger than Config.MaxMessageSize", ErrMalformed)
)

// Errors from using the API wrongly; they never depend on a peer's bytes.
var (
	ErrFrameSizeLimit    = errors.New("frame size limit must be 0 (none) or at least 4096 bytes")
	ErrRole              = errors.New("call does not match this side's role: the initiator calls Initiate and ReconcileClient, the other side calls Reconcile")
	ErrNotSealed         = errors.New("vector is not sealed; call Seal before using it")
	ErrSealed            = errors.New("vector is sealed; insert every item before calling Seal")
	ErrDuplicateItem     = errors.New("the same item was inserted twice")
	ErrReservedTimestamp = errors.New("timestamp 2^64-1 is reserved for the protocol's infinity bound")
)
