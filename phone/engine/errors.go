package engine

import (
	"errors"
	"fmt"

	"starling/group"
	"starling/message"
)

// Codes of Error, as phone/API.md lists them.
const (
	CodeBadArgument = "bad-argument"
	CodeNoIdentity  = "no-identity"
	CodeBadInvite   = "bad-invite"
	CodeLinkAltered = "link-altered"
	CodeNotJoined   = "not-joined"
	CodeNotAllowed  = "not-allowed"
	CodeStale       = "stale"
	CodeUnreadable  = "unreadable"
	CodeExpired     = "expired"
	CodeBadMessage  = "bad-message"
	CodeProtocol    = "protocol"
	CodeInternal    = "internal"
)

// Error is every error the engine returns: one line for people and a code
// for the page.
type Error struct {
	Code string
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// CodeOf returns err's code: its own if it is an *Error, else one from the
// group and message sentinels it wraps.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return codeFor(err)
}

// wrap gives err a code from the sentinels it wraps.
func wrap(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: codeFor(err), Err: err}
}

func codeFor(err error) string {
	for _, c := range []struct {
		sentinel error
		code     string
	}{
		{group.ErrBadInvite, CodeBadInvite},
		{group.ErrNotJoined, CodeNotJoined},
		{group.ErrNotAllowed, CodeNotAllowed},
		{group.ErrRemoved, CodeNotAllowed},
		{group.ErrBanned, CodeNotAllowed},
		{group.ErrNotMember, CodeNotAllowed},
		{group.ErrRevoked, CodeNotAllowed},
		{group.ErrStale, CodeStale},
		{group.ErrNoCurrentKey, CodeStale},
		{group.ErrUnknownKey, CodeUnreadable},
		{group.ErrUnreadable, CodeUnreadable},
		{group.ErrDecrypt, CodeUnreadable},
		{group.ErrGroupExpired, CodeExpired},
		{group.ErrBadPayload, CodeBadMessage},
		{message.ErrBadPayload, CodeBadMessage},
		{message.ErrMalformed, CodeBadMessage},
		{message.ErrNonCanonical, CodeBadMessage},
		{message.ErrTooLarge, CodeBadMessage},
		{message.ErrBadSignature, CodeBadMessage},
	} {
		if errors.Is(err, c.sentinel) {
			return c.code
		}
	}
	return CodeInternal
}
