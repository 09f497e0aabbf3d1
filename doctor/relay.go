package doctor

import (
	"fmt"
	"strings"

	"starling/api"
)

// Organiser relays: none configured, none reachable, none reserving.

// issue returns what the network block says went wrong with a relay.
func (d *diag) issue(id string) (api.RelayIssue, bool) {
	if d.net == nil {
		return api.RelayIssue{}, false
	}
	for _, i := range d.net.RelayIssues {
		if i.PeerID == id {
			return i, true
		}
	}
	return api.RelayIssue{}, false
}

// dialWords says how a dial failed, after "the last dial ".
func dialWords(reason, err string) string {
	switch reason {
	case api.ReasonTimeout:
		return "timed out: nothing answered"
	case api.ReasonRefused:
		return "was refused: the machine is there, but nothing listens on that port"
	case api.ReasonUnreachable:
		return "found no route: this device is not on that network"
	case api.ReasonWrongPeer:
		return "reached another node at that address"
	case api.ReasonNoAddress:
		return "had no address to dial"
	}
	return "failed: " + err
}

// relayUnreachable: relays are configured and none is connected.
func (d *diag) relayUnreachable() *api.Finding {
	if d.relay || len(d.st.Relays) == 0 || d.up < relaySettle {
		return nil
	}
	var ev []string
	first := ""
	for _, r := range d.st.Relays {
		if r.Connected {
			return nil
		}
		where := short(r.PeerID)
		if len(r.Addrs) > 0 {
			where += " at " + r.Addrs[0]
		}
		i, ok := d.issue(r.PeerID)
		if !ok || i.DialError == "" {
			ev = append(ev, fmt.Sprintf("relay %s: not connected yet", where))
			continue
		}
		if first == "" {
			first = i.DialReason
		}
		ev = append(ev, fmt.Sprintf("relay %s: the last dial, %s, %s", where, d.ago(i.DialAt), dialWords(i.DialReason, i.DialError)))
	}
	advice := "Check the relay's address in your invite link and ask the organiser whether the relay runs."
	switch first {
	case api.ReasonTimeout:
		advice = "Check that this device is on the event's Wi-Fi and that the relay runs; the node keeps trying."
	case api.ReasonRefused:
		advice = "Ask the organiser whether the relay is running: its machine answers, the relay does not."
	case api.ReasonUnreachable:
		advice = "Join the event's Wi-Fi: no network of this device leads to the relay."
	}
	return &api.Finding{
		Cause:    CauseRelayUnreachable,
		Severity: d.severity(),
		Summary:  fmt.Sprintf("No organiser relay is reachable (%s configured).", plural(len(d.st.Relays), "relay")),
		Evidence: ev,
		Advice:   advice,
	}
}

// noReservation: a relay is connected but refuses this device a
// reservation, so peers that cannot reach it directly cannot reach it at
// all.
func (d *diag) noReservation() *api.Finding {
	if d.relay {
		return nil
	}
	var ev []string
	denied := false
	for _, r := range d.st.Relays {
		if !r.Connected || r.Reserved {
			continue
		}
		i, ok := d.issue(r.PeerID)
		if !ok || i.ReservationError == "" {
			continue
		}
		e := strings.ToLower(i.ReservationError)
		denied = denied || strings.Contains(e, "permission_denied") || strings.Contains(e, "permission denied")
		ev = append(ev, fmt.Sprintf("relay %s refused a reservation %s: %s", short(r.PeerID), d.ago(i.ReservationAt), i.ReservationError))
	}
	if len(ev) == 0 {
		return nil
	}
	advice := "The relay may be full or restarting; the node asks again every 30 seconds."
	if denied {
		advice = "This relay admits only invited devices: join with an invite link an organiser made for it (`starling invite GROUP --relay ADDRESS`)."
	}
	return &api.Finding{
		Cause:    CauseNoReservation,
		Severity: Warning,
		Summary:  "A relay refuses this device a reservation, so peers that cannot reach it directly cannot reach it through the relay.",
		Evidence: ev,
		Advice:   advice,
	}
}

// noRelay: nobody found, and no relay to fall back on.
func (d *diag) noRelay() *api.Finding {
	if d.relay || len(d.st.Relays) > 0 || !d.alone || d.up < quiet {
		return nil
	}
	return &api.Finding{
		Cause:    CauseNoRelay,
		Severity: Warning,
		Summary:  "No organiser relay is configured.",
		Evidence: []string{"where devices cannot reach each other (client-isolated Wi-Fi, different networks), only a relay connects them"},
		Advice:   "Join with an invite link that names a relay, or start with `starling up --relay ADDRESS`.",
	}
}
