package netwatch

import (
	"context"
	"errors"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Reason is why a dial failed, in words a diagnosis can act on.
type Reason string

// Reasons.
const (
	// ReasonTimeout: nothing answered in time; packets are dropped on the
	// way (client isolation, a firewall) or the device is gone.
	ReasonTimeout Reason = "timeout"
	// ReasonRefused: the device answered that nothing listens there (the
	// node is not running, or runs on another port).
	ReasonRefused Reason = "refused"
	// ReasonUnreachable: this device has no route there (another network,
	// or no network at all).
	ReasonUnreachable Reason = "unreachable"
	// ReasonNoAddress: no address to dial was known.
	ReasonNoAddress Reason = "no-address"
	// ReasonWrongPeer: another node answered at that address.
	ReasonWrongPeer Reason = "wrong-peer"
	// ReasonOther: anything else; the error's text says more.
	ReasonOther Reason = "other"
)

// Classify sorts a dial error by what the standard library can tell of it;
// ReasonOther when it cannot. It looks through joined and wrapped errors
// (a libp2p dial error holds one error per address tried), and prefers the
// most telling reason among them: refused, then unreachable, then timeout.
func Classify(err error) Reason {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		return ReasonUnreachable
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT), isTimeout(err):
		return ReasonTimeout
	}
	return ReasonOther
}

// isTimeout reports whether any error in err's tree says it timed out.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Bounds of the tables Dials keeps.
const (
	recentMax = 8  // recent failures listed
	relaysMax = 32 // relays whose failures are kept
)

// Dials counts the node's dials and remembers the last few failures, the
// relays' last failures and the direct probes' outcomes. Safe for
// concurrent use.
type Dials struct {
	mu       sync.Mutex
	dials    DialReport
	probes   ProbeReport
	relays   map[string]RelayReport
	errTexts int // cap on the length of an error's text kept
}

// NewDials returns empty counters.
func NewDials() *Dials {
	return &Dials{
		dials:    DialReport{ByReason: map[Reason]uint64{}},
		probes:   ProbeReport{ByReason: map[Reason]uint64{}},
		relays:   map[string]RelayReport{},
		errTexts: 300,
	}
}

// Dialed records one dial to peer: a success when err is nil, else a
// failure for reason.
func (d *Dials) Dialed(peer string, relay bool, reason Reason, err error, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dials.Attempts++
	if relay {
		r, ok := d.relays[peer]
		if ok || len(d.relays) < relaysMax {
			r.DialReason, r.DialError, r.DialAt = reason, d.text(err), at
			if err == nil {
				r.DialAt = time.Time{}
			}
			d.relays[peer] = r
		}
	}
	if err == nil {
		return
	}
	d.dials.Failures++
	d.dials.ByReason[reason]++
	f := DialFailure{Peer: peer, Relay: relay, Reason: reason, Error: d.text(err), At: at}
	d.dials.Recent = slices.Insert(d.dials.Recent, 0, f)
	if len(d.dials.Recent) > recentMax {
		d.dials.Recent = d.dials.Recent[:recentMax]
	}
}

// Reserved records the outcome of a reservation on a relay.
func (d *Dials) Reserved(relay string, err error, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.relays[relay]
	if !ok && len(d.relays) >= relaysMax {
		return
	}
	r.ReservationError, r.ReservationAt = d.text(err), at
	if err == nil {
		r.ReservationAt = time.Time{}
	}
	d.relays[relay] = r
}

// Probed records a direct probe of a peer reached only through a relay;
// sameLAN says whether the peer has an address on one of this device's
// subnets.
func (d *Dials) Probed(peer string, sameLAN bool, reason Reason, err error, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.probes.Tried++
	if err == nil {
		d.probes.Succeeded++
		return
	}
	d.probes.Failed++
	if sameLAN {
		d.probes.SameLAN++
	}
	d.probes.ByReason[reason]++
	d.probes.Last = &DialFailure{Peer: peer, Reason: reason, Error: d.text(err), At: at}
}

// text is an error's text on one line (a libp2p dial error lists an
// address a line), capped: a peer's error may quote what it sent.
func (d *Dials) text(err error) string {
	if err == nil {
		return ""
	}
	s := strings.Join(strings.Fields(err.Error()), " ") // one line
	if len(s) > d.errTexts {
		s = s[:d.errTexts] + "…"
	}
	return s
}

// Report copies the counters: the dials, the probes, and the relays whose
// last dial or reservation failed.
func (d *Dials) Report() (DialReport, ProbeReport, map[string]RelayReport) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dials, probes := d.dials, d.probes
	dials.ByReason = maps.Clone(d.dials.ByReason)
	dials.Recent = slices.Clone(d.dials.Recent)
	probes.ByReason = maps.Clone(d.probes.ByReason)
	if d.probes.Last != nil {
		last := *d.probes.Last
		probes.Last = &last
	}
	relays := map[string]RelayReport{}
	for id, r := range d.relays {
		if r.DialError != "" || r.ReservationError != "" {
			relays[id] = r
		}
	}
	return dials, probes, relays
}
