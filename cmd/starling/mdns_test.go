package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestMDNSInNamespaces runs three daemons, each in a network namespace of
// its own on one bridge, with mDNS on and no --peer: they must find each
// other and gossip. mDNS runs only inside the namespaces this test creates.
func TestMDNSInNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	hosts := newLAN(t, 3)

	var ms []*member
	for i, ns := range hosts {
		name := fmt.Sprintf("node%d", i+1)
		h := initHome(t, name)
		h.ns = ns
		m := &member{name: name, h: h}
		m.d, m.id = h.up("--listen", fmt.Sprintf("/ip4/%s/tcp/0", lanAddr(i)))
		ms = append(ms, m)
	}
	for i, m := range ms {
		var others []string
		for j, o := range ms {
			if j != i {
				others = append(others, o.id.PeerID)
			}
		}
		m.h.waitPeersWithin(discoverTimeout, "", others...)
		m.h.ok("join", "lobby")
	}
	for i, m := range ms {
		for j, o := range ms {
			if j != i {
				m.h.waitPeers("lobby", o.id.PeerID)
			}
		}
	}

	id, _ := ms[0].h.send("lobby", "found you all without a single --peer")
	if err := waitMessage(t, meetTimeout, "lobby", id, homesOf(ms)...); err != nil {
		t.Fatalf("the message did not reach every namespace: %v", err)
	}
	for _, m := range ms {
		m.d.stop()
	}
}

// discoverTimeout bounds discovery by mDNS. A query lost while the
// machine is busy (every package's tests at once) is repeated only after
// zeroconf's backoff (4 s, then 1.5 to 2.5 times longer each time, up to
// 60 s), so a single miss can cost half a minute.
const discoverTimeout = 2 * time.Minute

// lanSeq tells apart the namespaces of runs in one test process (-count).
var lanSeq atomic.Int32

// lanAddr is host i's address on the test LAN.
func lanAddr(i int) string { return fmt.Sprintf("10.77.0.%d", i+1) }

// newLAN builds a LAN of n hosts: a namespace holding a bridge, and n
// namespaces, each with a veth to the bridge, its address, loopback up and a
// multicast route (mDNS needs one when there is no default route). It skips
// the test when namespaces cannot be made, and deletes them all at cleanup,
// whether the test passed or not. It returns the hosts' namespace names.
func newLAN(t *testing.T, n int) []string {
	t.Helper()
	prefix := fmt.Sprintf("stl-e2e-%d-%d", os.Getpid(), lanSeq.Add(1))
	bridge := prefix + "-br"
	if out, err := ipCommand("netns", "add", bridge); err != nil {
		t.Skipf("needs root to create network namespaces: ip netns add failed: %v: %s", err, out)
	}
	created := []string{bridge}
	t.Cleanup(func() {
		for _, ns := range created {
			if out, err := ipCommand("netns", "delete", ns); err != nil {
				t.Errorf("delete namespace %s: %v: %s", ns, err, out)
			}
		}
		out, err := ipCommand("netns", "list")
		if err != nil {
			t.Errorf("ip netns list: %v: %s", err, out)
		}
		if strings.Contains(out, prefix) {
			t.Errorf("namespaces of this test remain:\n%s", out)
		}
	})

	ip := func(args ...string) {
		t.Helper()
		if out, err := ipCommand(args...); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	ip("-n", bridge, "link", "add", "br0", "type", "bridge")
	ip("-n", bridge, "link", "set", "br0", "up")
	var hosts []string
	for i := range n {
		ns := fmt.Sprintf("%s-h%d", prefix, i+1)
		ip("netns", "add", ns)
		created = append(created, ns)
		hosts = append(hosts, ns)
		port := fmt.Sprintf("veth%d", i+1)
		ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", bridge)
		ip("-n", bridge, "link", "set", port, "master", "br0", "up")
		ip("-n", ns, "addr", "add", lanAddr(i)+"/24", "dev", "eth0")
		ip("-n", ns, "link", "set", "eth0", "up")
		ip("-n", ns, "link", "set", "lo", "up")
		ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0")
	}
	return hosts
}

// ipCommand runs iproute2's ip and returns its combined output.
func ipCommand(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	return string(out), err
}
