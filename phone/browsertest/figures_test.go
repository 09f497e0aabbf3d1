package browsertest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"

	"starling/group"
	"starling/internal/headless"
	"starling/internal/testwait"
)

// figures are the closing note's numbers (issue 16).
type figures struct {
	// Gzipped sizes (gzip -9) of what a first visit downloads, bytes.
	Gzip map[string]int `json:"gzip_bytes"`
	// GzipTotal is their sum.
	GzipTotal int `json:"gzip_total_bytes"`
	// Throttle is the CPU slowdown of the timing run (Chromium's
	// Emulation.setCPUThrottlingRate).
	Throttle float64 `json:"cpu_throttle"`
	// FirstMessageMS is from opening the invite link (navigation start) to
	// the first message shown, on a first visit, the name typed at once;
	// NameMS of it is the page waiting for the name (the test types it as
	// soon as the dialog opens); EngineMS is when the engine was running.
	FirstMessageMS float64 `json:"link_to_first_message_ms"`
	NameMS         float64 `json:"waiting_for_name_ms"`
	EngineMS       float64 `json:"engine_running_ms"`
	// Memory after the history and the throughput run: the JS heap in
	// use (CDP Performance.getMetrics JSHeapUsedSize) and the engine's
	// WebAssembly linear memory.
	JSHeapBytes   float64 `json:"js_heap_used_bytes"`
	WasmMemBytes  float64 `json:"wasm_memory_bytes"`
	Messages      int     `json:"throughput_messages"`
	Authors       int     `json:"throughput_authors"`
	MsgsPerSecond float64 `json:"incoming_verified_stored_per_second"`
	// ThroughputMS is the run's length; EngineReceiveMS of it went to the
	// engine's receive (verification and group rules in WebAssembly).
	ThroughputMS    float64 `json:"throughput_ms"`
	EngineReceiveMS float64 `json:"engine_receive_ms"`
	Rejected        int     `json:"rejected"`
	Ignored         int     `json:"ignored"`
}

func gzipSize(t *testing.T, path string) int {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write(raw)
	w.Close()
	return b.Len()
}

// TestPhoneFigures measures the page: its gzipped size, the time from
// opening an invite link to the first message shown with the CPU
// throttled 4x (a stand-in for a mid-range phone), its memory, and how
// many incoming messages a second it verifies and stores (unthrottled).
// It writes them to phone-figures.json in the artifacts. It runs only with
// STARLING_PHONE_FIGURES=1 (a minute or two on 2 cores):
//
//	STARLING_PHONE_FIGURES=1 go test -count=1 -run TestPhoneFigures -v ./phone/browsertest
func TestPhoneFigures(t *testing.T) {
	if os.Getenv("STARLING_PHONE_FIGURES") != "1" {
		t.Skip("set STARLING_PHONE_FIGURES=1 to measure the phone page's figures")
	}
	requireEngine(t)
	f := figures{Gzip: map[string]int{}, Throttle: 4}
	for _, name := range []string{"index.html", "app.css", "app.js", "wasm_exec.js", "starling.wasm"} {
		n := gzipSize(t, filepath.Join(assetsDir(t), name))
		f.Gzip[name] = n
		f.GzipTotal += n
	}

	browser := newBrowser(t)
	e := newEvent(t, "party", "open")
	for i := range 20 {
		e.laptop.send("party", fmt.Sprintf("history %d", i))
	}
	e.relay.waitHistory("party", "history 19")

	// Link to first message, CPU throttled.
	p := newPhone(t, browser, "phone")
	if _, err := chromedp.Call(p.ctx, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: f.Throttle}); err != nil {
		t.Fatal(err)
	}
	p.start(e.relay.pageWithInvite(e.link), "fiona")
	p.waitText("history 19")
	p.waitJS("the first message is shown", `__phone.stats.firstShownAt > 0`)
	f.FirstMessageMS = mustEval[float64](p, `__phone.stats.firstShownAt`)
	f.NameMS = mustEval[float64](p, `__phone.stats.nameGivenAt - __phone.stats.nameAskedAt`)
	f.EngineMS = mustEval[float64](p, `__phone.stats.engineAt`)
	if _, err := chromedp.Call(p.ctx, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: 1}); err != nil {
		t.Fatal(err)
	}

	// Incoming throughput: a Go peer the phone adds publishes valid
	// messages in the open channel "lobby" by many authors, at most
	// window ahead of what the page has stored.
	const n, authors, window = 2000, 100, 1000
	gid, _, err := group.OpenChannelID("lobby")
	if err != nil {
		t.Fatal(err)
	}
	topic := group.Topic(gid)
	pub := startHostile(t, topic)
	mustEval[any](p, `__phone.joinChannel("lobby").then(() => null)`)
	mustEval[any](p, `__phone.addRelay(`+jsString(pub.addr())+`).then(() => null)`)
	waitFor(t, "the phone is on the publisher's topic", func() bool { return len(pub.topic.ListPeers()) > 0 })
	p.waitJS("the publisher is in the phone's mesh", `__phone.net.meshPeers(`+jsString(topic)+`).includes(`+jsString(pub.host.ID().String())+`)`)
	keys := make([]ed25519.PrivateKey, authors)
	for i := range keys {
		if _, keys[i], err = ed25519.GenerateKey(rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = signText(t, keys[i%authors], gid, fmt.Sprintf("load %d", i)).Raw
	}
	stored0 := mustEval[int](p, `__phone.stats.stored`)
	engineMS0 := mustEval[float64](p, `__phone.stats.engineMS`)
	storedNow := func() int { return mustEval[int](p, `__phone.stats.stored`) - stored0 }
	ctx := context.Background()
	started := time.Now()
	sent := 0
	testwait.UntilNil(t, 5*time.Minute, fmt.Sprintf("the phone stores %d messages", n), func() error {
		got := storedNow()
		for sent < n && sent-got < window {
			if err := pub.topic.Publish(ctx, msgs[sent]); err != nil {
				return err
			}
			sent++
		}
		if got < n {
			return fmt.Errorf("sent %d, stored %d", sent, got)
		}
		return nil
	})
	elapsed := time.Since(started)
	f.Messages, f.Authors = n, authors
	f.MsgsPerSecond = float64(n) / elapsed.Seconds()
	f.Rejected = mustEval[int](p, `__phone.stats.rejected`)
	f.Ignored = mustEval[int](p, `__phone.stats.ignored`)
	f.EngineReceiveMS = mustEval[float64](p, `__phone.stats.engineMS`) - engineMS0
	f.ThroughputMS = float64(elapsed.Milliseconds())

	if _, err := chromedp.Call(p.ctx, performance.Enable, performance.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	m, err := chromedp.Call(p.ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range m.Metrics {
		if x.Name == "JSHeapUsedSize" {
			f.JSHeapBytes = x.Value
		}
	}
	f.WasmMemBytes = mustEval[float64](p, `__go.mem.buffer.byteLength`)

	out, _ := json.MarshalIndent(f, "", "  ")
	path := filepath.Join(headless.ArtifactDir(t, "phone"), "phone-figures.json")
	if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("figures (%s):\n%s", path, out)
	if f.Rejected != 0 {
		t.Errorf("the page rejected %d valid messages", f.Rejected)
	}
	if f.FirstMessageMS <= 0 || f.MsgsPerSecond <= 0 || f.JSHeapBytes <= 0 {
		t.Errorf("a figure is missing: %+v", f)
	}
}
