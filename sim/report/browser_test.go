package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// Issue 18: the timeline table was cut off behind a scroll bar, its
// sentences on one line each. Laid out by Chromium at a laptop's and a
// phone's width, no table of sentences is wider than its column.
func TestHTMLTablesFitThePage(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SKIP: this test drives Debian's Chromium; this is not Linux")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("SKIP: %s is missing (apt-get install -y chromium): %v", chromiumPath, err)
	}
	r := sampleReport()
	long := "attendees hold 14.5 peers on average; 2 of their 464 connections run through relay circuits; their mean GossipSub mesh in lobby has 7.5 peers, and this sentence goes on well past the width of any screen"
	r.Runs[0].Events = append(r.Runs[0].Events, Event{At: r.SimDuration, Kind: "health", Detail: long})
	r.Runs[0].Convergence = append(r.Runs[0].Convergence, Convergence{Event: long, At: time.Minute, Took: time.Second, Converged: true})
	var page bytes.Buffer
	if err := WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, page.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-proxy-server", true))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()

	// Each table's scroll box, and how far its content overflows it.
	const overflow = `Array.from(document.querySelectorAll('.scroll'))
		.filter(e => e.id === 'timeline' || e.textContent.includes('this sentence goes on'))
		.map(e => e.scrollWidth - e.clientWidth)`
	for _, width := range []int64{1280, 420} {
		if _, err := chromedp.Run(tab, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(tab, chromedp.Navigate("file://"+file)); err != nil {
			t.Fatal(err)
		}
		over, err := chromedp.Run(tab, chromedp.Evaluate[[]int](overflow))
		if err != nil {
			t.Fatal(err)
		}
		if len(over) != 2 {
			t.Fatalf("%d px wide: found %d tables of sentences (the timeline and convergence), want 2", width, len(over))
		}
		for _, o := range over {
			if o > 0 {
				t.Errorf("%d px wide: a table of sentences overflows its column by %d px: %s", width, o,
					strings.Join([]string{"see", file}, " "))
			}
		}
	}
}
