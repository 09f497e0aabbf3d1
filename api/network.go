package api

import (
	"context"
	"time"
)

// Network is what the node knows of its reachability: the facts behind
// `starling doctor`'s findings. Times are absent when the event never
// happened.
type Network struct {
	// Now is when the node made this report, by its clock: the other times
	// of the status are read on it.
	Now *time.Time `json:"now,omitempty"`
	// Relay: this node is an organiser relay (`starling relay`).
	Relay bool `json:"relay"`
	MDNS  MDNS `json:"mdns"`
	// DirectPeers counts the connected peers, relays aside, with a direct
	// connection; RelayedPeers those reached only through a relay's
	// circuit, and RelayedSameLAN those of them with an address on one of
	// this device's own subnets: devices the LAN should reach directly.
	DirectPeers    int `json:"direct_peers"`
	RelayedPeers   int `json:"relayed_peers"`
	RelayedSameLAN int `json:"relayed_same_lan"`
	// Subnets are this device's own subnets (such as 10.20.0.0/24).
	Subnets []string `json:"subnets,omitempty"`
	Dials   Dials    `json:"dials"`
	Probes  Probes   `json:"probes"`
	// RelayIssues says, per organiser relay, why the last dial to it or the
	// last reservation on it failed; absent while both succeed.
	RelayIssues []RelayIssue `json:"relay_issues,omitempty"`
	Clock       Clock        `json:"clock"`
}

// MDNS is LAN discovery's side of the network. Own counts the mDNS packets
// heard from this device's own addresses (its announcements and queries,
// which the kernel loops back): hearing them shows multicast works on this
// device. Others counts packets from other devices, Starling those of them
// about Starling's service (other nodes).
type MDNS struct {
	// Enabled: the node runs mDNS (it was not started with --no-mdns).
	Enabled bool `json:"enabled"`
	// Listening: the node's mDNS listener joined the multicast group on
	// Interfaces; Error says why it could not.
	Listening    bool       `json:"listening"`
	Interfaces   []string   `json:"interfaces,omitempty"`
	Error        string     `json:"error,omitempty"`
	Since        *time.Time `json:"since,omitempty"`
	Own          uint64     `json:"own"`
	Others       uint64     `json:"others"`
	Starling     uint64     `json:"starling"`
	LastOwn      *time.Time `json:"last_own,omitempty"`
	LastOther    *time.Time `json:"last_other,omitempty"`
	LastStarling *time.Time `json:"last_starling,omitempty"`
}

// Dial failure reasons, in Dials.ByReason and DialFailure.Reason.
const (
	ReasonTimeout     = "timeout"     // nothing answered in time
	ReasonRefused     = "refused"     // nothing listens at that address
	ReasonUnreachable = "unreachable" // no route from this device
	ReasonNoAddress   = "no-address"  // no address to dial was known
	ReasonWrongPeer   = "wrong-peer"  // another node answered there
	ReasonOther       = "other"
)

// Dials counts the node's own dials (static peers, relays, peers mDNS
// found) and their failures by reason; Recent are the last failures,
// newest first.
type Dials struct {
	Attempts uint64            `json:"attempts"`
	Failures uint64            `json:"failures"`
	ByReason map[string]uint64 `json:"by_reason,omitempty"`
	Recent   []DialFailure     `json:"recent,omitempty"`
}

// DialFailure is one failed dial.
type DialFailure struct {
	Peer   string    `json:"peer"`
	Relay  bool      `json:"relay,omitempty"`
	Reason string    `json:"reason"`
	Error  string    `json:"error"`
	At     time.Time `json:"at"`
}

// Probes are the direct dials to peers reached only through a relay,
// which POST /v1/network/probe (and `starling doctor`) tries. SameLAN
// counts failures to peers with an address on this device's own subnets.
type Probes struct {
	Tried     uint64            `json:"tried"`
	Succeeded uint64            `json:"succeeded"`
	Failed    uint64            `json:"failed"`
	SameLAN   uint64            `json:"same_lan"`
	ByReason  map[string]uint64 `json:"by_reason,omitempty"`
	Last      *DialFailure      `json:"last,omitempty"`
}

// RelayIssue is why the node's last dial to an organiser relay, or its
// last reservation there, failed.
type RelayIssue struct {
	PeerID           string     `json:"peer_id"`
	DialReason       string     `json:"dial_reason,omitempty"`
	DialError        string     `json:"dial_error,omitempty"`
	DialAt           *time.Time `json:"dial_at,omitempty"`
	ReservationError string     `json:"reservation_error,omitempty"`
	ReservationAt    *time.Time `json:"reservation_at,omitempty"`
}

// Clock estimates this node's clock against its peers', from the messages
// that arrived live in the last 15 minutes: per author, the smallest
// (arrival by this clock minus sent_at by theirs), since delivery only adds
// delay; OffsetMS is the median over Authors. Positive: this clock is
// ahead. MinMS and MaxMS are the extreme authors'.
//
// Ahead and Behind count the authors this clock is at least a minute ahead
// of and behind: when most authors agree, it is this clock that is off.
type Clock struct {
	OffsetMS int64 `json:"offset_ms"`
	MinMS    int64 `json:"min_ms"`
	MaxMS    int64 `json:"max_ms"`
	Authors  int   `json:"authors"`
	Ahead    int   `json:"ahead"`
	Behind   int   `json:"behind"`
	Samples  int   `json:"samples"`
}

// Finding is one thing `starling doctor` found wrong: what, the facts that
// show it, and what to do.
type Finding struct {
	// Cause names the finding for scripts, such as "mdns-blocked".
	Cause string `json:"cause"`
	// Severity is "problem" (it keeps this device from others) or
	// "warning" (it works, worse than it could).
	Severity string `json:"severity"`
	// Summary says in one sentence what is wrong.
	Summary string `json:"summary"`
	// Evidence are the facts it rests on, one sentence each.
	Evidence []string `json:"evidence,omitempty"`
	// Advice says in one sentence what to do.
	Advice string `json:"advice"`
}

// ProbeNetwork has the daemon dial directly, once, the peers it reaches
// only through a relay (a few at a time, each within seconds), and returns
// the probes' counts since the node started.
func (c *Client) ProbeNetwork(ctx context.Context) (Probes, error) {
	var out Probes
	err := c.do(ctx, "POST", "/v1/network/probe", nil, &out)
	return out, err
}
