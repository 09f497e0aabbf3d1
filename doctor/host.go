package doctor

import (
	"fmt"
	"strings"

	"starling/api"
)

// The machine's own causes: no node, no network, no multicast, the disk.

func noNode(f Facts) *api.Finding {
	why := f.NoNode
	if why == "" {
		why = "no node answers the local API"
	}
	return &api.Finding{
		Cause:    CauseNoNode,
		Severity: Problem,
		Summary:  "No Starling node is running here, so nobody can be found.",
		Evidence: []string{why},
		Advice:   "Start it with `starling up` and keep it running.",
	}
}

// noNetwork: no interface is up with an address that reaches a network.
func noNetwork(f Facts) *api.Finding {
	if f.Interfaces == nil || len(connected(f.Interfaces)) > 0 {
		return nil
	}
	var ev []string
	for _, i := range f.Interfaces {
		if i.Loopback {
			continue
		}
		switch {
		case !i.Up:
			ev = append(ev, fmt.Sprintf("%s is down", i.Name))
		case len(i.Addrs) == 0:
			ev = append(ev, fmt.Sprintf("%s is up but has no address", i.Name))
		default:
			ev = append(ev, fmt.Sprintf("%s has only self-assigned addresses (%s): no network gave it one", i.Name, prefixes(i)))
		}
	}
	if len(ev) == 0 {
		ev = append(ev, "this machine has no network interface besides loopback")
	}
	return &api.Finding{
		Cause:    CauseNoNetwork,
		Severity: Problem,
		Summary:  "This device is not connected to any network.",
		Evidence: ev,
		Advice:   "Connect to the event's Wi-Fi (or plug in a cable), then run `starling doctor` again.",
	}
}

func prefixes(i Interface) string {
	s := make([]string, len(i.Addrs))
	for k, a := range i.Addrs {
		s[k] = a.String()
	}
	return strings.Join(s, ", ")
}

// noMulticast: the interfaces with a network cannot do multicast, so mDNS
// cannot work (some VPNs and tethering links).
func (d *diag) noMulticast() *api.Finding {
	if d.f.Interfaces == nil || d.net == nil || !d.net.MDNS.Enabled {
		return nil
	}
	conn := connected(d.f.Interfaces)
	if len(conn) == 0 {
		return nil
	}
	var ev []string
	for _, i := range conn {
		if i.Multicast {
			return nil
		}
		ev = append(ev, fmt.Sprintf("%s (%s) cannot do multicast", i.Name, prefixes(i)))
	}
	d.noMC = true
	return &api.Finding{
		Cause:    CauseNoMulticast,
		Severity: d.severity(),
		Summary:  "No network interface here can do multicast, so mDNS cannot find anyone.",
		Evidence: ev,
		Advice:   "Join with an invite link that names a relay, or start with `starling up --peer ADDRESS` using the address `starling id` prints on another device.",
	}
}

const diskAdvice = "Free space on the disk that holds Starling's home (delete large files); the node takes messages again by itself and catches up on what it refused."

// diskFull: the store refuses writes.
func diskFull(h *api.StoreHealth) *api.Finding {
	if h == nil {
		return nil
	}
	var summary string
	switch h.State {
	case "low":
		summary = "The disk is almost full: this node refuses messages from others."
	case "full":
		summary = "The disk is full: this node saves nothing new, your own messages included."
	case "read-only":
		summary = "The disk was full when the node started: it runs read-only and saves nothing."
	default:
		return nil
	}
	ev := []string{}
	if h.Reason != "" {
		ev = append(ev, h.Reason) // the store's own sentence has the figures
	} else if h.FreeBytes >= 0 {
		ev = append(ev, fmt.Sprintf("%s free; messages from others need %s, anything at all %s",
			bytes(h.FreeBytes), bytes(h.FloorBytes), bytes(h.HardFloorBytes)))
	}
	if h.Refused > 0 {
		ev = append(ev, fmt.Sprintf("%d writes refused for want of space since the node started", h.Refused))
	}
	return &api.Finding{Cause: CauseDiskFull, Severity: Problem, Summary: summary, Evidence: ev, Advice: diskAdvice}
}

// diskLow: the store still takes everything, but the free space is less
// than twice what it keeps free.
func diskLow(h *api.StoreHealth) *api.Finding {
	if h == nil || h.State != "ok" || h.FreeBytes < 0 || h.FloorBytes <= 0 || h.FreeBytes >= 2*h.FloorBytes {
		return nil
	}
	return &api.Finding{
		Cause:    CauseDiskLow,
		Severity: Warning,
		Summary:  fmt.Sprintf("The disk is almost full: %s free.", bytes(h.FreeBytes)),
		Evidence: []string{fmt.Sprintf("below %s free this node refuses messages from others, below %s it saves nothing",
			bytes(h.FloorBytes), bytes(h.HardFloorBytes))},
		Advice: diskAdvice,
	}
}

// bytes says a size as `starling status` does.
func bytes(n int64) string {
	switch {
	case n < 0:
		return "an unknown amount"
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
}
