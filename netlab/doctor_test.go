package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"starling/api"
	"starling/doctor"
)

// `starling doctor` in the lab, one test per cause of "nobody is found":
// each builds the network that causes it, runs real daemons, and waits
// until the doctor of the host it hurts names the cause, with its
// evidence. They need root, iproute2 and nftables (and a tmpfs, for the
// disk), and skip saying so without them; each lab's namespaces, rules and
// daemons go at cleanup, whatever happened.

// doctorTimeout bounds each test's lab work: the discovery checks need the
// node to run 20-30 s, a relay's dial times out after 10 s.
const doctorTimeout = 3 * time.Minute

// doctorLab is a lab for a doctor test, whose daemons' logs are printed if
// the test fails, and a context bounded by doctorTimeout.
func doctorLab(t *testing.T) (*Lab, context.Context) {
	t.Helper()
	needLab(t)
	bin := starlingBin(t)
	logs := t.TempDir()
	l := newLab(t, Config{Starling: bin, LogDir: logs, Logger: testLogger(t)})
	t.Cleanup(func() {
		if t.Failed() {
			dumpLogs(t, logs)
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), doctorTimeout)
	t.Cleanup(cancel)
	return l, ctx
}

// has accepts a doctor that found cause (first among its findings, when
// first), of severity (unless empty), saying each of words somewhere.
func has(cause string, first bool, severity string, words ...string) func(Doctor) error {
	return func(d Doctor) error {
		f, ok := d.Finding(cause)
		switch {
		case !ok:
			return fmt.Errorf("no %s finding", cause)
		case first && d.Findings[0].Cause != cause:
			return fmt.Errorf("%s is not the first finding", cause)
		case severity != "" && f.Severity != severity:
			return fmt.Errorf("%s is a %s, want a %s", cause, f.Severity, severity)
		}
		all := f.Summary + "\n" + strings.Join(f.Evidence, "\n") + "\n" + f.Advice
		for _, w := range words {
			if !strings.Contains(all, w) {
				return fmt.Errorf("the %s finding does not say %q", cause, w)
			}
		}
		return nil
	}
}

func mustFind(t *testing.T, ctx context.Context, h *Host, check func(Doctor) error) Doctor {
	t.Helper()
	d, err := h.WaitFinding(ctx, check)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s's doctor: %s", h.name, d)
	return d
}

// mdnsDrop is a host firewall that drops mDNS both ways.
const mdnsDrop = `table inet doctor {
	chain input {
		type filter hook input priority 0; policy accept;
		udp dport 5353 counter drop
	}
	chain output {
		type filter hook output priority 0; policy accept;
		udp dport 5353 counter drop
	}
}
`

// TestDoctorMDNSBlocked: three hosts on one bridge with mDNS on and no
// --peer; h1's own firewall drops mDNS. h2 and h3 find each other, and
// their doctors find nothing wrong; h1 finds nobody, and its doctor says
// that mDNS is blocked on this device: it does not hear even its own
// packets.
func TestDoctorMDNSBlocked(t *testing.T) {
	t.Parallel()
	l, ctx := doctorLab(t)
	_, hosts, err := lanOf(ctx, l, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	h1, h2 := hosts[0], hosts[1]
	if err := l.inNS(ctx, h1.ns, mdnsDrop, "nft", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range hosts {
		d, err := h.Start(ctx, "up", h.ListenFlags()...)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID().PeerID)
	}
	if err := h2.WaitPeers(ctx, "", ids[2]); err != nil {
		t.Fatal(err)
	}
	mustFind(t, ctx, h1, has(doctor.CauseMDNSBlocked, true, doctor.Problem, "none of its own mDNS packets", "eth0", "5353"))
	// h2 has a peer: nothing wrong, even once the discovery checks speak.
	if _, err := h2.WaitFinding(ctx, func(d Doctor) error {
		if d.Pending != "" || len(d.Findings) > 0 {
			return errors.New("not settled, or something found")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if peers, err := h1.Peers(ctx); err != nil || len(peers) != 0 {
		t.Fatalf("h1 has peers %+v (%v) through a firewall that drops mDNS", peers, err)
	}
	rules, err := l.output(ctx, "", "ip", "netns", "exec", h1.ns, "nft", "list", "table", "inet", "doctor")
	if err != nil || countDropped(string(rules)) == 0 {
		t.Fatalf("h1's firewall dropped no mDNS packet: %v\n%s", err, rules)
	}
}

// TestDoctorNoMulticast: two hosts on one bridge with mDNS on and no
// --peer; h1's interface cannot do multicast (its MULTICAST flag is off, as
// on some VPN and tethering links). h1's doctor says no interface here can
// do multicast, naming it, and puts that before anything mDNS hears or
// does not.
func TestDoctorNoMulticast(t *testing.T) {
	t.Parallel()
	l, ctx := doctorLab(t)
	seg, err := l.AddSegment(ctx, "lan", "10.36.0.0/24")
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := addHosts(ctx, seg, "h", 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := prepare(ctx, hosts...); err != nil {
		t.Fatal(err)
	}
	h1 := hosts[0]
	if err := l.ip(ctx, h1.ns, "link", "set", "dev", "eth0", "multicast", "off"); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if _, err := h.Start(ctx, "up", h.ListenFlags()...); err != nil {
			t.Fatal(err)
		}
	}
	mustFind(t, ctx, h1, func(d Doctor) error {
		if _, ok := d.Finding(doctor.CauseMDNSBlocked); ok {
			return errors.New("it blames a firewall, not the interface")
		}
		return has(doctor.CauseNoMulticast, true, "", "cannot do multicast", "eth0 (10.36.0.10/24", "invite link that names a relay")(d)
	})
}

// TestDoctorClientIsolation: a relay and two clients on a Wi-Fi that
// drops every frame between the clients. c2 reaches c1 only through the
// relay (a --peer at c1's circuit address); the doctor of each probes the
// other directly, fails, and says the network keeps devices apart.
func TestDoctorClientIsolation(t *testing.T) {
	t.Parallel()
	l, ctx := doctorLab(t)
	seg, relayHost, clients := relayWiFi(t, ctx, l, "10.32.0.0/24")
	if err := seg.Isolate(ctx, clients...); err != nil {
		t.Fatal(err)
	}
	if err := prepare(ctx, clients...); err != nil {
		t.Fatal(err)
	}
	c1, c2 := clients[0], clients[1]
	_, relayAddr, err := startRelay(ctx, relayHost)
	if err != nil {
		t.Fatal(err)
	}
	d1, err := c1.Start(ctx, "up", append(c1.ListenFlags(), "--no-mdns", "--relay", relayAddr)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := poll(ctx, pollInterval, func() error { return reserved(ctx, c1) }); err != nil {
		t.Fatal(err)
	}
	circuit := relayAddr + "/p2p-circuit/p2p/" + d1.ID().PeerID
	if _, err := c2.Start(ctx, "up", append(c2.ListenFlags(), "--no-mdns", "--relay", relayAddr, "--peer", circuit)...); err != nil {
		t.Fatal(err)
	}
	if err := c2.WaitPeers(ctx, group, d1.ID().PeerID); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		mustFind(t, ctx, c, has(doctor.CauseClientIsolation, true, doctor.Warning,
			"client isolation", "connected only through a relay", "10.32.0.0/24", "dialled directly on this network failed", "timeout"))
	}
	if err := mustDrop(ctx, seg, "isolation"); err != nil {
		t.Fatal(err)
	}
}

// relayWiFi builds a Wi-Fi segment on subnet with a relay host (.10) and
// two client hosts, c1 and c2; it skips the test when the binary has no
// relay.
func relayWiFi(t *testing.T, ctx context.Context, l *Lab, subnet string) (*Segment, *Host, []*Host) {
	t.Helper()
	if err := RelayAvailable(ctx, l.cfg.Starling); err != nil {
		t.Skipf("SKIP: %v", err)
	}
	seg, err := l.AddSegment(ctx, "wifi", subnet)
	if err != nil {
		t.Fatal(err)
	}
	relayHost, err := seg.AddHost(ctx, "relay")
	if err != nil {
		t.Fatal(err)
	}
	clients, err := addHosts(ctx, seg, "c", 2)
	if err != nil {
		t.Fatal(err)
	}
	return seg, relayHost, clients
}

// reserved says why not, until the host holds a reservation on a relay.
func reserved(ctx context.Context, h *Host) error {
	st, err := status(ctx, h)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(st.Relays, func(r api.Relay) bool { return r.Reserved }) {
		return fmt.Errorf("%s holds no reservation yet: %+v", h.name, st.Relays)
	}
	return nil
}

// status is the host's `status --json`.
func status(ctx context.Context, h *Host) (api.Status, error) {
	c, err := h.api()
	if err != nil {
		return api.Status{}, err
	}
	defer c.Close()
	return c.Status(ctx)
}

// TestDoctorNoRelayReachable: two clients that know only a relay. Its
// process is killed, so c1's dials to it are refused; and the bridge drops
// everything between c2 and the relay's host, so c2's dials time out. Each
// doctor says no relay is reachable, and why in the words that fit.
func TestDoctorNoRelayReachable(t *testing.T) {
	t.Parallel()
	l, ctx := doctorLab(t)
	seg, relayHost, clients := relayWiFi(t, ctx, l, "10.33.0.0/24")
	relay, relayAddr, err := startRelay(ctx, relayHost)
	if err != nil {
		t.Fatal(err)
	}
	relay.Kill()
	if err := seg.Block(ctx, clients[1:], []*Host{relayHost}); err != nil {
		t.Fatal(err)
	}
	if _, err := startClients(ctx, clients, relayAddr); err != nil {
		t.Fatal(err)
	}
	mustFind(t, ctx, clients[0], has(doctor.CauseRelayUnreachable, true, doctor.Problem, "was refused", "10.33.0.10", "whether the relay is running"))
	mustFind(t, ctx, clients[1], has(doctor.CauseRelayUnreachable, true, doctor.Problem, "timed out", "event's Wi-Fi"))
	if err := mustDrop(ctx, seg, "block"); err != nil {
		t.Fatal(err)
	}
}

// TestDoctorClockSkew: three hosts in a mesh of static peers; s runs its
// clock an hour ahead (the hidden --clock-offset). a and b send, and s
// sends. s's doctor says its clock is about an hour ahead of its peers';
// a's, that a peer's clock is ahead, since b's agrees with its own.
func TestDoctorClockSkew(t *testing.T) {
	t.Parallel()
	l, ctx := doctorLab(t)
	_, hosts, err := lanOf(ctx, l, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b, s := hosts[0], hosts[1], hosts[2]
	da, err := a.Start(ctx, "up", append(a.ListenFlags(), "--no-mdns")...)
	if err != nil {
		t.Fatal(err)
	}
	aAddr, err := da.TCPAddr()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Start(ctx, "up", append(b.ListenFlags(), "--no-mdns", "--peer", aAddr)...); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(ctx, "up", append(s.ListenFlags(), "--no-mdns", "--peer", aAddr, "--clock-offset", "1h")...); err != nil {
		t.Fatal(err)
	}
	for _, h := range []*Host{b, s} {
		if err := h.WaitPeers(ctx, group, da.ID().PeerID); err != nil {
			t.Fatal(err)
		}
	}
	// Every host sends, until s has heard a and b live.
	d, err := s.WaitFinding(ctx, func(d Doctor) error {
		for _, h := range hosts {
			if _, err := h.Send(ctx, group, "what time is it at "+h.name); err != nil {
				return err
			}
		}
		return has(doctor.CauseClockSkew, true, doctor.Problem, "about 60 minutes ahead of its peers'", "2 of 2 authors", "do not reach them")(d)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s's doctor: %s", s.name, d)
	mustFind(t, ctx, a, has(doctor.CauseClockSkew, true, "", "dated more than 5 minutes ahead", "the sender's clock is ahead"))
}

// TestDoctorDiskAlmostFull: a host whose home is on a 512 MiB tmpfs, which
// leaves less than twice the store's floor free: the doctor warns that the
// disk is almost full. Filled to below the floor, it says the node refuses
// messages from others; emptied, the warning is back alone.
func TestDoctorDiskAlmostFull(t *testing.T) {
	t.Parallel()
	needLab(t)
	// The mount goes after the lab (cleanups run last first): the daemon
	// must stop before it is unmounted.
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=512m,mode=0700"); err != nil {
		t.Skipf("SKIP: cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	l, ctx := doctorLab(t)
	seg, err := l.AddSegment(ctx, "lan", "10.35.0.0/24")
	if err != nil {
		t.Fatal(err)
	}
	h, err := seg.AddHost(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	// The home is a link to the tmpfs: the lab removes the link, not the
	// mount.
	if err := os.MkdirAll(filepath.Dir(h.Home()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(mnt, h.Home()); err != nil {
		t.Fatal(err)
	}
	if err := prepare(ctx, h); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Start(ctx, "up", append(h.ListenFlags(), "--no-mdns")...); err != nil {
		t.Fatal(err)
	}
	mustFind(t, ctx, h, has(doctor.CauseDiskLow, false, doctor.Warning, "The disk is almost full", "MiB free"))

	st, err := status(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(mnt, &fs); err != nil {
		t.Fatal(err)
	}
	free := int64(fs.Bavail) * fs.Bsize
	// Leave half the room between the two floors: below the floor,
	// above the hard floor.
	target := (st.Store.FloorBytes + st.Store.HardFloorBytes) / 2
	if free <= target {
		t.Fatalf("the tmpfs has %d bytes free, below the store's floor %d before filling", free, st.Store.FloorBytes)
	}
	fill := filepath.Join(mnt, "fill")
	if err := writeZeros(fill, free-target); err != nil {
		t.Fatal(err)
	}
	mustFind(t, ctx, h, has(doctor.CauseDiskFull, true, doctor.Problem, "refuses messages from others", "MiB free"))

	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	mustFind(t, ctx, h, func(d Doctor) error {
		if _, ok := d.Finding(doctor.CauseDiskFull); ok {
			return errors.New("the disk is still full")
		}
		return has(doctor.CauseDiskLow, false, doctor.Warning)(d)
	})
}

// writeZeros writes n zero bytes to a new file at path.
func writeZeros(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := f.Write(buf[:k]); err != nil {
			f.Close()
			return err
		}
		n -= k
	}
	return f.Close()
}
