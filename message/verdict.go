package message

import (
	"errors"
	"fmt"
)

// Verdict is what a node decides about a message another node handed it.
// Every stage that judges one says it the same way: the stateless rules
// (gossip's validator), a group's rules, admission and catch-up.
//
// The zero value is no verdict: a judge that forgets to answer is caught,
// never taken for an Accept.
type Verdict uint8

const (
	// Accept: store the message and pass it on.
	Accept Verdict = iota + 1
	// Ignore: drop it without blaming the peer that sent it. It may be
	// valid in another view of its group (an unknown parent or key, a
	// standing the node's own Ops take away), or over a budget, or a
	// duplicate.
	Ignore
	// Reject: drop it and blame the peer that sent it. It is bad whatever
	// else anyone knows: forged, malformed, or not authorised by its own
	// history.
	Reject
)

// Valid reports whether v is one of the three verdicts.
func (v Verdict) Valid() bool { return v >= Accept && v <= Reject }

func (v Verdict) String() string {
	switch v {
	case Accept:
		return "accept"
	case Ignore:
		return "ignore"
	case Reject:
		return "reject"
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// VerdictOf is the verdict on a message that failed one of this package's
// rules (Decode, CheckTime, CheckBody, VerifySignature, Verify) with err:
// broken or forged messages are Rejected; versions and kinds a newer peer
// may send, times outside the window, and anything unexpected are Ignored.
// Every judge of envelopes (gossip's validator, the phone's engine) uses it,
// so they decide alike.
func VerdictOf(err error) Verdict {
	// A bad text payload wraps ErrBadPayload and the inner decode error,
	// so ErrBadPayload goes first.
	for _, sentinel := range []error{ErrBadPayload, ErrTooLarge, ErrNonCanonical, ErrMalformed, ErrBadSignature} {
		if errors.Is(err, sentinel) {
			return Reject
		}
	}
	return Ignore
}
