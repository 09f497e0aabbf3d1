package catchup

import (
	"context"
	"testing"

	"starling/message"
	"starling/store"
)

// discardPuts is a store whose Put keeps nothing, so every iteration of a
// benchmark finds the same messages missing.
type discardPuts struct{ *store.Store }

func (discardPuts) Put(context.Context, *message.Message, store.Origin) (bool, error) {
	return true, nil
}

// BenchmarkSync measures one session between a server holding 10,000
// messages and a client lacking 1 % of them (none for "identical"), with
// default settings. Validation runs in full; the client's store writes are
// left out. Bytes count frames on the stream in each direction.
func BenchmarkSync(b *testing.B) {
	const total = 10000
	all := pool(b, "spread", total, spread)
	for _, bc := range []struct {
		name    string
		missing func(i int) bool
	}{
		{"identical", func(int) bool { return false }},
		{"contiguous", func(i int) bool { return i >= total-total/100 }},
		{"scattered", func(i int) bool { return i%100 == 37 }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var present []*message.Message
			for i, m := range all {
				if !bc.missing(i) {
					present = append(present, m)
				}
			}
			missing := total - len(present)
			clientStore := openStore(b)
			putAll(b, clientStore, present...)
			client := newNode(b, Config{Store: discardPuts{clientStore}}, poolGroup)
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
			if res.Fetched != missing {
				b.Fatalf("fetched %d, want %d", res.Fetched, missing)
			}
			b.ReportMetric(float64(res.BytesSent), "sent-B/op")
			b.ReportMetric(float64(res.BytesReceived), "recv-B/op")
			b.ReportMetric(float64(res.Rounds), "rounds/op")
			b.ReportMetric(float64(res.Batches), "batches/op")
			if missing > 0 {
				// Protocol overhead per missing message: everything on the
				// wire except the envelopes themselves.
				env := 0
				for i, m := range all {
					if bc.missing(i) {
						env += len(m.Raw)
					}
				}
				b.ReportMetric(float64(res.BytesSent+res.BytesReceived-int64(env))/float64(missing), "overhead-B/msg")
			}
		})
	}
}
