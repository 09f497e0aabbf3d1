package netwatch

import (
	"net"
	"net/netip"
	"slices"
)

// Subnets lists this device's own subnets: the networks of the addresses
// of its interfaces that are up, loopback and link-local ones aside (every
// device has those, so sharing them says nothing).
func Subnets() ([]netip.Prefix, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, ifi := range ifaces {
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			p, err := netip.ParsePrefix(a.String())
			if err != nil || !usable(p.Addr()) {
				continue
			}
			out = append(out, p.Masked())
		}
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return slices.Compact(out), nil
}

// usable reports whether an address can reach other devices: neither
// loopback, link-local, multicast nor unspecified.
func usable(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !a.IsMulticast() && !a.IsUnspecified()
}

// OnSubnets reports whether any of addrs lies in one of subnets.
func OnSubnets(addrs []netip.Addr, subnets []netip.Prefix) bool {
	for _, a := range addrs {
		if !usable(a) {
			continue
		}
		for _, p := range subnets {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
	}
	return false
}
