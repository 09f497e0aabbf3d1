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
	// to the last (every member), both from when its author stored it.
	First, All report.Latency
}

func (s Spread) String() string {
	return fmt.Sprintf("delivered %d of %d; latency to the first host p50 %v p99 %v; to every host p50 %v p99 %v",
		s.Delivered, s.Expected, s.First.P50, s.First.P99, s.All.P50, s.All.P99)
}

// MeasureSpread reads every host's log of group and measures, for the
// messages in ids, when each host stored them (received_at) against when
// their author's daemon stored its own copy, after signing and before its
// synced write and the publish. sent_at would do, but it holds whole
// milliseconds, which would add half a millisecond on average. The hosts
// share this machine's clock, so the difference is the real delay.
func MeasureSpread(ctx context.Context, group string, ids []string, hosts ...*Host) (Spread, error) {
	type arrivals struct {
		sent time.Time   // the author's own copy stored
		got  []time.Time // at the other hosts
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
			switch {
			case a == nil:
			case m.Origin == "own":
				a.sent = m.ReceivedAt
			default:
				a.got = append(a.got, m.ReceivedAt)
			}
		}
	}
	var s Spread
	var first, all []time.Duration
	for id, a := range byID {
		s.Expected += len(hosts) - 1
		s.Delivered += len(a.got)
		if len(a.got) == 0 {
			continue
		}
		if a.sent.IsZero() {
			return Spread{}, fmt.Errorf("message %s: no host holds it as its own", id)
		}
		lo, hi := a.got[0].Sub(a.sent), a.got[0].Sub(a.sent)
		for _, at := range a.got[1:] {
			lo, hi = min(lo, at.Sub(a.sent)), max(hi, at.Sub(a.sent))
		}
		first = append(first, lo)
		if len(a.got) == len(hosts)-1 {
			all = append(all, hi)
		}
	}
	s.First, s.All = report.Latencies(first), report.Latencies(all)
	return s, nil
}
