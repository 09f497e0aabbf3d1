package doctor

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"starling/api"
)

// Severities of a finding.
const (
	// Problem: it keeps this device from others (or from saving).
	Problem = "problem"
	// Warning: things work, worse than they could, or may soon stop.
	Warning = "warning"
)

// Causes, in the order findings of one severity are listed: the first is
// what the chats show.
const (
	CauseNoNode           = "no-node"
	CauseNoNetwork        = "no-network"
	CauseDiskFull         = "disk-full"
	CauseRelayUnreachable = "relay-unreachable"
	CauseNoMulticast      = "no-multicast"
	CauseMDNSBlocked      = "mdns-blocked"
	CauseClientIsolation  = "client-isolation"
	CauseClockSkew        = "clock-skew"
	CausePeersUnreachable = "peers-unreachable"
	CauseMDNSOff          = "mdns-off"
	CauseMDNSSilent       = "mdns-silent"
	CauseNoStarling       = "mdns-no-starling"
	CauseNoRelay          = "no-relay"
	CauseNoReservation    = "relay-no-reservation"
	CauseDiskLow          = "disk-almost-full"
	CauseNoPeers          = "no-peers"
)

// How long a node runs before a check that waits for something to happen
// speaks, and how old "recent" may be.
const (
	// mdnsSettle: the node's mDNS service announces itself and queries at
	// once, so its own packets come back within seconds.
	mdnsSettle = 20 * time.Second
	// quiet: long enough for mDNS (queries at 0, 4 and 8 s) and the first
	// dials to find peers.
	quiet = 30 * time.Second
	// relaySettle: a relay's first dial has had time to end.
	relaySettle = 15 * time.Second
	// stale: mDNS queries at least once a minute, and the node hears its
	// own; older than this, it stopped hearing.
	stale = 3 * time.Minute
	// refuseSkew is how far ahead of a receiver's clock a message may be
	// dated (message.MaxFutureSkew).
	refuseSkew = 5 * time.Minute
)

// Diagnose returns what is wrong, most important first: problems before
// warnings, each in the order of the causes above. None means nothing is.
func Diagnose(f Facts) []api.Finding {
	var out []api.Finding
	add := func(fs ...*api.Finding) {
		for _, x := range fs {
			if x != nil {
				out = append(out, *x)
			}
		}
	}
	if f.Status == nil {
		add(noNode(f), noNetwork(f), diskFull(f.Store), diskLow(f.Store))
		return sorted(out)
	}
	f.Now = nodeNow(f)
	d := newDiag(f)
	add(noNetwork(f), diskFull(d.st.Store), d.relayUnreachable(), d.noMulticast(), d.mdnsBlocked())
	add(d.isolation(), d.clock(), d.peersUnreachable(), d.mdnsOff(), d.mdnsSilent(), d.noStarling())
	add(d.noRelay(), d.noReservation(), diskLow(d.st.Store))
	if len(out) == 0 {
		add(d.noPeers())
	}
	return sorted(out)
}

// Pending says which checks wait because the node started too recently,
// or "" when none does.
func Pending(f Facts) string {
	if f.Status == nil {
		return ""
	}
	up := nodeNow(f).Sub(f.Status.Started)
	if up >= quiet {
		return ""
	}
	return fmt.Sprintf("the node started %s ago; discovery checks wait until it has run for %s, so run `starling doctor` again then",
		round(up), quiet)
}

// nodeNow is the node's clock at its status, when it says it, else f.Now.
func nodeNow(f Facts) time.Time {
	if n := f.Status.Network; n != nil && n.Now != nil {
		return *n.Now
	}
	return f.Now
}

// Why returns the finding that says why a node has found nobody, for the
// chats' status line: the first of its status's findings, the disk's aside
// (the chats warn of the disk on a line of their own, and a full disk does
// not keep peers away). ok is false while the node has found someone, or
// nothing explains why not.
func Why(st *api.Status) (f api.Finding, ok bool) {
	if !NoPeers(st) {
		return api.Finding{}, false
	}
	for _, f := range st.Findings {
		if f.Cause != CauseDiskFull && f.Cause != CauseDiskLow {
			return f, true
		}
	}
	return api.Finding{}, false
}

// Line is a finding in one line, for a status bar.
func Line(f api.Finding) string { return f.Summary + " " + f.Advice }

// causeRank orders the causes.
var causeRank = func() map[string]int {
	m := map[string]int{}
	for i, c := range []string{CauseNoNode, CauseNoNetwork, CauseDiskFull, CauseRelayUnreachable, CauseNoMulticast,
		CauseMDNSBlocked, CauseClientIsolation, CauseClockSkew, CausePeersUnreachable, CauseMDNSOff, CauseMDNSSilent,
		CauseNoStarling, CauseNoRelay, CauseNoReservation, CauseDiskLow, CauseNoPeers} {
		m[c] = i
	}
	return m
}()

func sorted(fs []api.Finding) []api.Finding {
	slices.SortStableFunc(fs, func(a, b api.Finding) int {
		if a.Severity != b.Severity {
			if a.Severity == Problem {
				return -1
			}
			return 1
		}
		return cmp.Compare(causeRank[a.Cause], causeRank[b.Cause])
	})
	return fs
}

// diag is one diagnosis of a running node.
type diag struct {
	f     Facts
	st    *api.Status
	net   *api.Network // nil from a node that does not report it
	up    time.Duration
	alone bool // no peer, relays aside
	relay bool // this node is an organiser relay
	noMC  bool // no interface can do multicast (noMulticast fired)
}

func newDiag(f Facts) *diag {
	d := &diag{f: f, st: f.Status, net: f.Status.Network, up: f.Now.Sub(f.Status.Started), alone: NoPeers(f.Status)}
	d.relay = d.net != nil && d.net.Relay
	return d
}

// severity is Problem while this node has found nobody, else Warning:
// the same fault matters less once peers are found another way.
func (d *diag) severity() string {
	if d.alone {
		return Problem
	}
	return Warning
}

// ago is how long before the diagnosis t was; "never" for a nil t.
func (d *diag) ago(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return round(d.f.Now.Sub(*t)) + " ago"
}

// older reports whether t is unset or older than age.
func (d *diag) older(t *time.Time, age time.Duration) bool {
	return t == nil || t.IsZero() || d.f.Now.Sub(*t) > age
}

// round shortens a duration for people: whole seconds.
func round(d time.Duration) string {
	if d < time.Second {
		return "0s"
	}
	return d.Round(time.Second).String()
}

// about says an offset in words: seconds, minutes or hours.
func about(d time.Duration) string {
	d = d.Abs()
	switch {
	case d < 2*time.Minute:
		return fmt.Sprintf("%d seconds", int(d.Seconds()+0.5))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()+0.5))
	default:
		return fmt.Sprintf("%.1f hours", d.Hours())
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// short abbreviates a peer ID as the node's logs do: its last eight
// characters.
func short(id string) string {
	if len(id) <= 8 {
		return id
	}
	return "…" + id[len(id)-8:]
}
