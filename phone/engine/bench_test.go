package engine

import (
	"fmt"
	"testing"
	"time"

	"starling/group"
	"starling/identity"
	"starling/message"
)

// BenchmarkReceive is the cost of one gossiped text: decode, verify, judge,
// apply, record and view. Run it in WebAssembly too:
//
//	GOOS=js GOARCH=wasm go test -exec "$(go env GOROOT)/lib/wasm/go_js_wasm_exec" -run X -bench Receive ./phone/engine
func BenchmarkReceive(b *testing.B) {
	lobby, _, err := group.OpenChannelID("lobby")
	if err != nil {
		b.Fatal(err)
	}
	u, err := identity.NewUser("author")
	if err != nil {
		b.Fatal(err)
	}
	const n = 512
	raws := make([][]byte, n)
	now := time.Now()
	for i := range raws {
		payload, _ := group.EncodePayload(group.Text{Text: fmt.Sprintf("message %d, about as long as a chat line usually is", i), Nick: "author"})
		m, err := message.Sign(u.PrivateKey(), message.Body{Version: message.Version, Group: lobby, Author: u.PublicKey(),
			SentAtMS: message.TimeMS(now.Add(-time.Duration(n-i) * time.Millisecond)), Kind: message.KindText, Payload: payload})
		if err != nil {
			b.Fatal(err)
		}
		raws[i] = m.Raw
	}
	topic := group.Topic(lobby)
	var e *Engine
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%n == 0 {
			b.StopTimer()
			e = New(nil)
			e.CreateIdentity("pat")
			e.JoinChannel("lobby")
			b.StartTimer()
		}
		if r := e.Receive(raws[i%n], topic); r.Verdict != "accept" {
			b.Fatalf("%+v", r)
		}
	}
}
