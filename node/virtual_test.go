package node_test

import (
	"flag"
	"slices"
	"testing"

	"starling/sim/memnet/memtest"
)

// virtual runs f on virtual time (package memtest): in a testing/synctest
// bubble with an in-memory network of its own, on which every node and
// bare host the harness starts for f's t listens, with QUIC, instead of on
// 127.0.0.1. A wait of 30 s there costs the CPU the nodes need and no more,
// and no wait ends early because the machine is busy. The nodes' clock
// (node.Config.Clock defaults to time.Now) is the bubble's, which starts
// in 2000: make dated messages inside f. Call t.Parallel before virtual,
// and t.Run nowhere inside it.
func virtual(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	memtest.Run(t, f)
}

// loopback runs f on real sockets (TCP on 127.0.0.1) and real time, as
// every test not run by virtual does: for a test to say so beside the
// virtual ones.
func loopback(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	f(t)
}

// virtualUnless runs f on virtual time unless one of the named flags is set
// on the command line: the flags that make a test measure, whose figures
// should include the CPU that real nodes and attackers take on real time.
func virtualUnless(t *testing.T, f func(t *testing.T), flags ...string) {
	t.Helper()
	measuring := false
	flag.Visit(func(fl *flag.Flag) { measuring = measuring || slices.Contains(flags, fl.Name) })
	if measuring {
		loopback(t, f)
		return
	}
	virtual(t, f)
}
