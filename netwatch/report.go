package netwatch

import (
	"net/netip"
	"time"
)

// Report is what the node knows of its network, for diagnosis. Times are
// zero when the event never happened.
type Report struct {
	// Now is when the node made the report, by its clock, which every
	// other time here is read on.
	Now time.Time
	// Relay: the node is an organiser relay.
	Relay bool
	// MDNS is LAN discovery's side: whether it runs and what it hears.
	MDNS MDNSReport
	// DirectPeers counts the connected peers, relays aside, with at least
	// one direct connection; RelayedPeers those reached only through a
	// relay's circuit, and RelayedSameLAN those of them with an address on
	// one of Subnets, this device's own: devices the LAN should reach.
	DirectPeers, RelayedPeers, RelayedSameLAN int
	Subnets                                   []netip.Prefix
	// Dials are the node's own dials (static peers, relays, peers mDNS
	// found, remembered peers).
	Dials DialReport
	// Probes are the direct dials the node tries to peers it reaches only
	// through a relay: their failures on the node's own LAN are what client
	// isolation looks like.
	Probes ProbeReport
	// Relays holds, per relay peer ID, why the last dial to it or the last
	// reservation on it failed.
	Relays map[string]RelayReport
	// Clock is the estimate of this node's clock against its peers'.
	Clock ClockReport
}

// MDNSReport is what the mDNS listener heard. Own counts packets sent from
// this device's own addresses (its announcements and queries, looped back
// by the kernel): hearing them shows that multicast works on this device.
// Others counts packets from other devices (phones, printers, laptops);
// Starling those of them about Starling's service (other nodes).
type MDNSReport struct {
	// Enabled: the node runs mDNS discovery (not --no-mdns).
	Enabled bool
	// Listening: the listener joined the mDNS group on at least one
	// interface; Interfaces names them. Error says why it could not.
	Listening  bool
	Interfaces []string
	Error      string
	// Since is when the listener started.
	Since                            time.Time
	Own, Others, Starling            uint64
	LastOwn, LastOther, LastStarling time.Time
}

// DialReport counts dials and their failures.
type DialReport struct {
	Attempts, Failures uint64
	// ByReason counts failures by Reason.
	ByReason map[Reason]uint64
	// Recent are the last failures, newest first (at most recentMax).
	Recent []DialFailure
}

// DialFailure is one failed dial.
type DialFailure struct {
	Peer   string
	Relay  bool // the peer is an organiser relay
	Reason Reason
	Error  string
	At     time.Time
}

// ProbeReport counts the direct probes of peers reached only through a
// relay. SameLAN counts the failures of probes to a peer with an address
// on one of this device's own subnets: a device the LAN should reach.
type ProbeReport struct {
	Tried, Succeeded, Failed, SameLAN uint64
	ByReason                          map[Reason]uint64
	Last                              *DialFailure
}

// RelayReport is why the node's last dial to a relay, or its last
// reservation on it, failed; empty fields when they succeeded.
type RelayReport struct {
	DialReason       Reason
	DialError        string
	DialAt           time.Time
	ReservationError string
	ReservationAt    time.Time
}

// ClockReport estimates this node's clock against the clocks of the
// authors whose messages arrived live (by gossip) within the window.
//
// For each author the offset is the smallest (arrival by this clock minus
// sent_at by theirs) among their recent messages: delivery only ever adds
// delay, so the smallest is the closest to the clocks' difference. OffsetMS
// is the median of those per-author offsets: positive means this clock is
// ahead of theirs. Authors is how many authors it rests on; MinMS and MaxMS
// are the extreme per-author offsets; Ahead and Behind count the authors
// this clock is at least SkewThreshold ahead of and behind, so that a
// diagnosis can tell this clock being off (most authors agree) from one
// author's being off.
type ClockReport struct {
	OffsetMS      int64
	MinMS, MaxMS  int64
	Authors       int
	Ahead, Behind int
	Samples       int
}

// SkewThreshold is the offset from which an author counts as Ahead or
// Behind: well above a LAN's delivery delay, well below the five minutes
// past which messages are refused (message.MaxFutureSkew).
const SkewThreshold = time.Minute
