package webui

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// ErrNoLAN means LAN mode found no private address to listen on.
var ErrNoLAN = errors.New("this machine has no private LAN address")

// Listen opens the web UI's listeners: addr, which must be on loopback
// (127.0.0.1:0 picks a port), and in LAN mode one on each private LAN
// address of this machine (see LANAddrs), on the same port when it is free
// there. It listens only; it sends nothing (no mDNS, no announcement).
func Listen(addr string, lan bool) ([]net.Listener, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("web UI on %s: %w; pass another --web address", addr, err)
	}
	lns := []net.Listener{ln}
	if !lan {
		return lns, nil
	}
	closeAll := func() {
		for _, l := range lns {
			l.Close()
		}
	}
	ips, err := LANAddrs()
	if err == nil && len(ips) == 0 {
		err = fmt.Errorf("%w; join the Wi-Fi (or open a hotspot) first, or drop --web-lan", ErrNoLAN)
	}
	if err != nil {
		closeAll()
		return nil, err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	for _, ip := range ips {
		l, err := net.Listen("tcp", net.JoinHostPort(ip.String(), port))
		if err != nil {
			l, err = net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
		}
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("web UI on %s: %w", ip, err)
		}
		lns = append(lns, l)
	}
	return lns, nil
}

// CheckLoopback accepts HOST:PORT whose host is localhost or a loopback
// IP address.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--web %q: want HOST:PORT, such as 127.0.0.1:0 (a port of 0 picks one)", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--web %q is not a loopback address; the web UI binds 127.0.0.1, and --web-lan adds this machine's LAN addresses with a pairing token", addr)
}

// virtualPrefixes name interfaces that lead to containers and virtual
// machines on this host, not to the room's network.
var virtualPrefixes = []string{"docker", "br-", "veth", "virbr", "vmnet", "cni", "flannel", "podman", "lxc"}

// LANAddrs returns the private addresses (RFC 1918, fc00::/7) of this
// machine's up, non-loopback, non-virtual interfaces, IPv4 first. Link-local
// addresses are left out: a phone's browser cannot open a link to one.
func LANAddrs() ([]netip.Addr, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list network interfaces: %w", err)
	}
	var out []netip.Addr
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 ||
			slices.ContainsFunc(virtualPrefixes, func(p string) bool { return strings.HasPrefix(ifc.Name, p) }) {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if ip = ip.Unmap(); ok && ip.IsPrivate() {
				out = append(out, ip)
			}
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int {
		if a.Is4() != b.Is4() {
			if a.Is4() {
				return -1
			}
			return 1
		}
		return a.Compare(b)
	})
	return slices.Compact(out), nil
}
