package catchup

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error a session returns for these conditions wraps
// one of them, so callers test with errors.Is.
var (
	// ErrNotInGroup: this node or the peer has not joined the group.
	ErrNotInGroup = errors.New("group is not joined")
	// ErrBusy: the peer is at its session limit; try again later or with
	// another peer.
	ErrBusy = errors.New("peer is busy with other catch-up sessions")
	// ErrBanned: the peer misbehaved recently, here or there, and sessions
	// with it are refused until the ban ends.
	ErrBanned = errors.New("peer is banned from catch-up")
	// ErrClosed: the Service has been closed.
	ErrClosed = errors.New("catch-up service is closed")
	// ErrRemote: the peer ended the session with an Error frame. When the
	// reason is one of ErrNotInGroup, ErrBusy, ErrBanned or ErrLimit, the
	// error wraps that too.
	ErrRemote = errors.New("peer ended the catch-up session")
	// ErrLimit: a session limit (rounds, time) ended the session; nobody is
	// to blame.
	ErrLimit = errors.New("catch-up session limit reached")
	// ErrSlow: the peer answered too slowly (Config.SlowWait, MinRate) and
	// this side ended the session; the peer is not blamed, but a node does
	// well to try others first.
	ErrSlow = errors.New("peer answers catch-up too slowly")

	// errOverBudget: Check ignored a message for a limit of the peer's
	// own (its error wraps ErrLimit), so the session ends without blame
	// and the peer is told "busy".
	errOverBudget = fmt.Errorf("%w: the peer is over its budget", ErrLimit)

	// ErrMisbehaving is wrapped by every error that blames the peer: the
	// session was cut off, Config.Penalize told and the peer banned.
	ErrMisbehaving = errors.New("peer misbehaved")
)

// Why a peer was cut off. Each wraps ErrMisbehaving.
var (
	// ErrProtocol: undecodable or oversized frames, frames out of turn,
	// malformed negentropy, requests for messages it may not have.
	ErrProtocol = fmt.Errorf("%w: protocol violation", ErrMisbehaving)
	// ErrInvalid: a message that Config.Judge rejected (forged, malformed,
	// of another group, oversized).
	ErrInvalid = fmt.Errorf("%w: invalid message", ErrMisbehaving)
	// ErrUnrequested: a message the receiver did not ask for.
	ErrUnrequested = fmt.Errorf("%w: unrequested message", ErrMisbehaving)
	// ErrWithheld: the peer claimed a message in reconciliation and did not
	// deliver it when asked.
	ErrWithheld = fmt.Errorf("%w: claimed message withheld", ErrMisbehaving)
)

// Reasons in Error frames that map to sentinels on the other side.
const (
	reasonNotInGroup = "not in group"
	reasonBusy       = "busy"
	reasonBanned     = "banned"
	reasonRounds     = "too many rounds"
	reasonInternal   = "internal error"
)

// maxReasonLen caps how much of a peer's Error reason reaches our errors and
// logs.
const maxReasonLen = 200

// remoteError maps the reason of a peer's Error frame to an error.
func remoteError(reason string) error {
	var known error
	switch reason {
	case reasonNotInGroup:
		known = ErrNotInGroup
	case reasonBusy:
		known = ErrBusy
	case reasonBanned:
		known = ErrBanned
	case reasonRounds:
		known = ErrLimit
	}
	if known != nil {
		return fmt.Errorf("%w: %w", ErrRemote, known)
	}
	if len(reason) > maxReasonLen {
		reason = reason[:maxReasonLen] + "..."
	}
	return fmt.Errorf("%w: %q", ErrRemote, reason)
}

// protocolErr builds an ErrProtocol error.
func protocolErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, args...))
}
