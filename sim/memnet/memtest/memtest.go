// Package memtest runs a test on virtual time: inside a testing/synctest
// bubble, with an in-memory network of its own (memnet.Network) that the
// test's helpers find from its *testing.T. Time in the bubble moves only
// when every goroutine in it waits, so a test's waits and its hosts' timers
// cost no real time, and a busy machine slows the test down without
// changing what happens in it: no deadline passes because the hosts got too
// little CPU.
//
// Inside a bubble: no real sockets and no real time (time.Now and timers
// are the bubble's, whose clock starts at midnight UTC on 2000-01-01, so
// make dated data inside it), no t.Run or t.Parallel (call t.Parallel
// before Run), and every goroutine the test starts ends before it returns:
// synctest fails the test otherwise, and a goroutine blocked for good on
// something outside the bubble hangs it.
package memtest

import (
	"sync"
	"testing"
	"testing/synctest"

	"github.com/libp2p/go-libp2p"

	"starling/sim/memnet"
)

var nets sync.Map // testing.TB -> *memnet.Network

// Run runs f in a synctest bubble with a fresh memnet.Network, of default
// latency and bandwidth, that Net returns for f's t. The network closes
// after f's cleanups, which close its hosts, have run.
func Run(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		n := memnet.NewNetwork(memnet.DefaultLatency, memnet.DefaultBandwidth)
		nets.Store(testing.TB(t), n)
		t.Cleanup(func() {
			nets.Delete(testing.TB(t))
			n.Close()
		})
		f(t)
	})
}

// Net returns the network of a test that Run runs, or nil for a test on
// real sockets: helpers that start hosts ask it which to use.
func Net(t testing.TB) *memnet.Network {
	if n, ok := nets.Load(t); ok {
		return n.(*memnet.Network)
	}
	return nil
}

// HostOptions are the libp2p options of a host listening on ip: on t's
// network if Run runs t, else TCP on ip, which must be in 127.0.0.0/8. So a
// helper that starts hosts serves tests on both.
func HostOptions(t testing.TB, ip string) []libp2p.Option {
	if n := Net(t); n != nil {
		return n.Host(ip)
	}
	return []libp2p.Option{libp2p.ListenAddrStrings("/ip4/" + ip + "/tcp/0")}
}
