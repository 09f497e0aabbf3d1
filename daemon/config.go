package daemon

import (
	"io"
	"log/slog"
	"time"

	"starling/home"
	"starling/node"
	"starling/relay"
	"starling/simhost"
)

// Config configures a daemon. Zero fields take the defaults documented on
// them.
type Config struct {
	// Home is where the API's endpoint and the web UI's record go.
	// Required.
	Home home.Dir
	// Node configures the node. Its keys are required.
	Node node.Config
	// APIAddr is the local API's address; default "127.0.0.1:0" (a free
	// port, recorded in the home).
	APIAddr string
	// Web, if set, serves the web UI.
	Web *Web
	// Relay, if set, makes the daemon an organiser relay.
	Relay *Relay
	// Phone, if set, serves the phone page on the node's WebSocket
	// listeners and writes the door poster.
	Phone *Phone
	// Join lists the groups (channel names or invite links) to join at
	// start, before the node runs: a relay's groups to carry.
	Join []string
	// Sim, if set, plays a simulation's part (package simhost).
	Sim *Sim
	// Out receives the start-up report, one line per thing started;
	// default discards it.
	Out io.Writer
	// Ready, if set, is called once everything has started, before the
	// node runs: the command prints what needs more than a line (QR codes).
	Ready func(Started)
	// Logger defaults to discarding everything.
	Logger *slog.Logger
}

// Web configures the web UI.
type Web struct {
	// Addr is a loopback HOST:PORT (port 0 picks one).
	Addr string
	// LAN also serves it on this machine's private LAN addresses.
	LAN bool
}

// Relay configures an organiser relay: the circuit relay service, who may
// use it, and its metrics.
type Relay struct {
	// ACL is who may reserve a slot and open circuits.
	ACL relay.Mode
	// MeshDegree is how many attendees per group get each message from
	// the relay at once; default peering.DefaultMeshDegree.
	MeshDegree int
	// Metrics, if set, is the HOST:PORT to serve Prometheus metrics on,
	// at http://Metrics/metrics.
	Metrics string
}

// Sim is a simulation's part in a daemon that runs as a real process over a
// simulated network (see package simhost and `starling-sim shadow`).
type Sim struct {
	// Script is the load to send; Start its time zero (zero: when the
	// node starts).
	Script     []simhost.Send
	ScriptName string // for the start-up line
	Start      time.Time
	// Events is the event log's file (appended to); empty: none. With
	// it the daemon counts the node's libp2p bytes for the log's stats
	// event and deepens its subscriber buffer to keep up with a busy relay.
	Events string
	// Invites is the directory where private groups' links are handed
	// over: CreatePrivate groups are created here and their links written
	// there; JoinInvite and Carry links are waited for there, while the
	// node runs.
	Invites                          string
	CreatePrivate, JoinInvite, Carry []string
}

func (c *Config) fill() {
	if c.APIAddr == "" {
		c.APIAddr = "127.0.0.1:0"
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}
