package node_test

import (
	"fmt"
	"testing"
	"time"
)

// quietInterval is the periodic catch-up interval of the quiet test: short,
// so that many rounds pass while the test waits.
const quietInterval = 50 * time.Millisecond

// Two nodes with nothing new to say start no catch-up session: once a
// session found them in step, their periodic rounds pass, for longer than
// the gap that would let a session with the same peer run again, without
// a session. A message sent moves their summaries, and a round reconciles
// again (moving nothing, gossip delivered it), after which they are quiet
// again.
func TestQuietGroupStartsNoRounds(t *testing.T) {
	t.Parallel()
	nodes := startNodes(t, 2, withSyncInterval(quietInterval))
	connect(t, nodes[0], nodes[1])
	for _, n := range nodes {
		n.join(t, "lobby")
	}
	waitTopicPeers(t, "lobby", nodes...)
	lobby := groupID(t, "lobby")

	// quiet waits until both nodes have skipped the rounds of 3 s: both
	// found the other in step, and the session a join starts after 2 s
	// has run. It returns their rounds and last sessions' starts.
	type state struct {
		rounds uint64
		last   time.Time
	}
	now := func() []state {
		var out []state
		for _, n := range nodes {
			r, _ := n.PeriodicRounds()
			res, _ := n.LastSync(lobby)
			out = append(out, state{r, res.Started})
		}
		return out
	}
	quiet := func(what string) []state {
		t.Helper()
		base := make([]uint64, len(nodes))
		for i, n := range nodes {
			_, base[i] = n.PeriodicRounds()
		}
		waitUntil(t, what, func() bool {
			for i, n := range nodes {
				if _, s := n.PeriodicRounds(); s < base[i]+uint64(3*time.Second/quietInterval) {
					return false
				}
			}
			return true
		})
		return now()
	}

	before := quiet("both nodes skip rounds once a session found them in step")
	// 15 s of rounds: past minSyncGap (10 s), after which a session with
	// the same peer would run again.
	const idleRounds = uint64(15 * time.Second / quietInterval)
	waitUntil(t, fmt.Sprintf("%d periodic rounds pass", idleRounds), func() bool {
		for i, s := range now() {
			if s.rounds < before[i].rounds+idleRounds {
				return false
			}
		}
		return true
	})
	for i, s := range now() {
		if !s.last.Equal(before[i].last) {
			t.Fatalf("%s started a catch-up session while both were idle (last session started %s, then %s)",
				nodes[i].name, before[i].last, s.last)
		}
	}

	m := nodes[0].send(t, "lobby", "news")
	waitUntil(t, "node1 holds node0's message", func() bool { return nodes[1].has(m) })
	waitUntil(t, "a session runs after the summaries moved", func() bool {
		for i, s := range now() {
			if s.last.After(before[i].last) {
				return true
			}
		}
		return false
	})
	quiet("both nodes are quiet again")
}
