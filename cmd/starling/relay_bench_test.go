package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"starling/identity"
	"starling/internal/testwait"
	"starling/node"
	"starling/store"
)

// BenchmarkRelay200Clients measures an organiser relay's memory while it
// carries 200 attendees: a `starling relay` process on 127.0.0.1 carrying
// the channel "hall", and 200 in-process attendee nodes that each reserve a
// slot on it, join the channel and send one message. It reports the relay
// process's resident memory (rss_MiB) and peak (hwm_MiB) once it holds all
// 200 reservations and every message. One iteration takes about a minute:
//
//	go test ./cmd/starling -run '^$' -bench Relay200 -benchtime 1x
func BenchmarkRelay200Clients(b *testing.B) {
	const clients = 200
	for range b.N {
		rss, hwm := relayUnderLoad(b, clients)
		b.ReportMetric(float64(rss)/(1<<20), "rss_MiB")
		b.ReportMetric(float64(hwm)/(1<<20), "hwm_MiB")
		b.ReportMetric(float64(rss)/clients/(1<<10), "rss_KiB/client")
	}
}

func relayUnderLoad(b *testing.B, clients int) (rss, hwm int64) {
	dir := b.TempDir()
	run := func(args ...string) string {
		cmd := newBenchCmd(dir, args...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("starling %q: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("init", "--name", "relay")
	relay := newBenchCmd(dir, "relay", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0", "--group", "hall", "--log-level", "warn")
	if err := relay.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		relay.Process.Kill()
		relay.Wait()
	}()
	var addr ma.Multiaddr
	var info *peer.AddrInfo
	if err := testwait.Poll(30*time.Second, func() error {
		out := newBenchCmd(dir, "id", "--json")
		o, err := out.Output()
		if err != nil {
			return err
		}
		i := strings.Index(string(o), "/ip4/127.0.0.1/tcp/")
		if i < 0 {
			return fmt.Errorf("no address in %s", o)
		}
		s := string(o)[i:]
		s = s[:strings.IndexByte(s, '"')]
		addr = ma.StringCast(s)
		info, err = peer.AddrInfoFromP2pAddr(addr)
		return err
	}); err != nil {
		b.Fatalf("relay: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	nodes := make([]*node.Node, clients)
	for i := range nodes {
		user, err := identity.NewUser(fmt.Sprintf("attendee%d", i))
		if err != nil {
			b.Fatal(err)
		}
		key, _, err := crypto.GenerateEd25519Key(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		n, err := node.New(node.Config{
			User: user, TransportKey: key,
			ListenAddrs:       []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")},
			Relays:            []peer.AddrInfo{*info},
			DisableKnownPeers: true,
			StoreMemTableSize: store.MinMemTableSize,
			SyncInterval:      time.Hour,
		})
		if err != nil {
			b.Fatal(err)
		}
		nodes[i] = n
		wg.Add(1)
		go func() { defer wg.Done(); n.Run(ctx) }()
		if _, err := n.Join(ctx, "hall"); err != nil {
			b.Fatal(err)
		}
	}
	if err := testwait.Poll(90*time.Second, func() error {
		for i, n := range nodes {
			if st := n.Relays(); len(st) != 1 || !st[0].Reserved {
				return fmt.Errorf("attendee %d holds no reservation", i)
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	for i, n := range nodes {
		if _, _, err := n.Send(ctx, "hall", fmt.Sprintf("hello from attendee %d", i)); err != nil {
			b.Fatalf("attendee %d: %v", i, err)
		}
	}
	if err := testwait.Poll(90*time.Second, func() error {
		o, err := newBenchCmd(dir, "log", "hall", "--json", "--limit", strconv.Itoa(2*clients)).Output()
		if err != nil {
			return err
		}
		if got := strings.Count(string(o), "\n"); got < clients {
			return fmt.Errorf("the relay holds %d of %d messages", got, clients)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	return procMemory(b, relay.Process.Pid)
}

func newBenchCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(starlingBin, append([]string{"--home", dir}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// procMemory reads VmRSS and VmHWM of a process, in bytes.
func procMemory(b *testing.B, pid int) (rss, hwm int64) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			hwm = kb << 10
		}
	}
	return rss, hwm
}
