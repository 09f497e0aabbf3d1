package node_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"starling/message"
)

// Six nodes, two channels. node0 and node1 are in both, node2 and node3
// only in lobby, node4 and node5 only in talks; several nodes post in each,
// all at once. Every node ends with every message of its channels, byte for
// byte, and nothing of the other. In the star, node0 is the hub, so every
// message between leaves is relayed once; in the line, node2 - node3 -
// node0 - node1 - node4 - node5, each channel's members are a stretch of the
// line and messages travel up to three hops.
func TestMultiNodeTwoChannels(t *testing.T) {
	shapes := []struct {
		name    string
		connect func(testing.TB, []*testNode)
		run     func(*testing.T, func(*testing.T))
	}{
		{"star", connectStar, virtual},
		{"full", connectFull, virtual},
		{"line", func(t testing.TB, n []*testNode) {
			connectLine(t, []*testNode{n[2], n[3], n[0], n[1], n[4], n[5]})
		}, virtual},
		// The same nodes on 127.0.0.1 and real time. Full, because there
		// every message travels one hop: a message relayed further can
		// lose a race on a busy machine (a node that caught the message up
		// from its author just before the gossip copy came does not relay
		// it) and then arrives only at the next periodic catch-up.
		{"full on loopback", connectFull, loopback},
	}
	channels := [][]string{
		{"lobby", "talks"}, {"lobby", "talks"},
		{"lobby"}, {"lobby"},
		{"talks"}, {"talks"},
	}
	// Who posts where; each posts perMember messages.
	posts := map[string][]int{"lobby": {0, 1, 2, 3}, "talks": {0, 1, 4, 5}}
	const perMember = 3

	for _, shape := range shapes {
		t.Run(shape.name, func(t *testing.T) {
			t.Parallel()
			shape.run(t, func(t *testing.T) {
				nodes := startNodes(t, len(channels))
				shape.connect(t, nodes)
				for i, n := range nodes {
					n.join(t, channels[i]...)
				}
				waitMesh(t, "lobby", nodes...)
				waitMesh(t, "talks", nodes...)

				var (
					mu   sync.Mutex
					sent = map[string][]*message.Message{}
					wg   sync.WaitGroup
				)
				for channel, members := range posts {
					for _, i := range members {
						wg.Go(func() {
							for k := range perMember {
								text := fmt.Sprintf("%s in #%s, number %d", nodes[i].name, channel, k)
								m, peers, err := nodes[i].Send(context.Background(), channel, text)
								if err != nil || peers == 0 {
									t.Errorf("%s: send to %s: %d peers, %v", nodes[i].name, channel, peers, err)
									return
								}
								mu.Lock()
								sent[channel] = append(sent[channel], m)
								mu.Unlock()
							}
						})
					}
				}
				wg.Wait()
				if t.Failed() {
					t.FailNow()
				}
				requireConverged(t, nodes, sent)
			})
		})
	}
}
