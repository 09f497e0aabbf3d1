package relay

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Mode is an ACL's policy.
type Mode int

const (
	// Open lets every peer reserve a slot and open circuits.
	Open Mode = iota
	// Invite lets only peers that presented a valid ticket (from a current
	// invite to a group the relay carries) reserve slots and open circuits.
	Invite
)

// ParseMode reads "open" or "invite".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "open":
		return Open, nil
	case "invite":
		return Invite, nil
	}
	return 0, fmt.Errorf("ACL %q: want open or invite", s)
}

func (m Mode) String() string {
	if m == Invite {
		return "invite"
	}
	return "open"
}

// MaxAdmitted caps the peers an Invite ACL remembers at once; past it,
// expired entries are swept, and if none have expired new peers wait.
const MaxAdmitted = 1 << 16

// ACL is what peering.RelayService takes as its ACL (peering.RelayACL). Its
// methods are safe for concurrent use.
type ACL struct {
	mode  Mode
	clock func() time.Time

	mu       sync.Mutex
	admitted map[peer.ID]time.Time // until when

	refusedReserve atomic.Uint64
	refusedConnect atomic.Uint64
}

// NewACL returns an ACL with the given mode. clock nil: time.Now.
func NewACL(mode Mode, clock func() time.Time) *ACL {
	if clock == nil {
		clock = time.Now
	}
	return &ACL{mode: mode, clock: clock, admitted: map[peer.ID]time.Time{}}
}

// Open reports whether the ACL admits everyone.
func (a *ACL) Open() bool { return a.mode == Open }

// Admit lets p in until until.
func (a *ACL) Admit(p peer.ID, until time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.admitted[p]; !ok && len(a.admitted) >= MaxAdmitted {
		a.sweepLocked()
		if len(a.admitted) >= MaxAdmitted {
			return
		}
	}
	if until.After(a.admitted[p]) {
		a.admitted[p] = until
	}
}

func (a *ACL) sweepLocked() {
	now := a.clock()
	for p, until := range a.admitted {
		if now.After(until) {
			delete(a.admitted, p)
		}
	}
}

// Admitted reports whether p may use the relay now.
func (a *ACL) Admitted(p peer.ID) bool {
	if a.mode == Open {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	until, ok := a.admitted[p]
	return ok && !a.clock().After(until)
}

// AllowReserve implements relayv2.ACLFilter.
func (a *ACL) AllowReserve(p peer.ID, _ ma.Multiaddr) bool {
	ok := a.Admitted(p)
	if !ok {
		a.refusedReserve.Add(1)
	}
	return ok
}

// AllowConnect implements relayv2.ACLFilter: under Invite both ends must be
// admitted, so that a peer without a ticket cannot reach attendees through
// the relay either.
func (a *ACL) AllowConnect(src peer.ID, _ ma.Multiaddr, dest peer.ID) bool {
	ok := a.Admitted(src) && a.Admitted(dest)
	if !ok {
		a.refusedConnect.Add(1)
	}
	return ok
}

// Refused returns how many reservations and circuits the ACL refused.
func (a *ACL) Refused() (reservations, circuits uint64) {
	return a.refusedReserve.Load(), a.refusedConnect.Load()
}
