package doctor

import (
	"net"
	"net/netip"
	"time"

	"starling/api"
)

// Facts are what a diagnosis rests on.
type Facts struct {
	// Now is when the diagnosis is made. The node's own clock, when its
	// status says it (Network.Now), takes its place: the status's times are
	// read on that clock.
	Now time.Time
	// Status is the running node's status; nil when no node answers.
	Status *api.Status
	// NoNode says why no node answers, when Status is nil (the client's
	// error, such as "no daemon is running for ~/.local/share/starling").
	NoNode string
	// Store is the store's condition read without a node (`status` with
	// no daemon); used only when Status is nil.
	Store *api.StoreHealth
	// Interfaces are this machine's network interfaces (see Interfaces);
	// nil when they were not looked at, which skips the checks that need
	// them.
	Interfaces []Interface
}

// Interface is one network interface of this machine.
type Interface struct {
	Name                    string
	Up, Loopback, Multicast bool
	Addrs                   []netip.Prefix
}

// Interfaces lists this machine's network interfaces. It runs where the
// doctor runs, which is the node's machine: the API answers only on
// loopback.
func Interfaces() ([]Interface, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]Interface, 0, len(ifaces))
	for _, ifi := range ifaces {
		i := Interface{
			Name:      ifi.Name,
			Up:        ifi.Flags&net.FlagUp != 0,
			Loopback:  ifi.Flags&net.FlagLoopback != 0,
			Multicast: ifi.Flags&net.FlagMulticast != 0,
		}
		addrs, err := ifi.Addrs()
		if err == nil {
			for _, a := range addrs {
				if p, err := netip.ParsePrefix(a.String()); err == nil {
					i.Addrs = append(i.Addrs, p)
				}
			}
		}
		out = append(out, i)
	}
	return out, nil
}

// usable reports whether an address can reach other devices on a
// network: neither loopback nor link-local (169.254/16 and fe80::/10 come
// without any network's help), multicast or unspecified.
func usable(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !a.IsMulticast() && !a.IsUnspecified()
}

// connected returns the interfaces that are up, not loopback, with a
// usable address.
func connected(ifaces []Interface) []Interface {
	var out []Interface
	for _, i := range ifaces {
		if !i.Up || i.Loopback {
			continue
		}
		for _, a := range i.Addrs {
			if usable(a.Addr()) {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// hasIPv4 reports whether any of ifaces has a usable IPv4 address.
func hasIPv4(ifaces []Interface) bool {
	for _, i := range ifaces {
		for _, a := range i.Addrs {
			if a.Addr().Unmap().Is4() && usable(a.Addr()) {
				return true
			}
		}
	}
	return false
}

// NoPeers reports whether the node has found nobody: no peer connected,
// organiser relays aside.
func NoPeers(st *api.Status) bool {
	if st.Network != nil {
		return st.Network.DirectPeers+st.Network.RelayedPeers == 0
	}
	relays := 0
	for _, r := range st.Relays {
		if r.Connected {
			relays++
		}
	}
	return st.Peers-relays <= 0
}
