package sim

import (
	"errors"
	"time"
)

// ErrScenario wraps every problem with a scenario file: it could not be
// read or parsed, or a field is out of range. The message names the field.
var ErrScenario = errors.New("bad scenario")

// Scenario is one simulation as written in a YAML file (see
// sim/scenarios/*.yaml). Every time is simulated time from the moment all
// nodes have started. Zero fields take the defaults documented on them,
// which Parse fills in.
type Scenario struct {
	// Name labels the report; default the file's base name.
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Seed drives every random choice (keys, topology, load, churn, loss);
	// `starling-sim --seed` overrides it. Default 1.
	Seed int64 `yaml:"seed"`
	// Duration is how long the run lasts; required, at most 24 h.
	Duration Duration `yaml:"duration"`

	Nodes      Nodes       `yaml:"nodes"`
	Topology   Topology    `yaml:"topology"`
	Link       Link        `yaml:"link"`
	Groups     []Group     `yaml:"groups"`
	Load       []Load      `yaml:"load"`
	Churn      *Churn      `yaml:"churn"`
	Partitions []Partition `yaml:"partitions"`
	Outages    []Outage    `yaml:"outages"`
	Attackers  []Attacker  `yaml:"attackers"`
	Alerts     []Alert     `yaml:"alerts"`
	Node       NodeTuning  `yaml:"node"`
}

// Nodes counts the honest nodes: attendees (phones and laptops) and
// organiser relays (`starling relay`).
type Nodes struct {
	Attendees int `yaml:"attendees"`
	Relays    int `yaml:"relays"`
	// RelaysEach is how many of the relays each attendee uses (the ones
	// its invite link or the poster it scanned names), spread evenly so
	// that every relay serves the same share; 0 (default): all of them.
	// A relay keeps up to 4,096 connections, so a hall of 10,000 on eight
	// relays gives each attendee three.
	RelaysEach int `yaml:"relays_each"`
}

// Topologies.
const (
	// TopologyLAN: one network where every node can reach every other.
	TopologyLAN = "lan"
	// TopologyIsolated: client-isolated Wi-Fi; attendees reach only the
	// relays, and each other only through them.
	TopologyIsolated = "isolated"
	// TopologyRooms: several LANs; relays reach every room, and bridge
	// attendees sit in two neighbouring rooms.
	TopologyRooms = "rooms"
	// TopologyRandom: each attendee reaches only its neighbours in a random
	// graph (and the relays).
	TopologyRandom = "random"
)

// Topology says who can reach whom and whom each node dials.
type Topology struct {
	// Kind is lan (default), isolated, rooms or random.
	Kind string `yaml:"kind"`
	// Peers is how many reachable attendees each attendee dials at start
	// and keeps connected, standing in for mDNS (which the simulator never
	// runs): lan and rooms; default 8.
	Peers int `yaml:"peers"`
	// Rooms is the number of rooms (rooms only); default 2.
	Rooms int `yaml:"rooms"`
	// Bridges is how many attendees sit in each pair of neighbouring rooms
	// (rooms only); default 1, and 0 leaves the joining to the relays.
	Bridges *int `yaml:"bridges"`
	// Degree is each attendee's number of neighbours (random only);
	// default 4.
	Degree int `yaml:"degree"`
}

// Link sets every node's link; relays may have a faster one.
type Link struct {
	// Latency is one-way, per packet; default 5ms.
	Latency Duration `yaml:"latency"`
	// Jitter adds up to this much more to each packet, uniformly.
	Jitter Duration `yaml:"jitter"`
	// Bandwidth is each attendee's rate each way; default 20Mbps.
	Bandwidth Bandwidth `yaml:"bandwidth"`
	// RelayBandwidth is each relay's rate each way; default 1Gbps.
	RelayBandwidth Bandwidth `yaml:"relay_bandwidth"`
	// Loss is the share of packets lost, 0 to 0.5.
	Loss float64 `yaml:"loss"`
	// Transport is how connections are simulated: streams (default:
	// in-memory streams that keep each link's latency, bandwidth, loss as
	// retransmission delay, cuts and idle timeouts, package
	// sim/streamnet; light enough for 10,000 nodes) or quic (QUIC over
	// simulated packets, package sim/memnet: every packet, handshake and
	// retransmission real, at several times the CPU and memory).
	Transport string `yaml:"transport"`
}

// Link transports.
const (
	TransportStreams = "streams"
	TransportQUIC    = "quic"
)

// Group kinds.
const (
	GroupOpen     = "open"
	GroupPrivate  = "private"
	GroupAnnounce = "announce"
)

// created reports whether a group kind is one its owner creates and the
// others join by its invite link (private, announce), rather than an open
// channel joined by name.
func created(kind string) bool { return kind == GroupPrivate || kind == GroupAnnounce }

// Group is one group the attendees are in.
type Group struct {
	// Name is an open channel's name (its ID derives from it) or a private
	// group's display name. Required, unique.
	Name string `yaml:"name"`
	// Kind is open (default: a name-derived open channel), private (the
	// first member creates it and the others join by its invite link;
	// relays carry it without reading it) or announce (an announcement
	// channel: the first member creates it and alone posts there, the
	// others and the relays join by its link and read; members send no
	// profile, so thousands join it without a message per pair).
	Kind string `yaml:"kind"`
	// Members is the share of attendees in the group, 0 to 1; default 1.
	Members float64 `yaml:"members"`
}

// Alert is an organiser alert: the owner of a private or announce group
// (the kinds with an owner) sends one at At, and every attendee's node
// acknowledges it as it arrives, as if its person saw it. The report says
// how long until 50, 90 and 99 % of the members held it, how long until the
// organiser's node counted their acknowledgements, and the bytes it took.
type Alert struct {
	Group string   `yaml:"group"`
	At    Duration `yaml:"at"`
	// Size is the alert's text in bytes (default 140, at most 1024).
	Size int `yaml:"size"`
}

// Load is a stream of text messages in one group.
type Load struct {
	// Group names a group of the scenario; default the first.
	Group string `yaml:"group"`
	// Rate is messages per second in the group, all senders together,
	// arriving as a Poisson process. Give Rate or Each.
	Rate float64 `yaml:"rate"`
	// Each makes every sender send exactly this many messages, at
	// uniformly random times between Start and Stop, instead.
	Each int `yaml:"each"`
	// Paced, with Each, sends the messages one at a time, evenly spaced
	// between Start and Stop, each sender's in a row, senders in node
	// order: as scripts/netlab sends them, so that no two messages spread
	// at once.
	Paced bool `yaml:"paced"`
	// Size is each text's length in bytes; default 100.
	Size int `yaml:"size"`
	// Senders is the share of members who send; default 1.
	Senders float64 `yaml:"senders"`
	// Start and Stop bound the stream; defaults 15s and duration - 30s.
	Start Duration `yaml:"start"`
	Stop  Duration `yaml:"stop"`
}

// Churn takes attendees offline and back (Wi-Fi off, out of range, phone
// asleep): they keep running and keep their store, but exchange no packets.
type Churn struct {
	// Share is the share of attendees that come and go, 0 to 1; required.
	Share float64 `yaml:"share"`
	// MeanOnline and MeanOffline are the means of the exponential times a
	// churning attendee stays on and off; defaults 2m and 30s.
	MeanOnline  Duration `yaml:"mean_online"`
	MeanOffline Duration `yaml:"mean_offline"`
	// Start and Stop bound the departures (an attendee away at Stop still
	// comes back); defaults 0 and duration - 60s.
	Start Duration `yaml:"start"`
	Stop  Duration `yaml:"stop"`
}

// Partition splits the network in two from At until Heal.
type Partition struct {
	At   Duration `yaml:"at"`
	Heal Duration `yaml:"heal"`
	// Share is the share of nodes on the first side; default 0.5. Relays
	// alternate between the sides.
	Share float64 `yaml:"share"`
}

// Outage takes one relay offline from At until Until.
type Outage struct {
	// Relay is the relay's number, from 0.
	Relay int      `yaml:"relay"`
	At    Duration `yaml:"at"`
	Until Duration `yaml:"until"`
}

// Attacker kinds and modes.
const (
	AttackSpammer = "spammer"
	AttackSybil   = "sybil"

	// Spammer modes.
	ModeInvalid = "invalid" // well-formed messages with broken signatures
	ModeFlood   = "flood"   // valid messages far over the per-author rate
	ModeJunk    = "junk"    // random bytes
	// Sybil mode (flood is the other).
	ModeBlackhole = "blackhole" // join the topic, take mesh slots, forward nothing
)

// Attacker is a set of hostile nodes: raw go-libp2p-pubsub hosts that do
// what Starling's own code never would.
type Attacker struct {
	// Kind is spammer or sybil; required.
	Kind string `yaml:"kind"`
	// Count is how many; default 1 for a spammer, 20 for sybils.
	Count int `yaml:"count"`
	// Mode: spammer invalid (default), flood or junk; sybil blackhole
	// (default) or flood.
	Mode string `yaml:"mode"`
	// Group is the open group attacked; default the first open group.
	Group string `yaml:"group"`
	// Rate is messages per second each attacker sends when it sends;
	// default 50.
	Rate float64 `yaml:"rate"`
	// Size is the size of each message in bytes; default 100.
	Size int `yaml:"size"`
	// Targets is how many honest nodes each attacker dials; default 8.
	Targets int `yaml:"targets"`
	// IPs is how many addresses the attackers share; default one each for
	// spammers, 1 for all sybils together.
	IPs int `yaml:"ips"`
	// Start and Stop bound the attack; defaults 30s and duration - 30s.
	Start Duration `yaml:"start"`
	Stop  Duration `yaml:"stop"`
}

// NodeTuning adjusts every Starling node.
type NodeTuning struct {
	// SyncInterval is node.Config.SyncInterval; default the node's (1m).
	SyncInterval Duration `yaml:"sync_interval"`
	// RegossipWindow is node.Config.RegossipWindow: how recent a message
	// learnt by catch-up must be for the node to pass it on by gossip;
	// default the node's (10m), negative (-1s) never.
	RegossipWindow Duration `yaml:"regossip_window"`
	// Store is StoreMemory (the default), StoreBadgerMemory or StoreDisk.
	Store string `yaml:"store"`
	// RelayMeshDegree is how many attendees per group each relay forwards
	// every message to at once (peering.RelayService.MeshDegree); default
	// peering.DefaultMeshDegree (4096). Lower it to see what a relay that
	// carries fewer attendees costs them, or to make relays prune with
	// peer exchange.
	RelayMeshDegree int `yaml:"relay_mesh_degree"`
	// SharedSignatures has the nodes check each message's signature once
	// among them rather than once each (gossip.Verified): the same
	// decisions at a fraction of the CPU (ed25519 was about a tenth of a
	// node's), for large runs. It makes CPU per delivery lower than a
	// real node's, so runs compared with bare pubsub leave it off.
	SharedSignatures bool `yaml:"shared_signatures"`
}

// Node stores.
const (
	// StoreMemory: each node's store is on the store's memory engine
	// (store.EngineMemory), which holds what is stored and little more.
	// What thousands of nodes in one process need.
	StoreMemory = "memory"
	// StoreBadgerMemory: each node's Badger store is in memory, with the
	// smallest memtable and without compactors (the default until the
	// memory engine): about 1.3 MB a node before it stores anything. For
	// comparing the two.
	StoreBadgerMemory = "badger-memory"
	// StoreDisk: each node's store is a Badger directory on disk (in a
	// temporary directory removed after the run), its own messages synced
	// before they are sent, as in the daemon. Only real-time runs (the
	// CLI) feel the difference, since virtual time does not pass during
	// disk writes; it is for comparing with scripts/netlab.
	StoreDisk = "disk"
)

// Limits on a scenario, so that a typo cannot ask for a run that never ends.
// MaxNodes leaves room for a 10,000-attendee hall with its relays and
// attackers (testdata/hall10k.yaml); the plan and the report are built for
// that size, though whether the nodes fit in memory depends on the machine.
// Beyond it, export to Shadow (sim/shadow).
const (
	MaxNodes    = 20_000
	MaxDuration = 24 * time.Hour
	MaxMessages = 1_000_000
)
