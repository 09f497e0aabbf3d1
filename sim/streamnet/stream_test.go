package streamnet

import (
	"context"
	"io"
	"testing"
	"testing/synctest"
	"time"
)

// jittery returns latencies that make later frames overtake earlier ones
// unless something keeps them in order.
func jittery() func() time.Duration {
	var k int64
	return func() time.Duration {
		k++
		return time.Duration(k*7919%20) * time.Millisecond
	}
}

func TestDataAfterCloseReadKeepsOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPair(t, Config{BaseLatency: 5 * time.Millisecond, Latency: jittery()}, 0)
		s, _ := p.ab.OpenStream(context.Background())
		s.Write([]byte{0})
		r, err := p.ba.AcceptStream()
		if err != nil {
			t.Fatal(err)
		}
		// b writes back, stops reading half-way, and writes on: its
		// bytes arrive in order all the same.
		for i := range 100 {
			if i == 50 {
				r.CloseRead()
			}
			r.Write([]byte{byte(i)})
		}
		r.CloseWrite()
		got, err := io.ReadAll(s)
		if err != nil || len(got) != 100 {
			t.Fatalf("read %d bytes: %v", len(got), err)
		}
		for i, b := range got {
			if b != byte(i) {
				t.Fatalf("byte %d is %d: bytes sent after a CloseRead overtook earlier ones", i, b)
			}
		}
	})
}
