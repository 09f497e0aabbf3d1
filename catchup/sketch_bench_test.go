package catchup

import (
	"context"
	"testing"

	"github.com/libp2p/go-libp2p/core/protocol"

	"starling/message"
)

// BenchmarkSyncProtocols is BenchmarkSync for both protocols: one session
// between a server holding 10,000 messages and a client lacking 1 % of
// them (none for "identical"), over 1.1.0 (Negentropy) and 2.0.0 (riblt
// first). Bytes count frames on the stream; overhead-B/msg is everything
// on the wire but the missing envelopes, per missing message:
//
//	go test -run '^$' -bench SyncProtocols -benchtime 5x ./catchup/
func BenchmarkSyncProtocols(b *testing.B) {
	const total = 10000
	all := pool(b, "spread", total, spread)
	for _, proto := range []protocol.ID{ProtocolID, ProtocolID2} {
		for _, layout := range []struct {
			name    string
			missing func(i int) bool
		}{
			{"identical", func(int) bool { return false }},
			{"contiguous", func(i int) bool { return i >= total-total/100 }},
			{"scattered", func(i int) bool { return i%100 == 37 }},
		} {
			b.Run(string(proto)+"/"+layout.name, func(b *testing.B) {
				var present []*message.Message
				env := 0
				for i, m := range all {
					if layout.missing(i) {
						env += len(m.Raw)
					} else {
						present = append(present, m)
					}
				}
				missing := total - len(present)
				clientStore := openStore(b)
				putAll(b, clientStore, present...)
				client := newNode(b, Config{Store: discardPuts{clientStore}}, poolGroup)
				client.svc.sketch.offer = []protocol.ID{proto}
				server := newNode(b, Config{}, poolGroup)
				server.put(b, all...)
				connect(b, client.h, server.h)

				var res Result
				for b.Loop() {
					var err error
					if res, err = client.svc.Sync(context.Background(), server.h.ID(), poolGroup); err != nil {
						b.Fatal(err)
					}
				}
				if res.Fetched != missing || res.Protocol != string(proto) {
					b.Fatalf("fetched %d over %s, want %d over %s", res.Fetched, res.Protocol, missing, proto)
				}
				b.ReportMetric(float64(res.BytesSent), "sent-B/op")
				b.ReportMetric(float64(res.BytesReceived), "recv-B/op")
				b.ReportMetric(float64(res.Rounds), "rounds/op")
				b.ReportMetric(float64(res.Batches), "batches/op")
				if missing > 0 {
					b.ReportMetric(float64(res.BytesSent+res.BytesReceived-int64(env))/float64(missing), "overhead-B/msg")
				}
			})
		}
	}
}
