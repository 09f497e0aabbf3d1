package doctor

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"starling/api"
)

// Peers: client isolation, dials that fail, nobody found.

// isolation: devices on this LAN are reachable only through a relay, or
// answer mDNS but not dials. The first is seen on the connections; direct
// probes (`starling doctor` asks for them) make it certain.
func (d *diag) isolation() *api.Finding {
	if d.net == nil || d.relay {
		return nil
	}
	n := d.net
	p := n.Probes
	f := &api.Finding{Cause: CauseClientIsolation}
	subnets := strings.Join(n.Subnets, ", ")
	if subnets == "" {
		subnets = "this device's network"
	}
	switch {
	case n.RelayedSameLAN > 0 || p.SameLAN > 0:
		f.Severity = Warning // messages flow through the relay
		if n.RelayedSameLAN > 0 {
			f.Evidence = append(f.Evidence, fmt.Sprintf("%s with addresses on %s %s connected only through a relay",
				plural(n.RelayedSameLAN, "peer"), subnets, isAre(n.RelayedSameLAN)))
		}
		if p.SameLAN > 0 {
			f.Evidence = append(f.Evidence, fmt.Sprintf("%s dialled directly on this network failed (%s)%s",
				plural(int(p.SameLAN), "peer"), reasons(p.ByReason), lastError(p.Last)))
			f.Summary = "The network keeps devices apart (client isolation): peers on it are reachable only through the relay."
		} else {
			f.Summary = "Peers on this network are reachable only through the relay: the Wi-Fi may keep devices apart (client isolation)."
			if p.Succeeded == 0 {
				f.Evidence = append(f.Evidence, "`starling doctor` dials them directly to tell for sure")
			}
		}
		f.Advice = "Messages still go through the relay, so keep it reachable; whoever runs the Wi-Fi can turn client isolation off."
		return f
	case d.alone && d.mdnsWorks() && !d.older(n.MDNS.LastStarling, stale):
		timeouts := 0
		for _, r := range n.Dials.Recent {
			if !r.Relay && r.Reason == api.ReasonTimeout {
				timeouts++
			}
		}
		if timeouts == 0 {
			return nil
		}
		f.Severity = Problem
		f.Summary = "The network keeps devices apart (client isolation): other Starling nodes answer mDNS, but connections to them time out."
		f.Evidence = []string{fmt.Sprintf("it heard another Starling node on mDNS %s, and %s of the last dials to peers timed out",
			d.ago(n.MDNS.LastStarling), plural(timeouts, "dial"))}
		f.Advice = "On this Wi-Fi only a relay connects devices: ask the organiser for an invite link that names one (or whoever runs the Wi-Fi to turn client isolation off)."
		return f
	}
	return nil
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// reasons says counts by reason, such as "2 timeout, 1 refused".
func reasons(by map[string]uint64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(by)) {
		parts = append(parts, fmt.Sprintf("%d %s", by[k], k))
	}
	return strings.Join(parts, ", ")
}

func lastError(f *api.DialFailure) string {
	if f == nil || f.Error == "" {
		return ""
	}
	return "; the last: " + f.Error
}

// peersUnreachable: nobody found, and the node's own dials to peers (not
// relays) fail.
func (d *diag) peersUnreachable() *api.Finding {
	if d.net == nil || d.relay || !d.alone {
		return nil
	}
	by := map[string]uint64{}
	var last *api.DialFailure
	peers := map[string]bool{}
	for _, r := range d.net.Dials.Recent {
		if r.Relay {
			continue
		}
		by[r.Reason]++
		peers[r.Peer] = true
		if last == nil {
			last = &r
		}
	}
	if last == nil {
		return nil
	}
	advice := "Check the address (`starling id` on the other device) and that both devices are on the same network, or connect through a relay."
	switch last.Reason {
	case api.ReasonTimeout:
		advice = "Nothing answered: check that both devices are on the same network and that the other node runs, or connect through a relay."
	case api.ReasonRefused:
		advice = "The other device answers, but no node listens there: check that it runs `starling up`, and the address `starling id` prints on it."
	case api.ReasonUnreachable:
		advice = "That address is on a network this device is not on: join the same Wi-Fi, or connect through a relay."
	case api.ReasonWrongPeer:
		advice = "Another node answers at that address, which is stale: ask for a fresh one (`starling id` on the other device)."
	}
	return &api.Finding{
		Cause:    CausePeersUnreachable,
		Severity: Problem,
		Summary:  fmt.Sprintf("Dials to %s failed.", plural(len(peers), "peer")),
		Evidence: []string{fmt.Sprintf("the last failures: %s%s", reasons(by), lastError(last))},
		Advice:   advice,
	}
}

// noPeers: nobody found, and nothing above explains it.
func (d *diag) noPeers() *api.Finding {
	if d.relay || !d.alone || d.up < quiet {
		return nil
	}
	ev := []string{fmt.Sprintf("running for %s with no peer", round(d.up))}
	if d.net != nil && d.mdnsWorks() {
		ev = append(ev, fmt.Sprintf("mDNS works here and heard %s from other devices", plural(int(d.net.MDNS.Others), "packet")))
	}
	return &api.Finding{
		Cause:    CauseNoPeers,
		Severity: Warning,
		Summary:  "No peer found yet, and nothing on this device explains why.",
		Evidence: ev,
		Advice:   "Check that the others run `starling up` on the same Wi-Fi; otherwise connect through an invite link that names a relay, or with --peer ADDRESS.",
	}
}
