package gossip

import (
	"context"
	"slices"
	"testing"
	"time"

	"starling/internal/testwait"
	"starling/message"
)

// benchPair returns two connected loopback nodes in one group, the sender's
// mesh formed, and the messages to send, signed before the clock starts.
func benchPair(b *testing.B, deliver func(Received)) (sender *node, msgs []*message.Message) {
	b.Helper()
	gid := groupID(b, "bench")
	key := newKey(b)
	sender = newNode(b, Config{}, funcs{})
	receiver := newNode(b, Config{}, funcs{deliver: deliver})
	connect(b, sender.h, receiver.h)
	sender.join(b, gid)
	receiver.join(b, gid)
	sender.waitMesh(b, gid, receiver.h.ID())

	start := message.TimeMS(time.Now())
	msgs = make([]*message.Message, b.N)
	for i := range msgs {
		msgs[i] = textMsg(b, key, gid, "a chat message of a typical length, about sixty bytes long",
			func(body *message.Body) { body.SentAtMS = start + uint64(i) })
	}
	return sender, msgs
}

// BenchmarkLatency publishes one message at a time and waits for its
// delivery on the other host: ns/op is the publish-to-deliver latency.
func BenchmarkLatency(b *testing.B) {
	delivered := make(chan struct{}, 1)
	sender, msgs := benchPair(b, func(Received) { delivered <- struct{}{} })
	lat := make([]time.Duration, 0, b.N)
	ctx := context.Background()
	b.ResetTimer()
	for _, m := range msgs {
		t0 := time.Now()
		if _, err := sender.g.Publish(ctx, m); err != nil {
			b.Fatal(err)
		}
		select {
		case <-delivered:
		case <-time.After(waitTimeout):
			b.Fatalf("message not delivered within %s; sender stats %+v", waitTimeout, sender.g.Stats())
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkThroughput keeps up to window messages in flight from one host to
// the other.
func BenchmarkThroughput(b *testing.B) {
	const window = 256
	inFlight := make(chan struct{}, window)
	sender, msgs := benchPair(b, func(Received) { <-inFlight })
	ctx := context.Background()
	b.ResetTimer()
	for _, m := range msgs {
		select {
		case inFlight <- struct{}{}:
		case <-time.After(waitTimeout):
			b.Fatalf("window stuck for %s (a message was dropped); sender stats %+v", waitTimeout, sender.g.Stats())
		}
		if _, err := sender.g.Publish(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	testwait.Until(b, waitTimeout, "the last messages", func() bool { return len(inFlight) == 0 })
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
