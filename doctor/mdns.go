package doctor

import (
	"fmt"
	"strings"

	"starling/api"
)

// mDNS: blocked on this device, off, hearing nobody, hearing no Starling.

const mdnsAdvice = "ask the organiser for an invite link that names a relay, or start with `starling up --peer ADDRESS` using the address `starling id` prints on another device."

// mdnsWorks: mDNS is on and this device hears its own packets.
func (d *diag) mdnsWorks() bool {
	m := d.net.MDNS
	return m.Enabled && m.Listening && m.Own > 0 && !d.older(m.LastOwn, stale)
}

// mdnsBlocked: mDNS is on, but the node does not even hear its own
// packets, which the kernel loops back: a firewall drops UDP 5353, or no
// route takes multicast out.
//
// The node listens to IPv4 mDNS only, so on a LAN without IPv4 (rare) its
// silence says nothing, and no finding is made.
func (d *diag) mdnsBlocked() *api.Finding {
	if d.net == nil || d.noMC || !d.net.MDNS.Enabled || (d.f.Interfaces != nil && !hasIPv4(connected(d.f.Interfaces))) {
		return nil
	}
	m := d.net.MDNS
	f := &api.Finding{
		Cause:    CauseMDNSBlocked,
		Severity: d.severity(),
		Advice:   "Allow mDNS (UDP port 5353, group 224.0.0.251) in this device's firewall; meanwhile " + mdnsAdvice,
	}
	if !m.Listening {
		if m.Error == "" {
			return nil // not started yet
		}
		f.Summary = "mDNS cannot work on this device."
		f.Evidence = []string{m.Error}
		return f
	}
	if m.Since == nil || d.f.Now.Sub(*m.Since) < mdnsSettle {
		return nil
	}
	ran := round(d.f.Now.Sub(*m.Since))
	switch {
	case m.Own == 0:
		f.Evidence = []string{fmt.Sprintf("listening on %s for %s, it heard none of its own mDNS packets and %s from other devices",
			strings.Join(m.Interfaces, ", "), ran, plural(int(m.Others), "packet"))}
	case d.older(m.LastOwn, stale):
		f.Evidence = []string{fmt.Sprintf("it last heard its own mDNS packets %s, though it sends some every minute", d.ago(m.LastOwn))}
	default:
		return nil
	}
	f.Summary = "mDNS is blocked on this device: it does not even hear its own announcements."
	return f
}

// mdnsOff: discovery is off and nobody was found another way.
func (d *diag) mdnsOff() *api.Finding {
	if d.net == nil || d.relay || d.net.MDNS.Enabled || !d.alone || d.up < relaySettle {
		return nil
	}
	return &api.Finding{
		Cause:    CauseMDNSOff,
		Severity: Warning,
		Summary:  "LAN discovery is off (the node runs with --no-mdns), so nobody on this network is found by itself.",
		Evidence: []string{fmt.Sprintf("running for %s with no peer", round(d.up))},
		Advice:   "Restart `starling up` without --no-mdns, or give it a relay (an invite link that names one, or --relay) or --peer ADDRESS.",
	}
}

// mdnsSilent: mDNS works here, but no other device is heard at all: the
// Wi-Fi keeps devices apart, or nobody else is on it.
func (d *diag) mdnsSilent() *api.Finding {
	if d.net == nil || d.relay || !d.alone || !d.mdnsWorks() || d.up < quiet {
		return nil
	}
	m := d.net.MDNS
	if !d.older(m.LastOther, stale) {
		return nil
	}
	ev := fmt.Sprintf("it heard %s of its own on %s and none from any other device", plural(int(m.Own), "mDNS packet"), strings.Join(m.Interfaces, ", "))
	if m.Others > 0 {
		ev = fmt.Sprintf("it hears its own mDNS packets on %s, but last heard another device %s", strings.Join(m.Interfaces, ", "), d.ago(m.LastOther))
	}
	return &api.Finding{
		Cause:    CauseMDNSSilent,
		Severity: Warning,
		Summary:  "mDNS hears no other device on this network: the Wi-Fi may keep devices apart (common on guest and venue Wi-Fi), or nobody else is on it.",
		Evidence: []string{ev},
		Advice:   "Check that the others are on this same Wi-Fi; if they are, " + mdnsAdvice,
	}
}

// noStarling: other devices are heard on mDNS, but none runs Starling.
func (d *diag) noStarling() *api.Finding {
	if d.net == nil || d.relay || !d.alone || !d.mdnsWorks() || d.up < quiet {
		return nil
	}
	m := d.net.MDNS
	if d.older(m.LastOther, stale) || !d.older(m.LastStarling, stale) {
		return nil
	}
	return &api.Finding{
		Cause:    CauseNoStarling,
		Severity: Warning,
		Summary:  "Other devices answer mDNS on this network, but no Starling node does.",
		Evidence: []string{fmt.Sprintf("it heard %s from other devices, the last %s; the last from a Starling node: %s",
			plural(int(m.Others), "mDNS packet"), d.ago(m.LastOther), d.ago(m.LastStarling))},
		Advice: "Check that the others run `starling up` on this same network (not a guest or twin network kept apart); otherwise " + mdnsAdvice,
	}
}
