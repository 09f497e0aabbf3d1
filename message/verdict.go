package message

import "fmt"

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
