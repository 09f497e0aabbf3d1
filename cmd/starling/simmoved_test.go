package main

import "testing"

// `starling sim` says where the simulator went, whatever follows it: the
// messenger no longer links the simulator (see deps).
func TestSimMoved(t *testing.T) {
	h := newHome(t)
	for _, args := range [][]string{
		{"sim", "lan-small"},
		{"sim", "--help"},
		{"sim", "conference-hall", "--seed", "3", "--out", "x"},
	} {
		checkOneLineError(t, h.run(args...), 2, "`starling-sim SCENARIO`")
	}
}
