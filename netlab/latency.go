package netlab

import (
	"context"
	"fmt"
	"time"

	"starling/sim/report"
)

// Spread is how a set of messages reached the hosts: the figures the
// simulator reports for the same scenario (its netlab twin), so the two
// can be compared.
type Spread struct {
	// Delivered counts (message, receiving host) pairs that arrived,
	// Expected the pairs there should be: every host but the author's.
	Delivered, Expected int
	// First is each message's latency to the first host that got it, All
	// to the last (every member), both from its sent_at.
	First, All report.Latency
}

func (s Spread) String() string {
	return fmt.Sprintf("delivered %d of %d; latency to the first host p50 %v p99 %v; to every host p50 %v p99 %v",
		s.Delivered, s.Expected, s.First.P50, s.First.P99, s.All.P50, s.All.P99)
}

// MeasureSpread reads every host's log of group and measures, for the
// messages in ids, when each host stored them (received_at) against when
// they were sent (sent_at, whole milliseconds: each figure may be up to
// 1 ms high). The hosts share this machine's clock, so the difference is
// the real delay, the CLI's and the daemon's processing included.
func MeasureSpread(ctx context.Context, group string, ids []string, hosts ...*Host) (Spread, error) {
	type arrivals struct {
		sent  time.Time
		delay []time.Duration
	}
	byID := map[string]*arrivals{}
	for _, id := range ids {
		byID[id] = &arrivals{}
	}
	for _, h := range hosts {
		msgs, err := h.Log(ctx, group)
		if err != nil {
			return Spread{}, err
		}
		for _, m := range msgs {
			a := byID[m.ID]
			if a == nil || m.Origin == "own" {
				continue
			}
			a.sent = m.SentAt
			a.delay = append(a.delay, m.ReceivedAt.Sub(m.SentAt))
		}
	}
	var s Spread
	var first, all []time.Duration
	for _, a := range byID {
		s.Expected += len(hosts) - 1
		s.Delivered += len(a.delay)
		if len(a.delay) == 0 {
			continue
		}
		lo, hi := a.delay[0], a.delay[0]
		for _, d := range a.delay[1:] {
			lo, hi = min(lo, d), max(hi, d)
		}
		first = append(first, lo)
		if len(a.delay) == len(hosts)-1 {
			all = append(all, hi)
		}
	}
	s.First, s.All = report.Latencies(first), report.Latencies(all)
	return s, nil
}
