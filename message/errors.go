package message

import "errors"

// Why a message fails decoding or validation. Every error this package returns
// wraps exactly one of these, so callers map them with errors.Is.
var (
	ErrTooLarge     = errors.New("message too large")
	ErrMalformed    = errors.New("malformed message")
	ErrNonCanonical = errors.New("message is not canonically encoded")
	ErrVersion      = errors.New("unsupported message version")
	ErrUnknownKind  = errors.New("unknown message kind")
	ErrBadPayload   = errors.New("bad message payload")
	ErrBadSignature = errors.New("bad message signature")
	ErrFutureSkew   = errors.New("message is dated too far in the future")
	ErrExpired      = errors.New("message has expired")
)
