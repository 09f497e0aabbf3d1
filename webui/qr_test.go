package webui

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"rsc.io/qr"
)

// The SVG draws exactly the modules of the QR code, inside a quiet zone.
func TestWebQR(t *testing.T) {
	addr, _ := serve(t, testConfig(newFakeAPI()))
	link := "starling://join?g=" + strings.Repeat("ab", 32) + "&o=azecjodjdtcdxza2cawghtuounqi4yim&d=" + strings.Repeat("x", 300)
	resp, body := do(t, "POST", addr, "", "/ui/v1/qr", fmt.Sprintf(`{"text":%q}`, link), bearer(webToken))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("%s %s: %.200s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	code, err := qr.Encode(link, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	size := code.Size + 2*quietZone
	if !strings.Contains(body, fmt.Sprintf(`viewBox="0 0 %d %d"`, size, size)) {
		t.Errorf("the drawing is not %d modules square: %.200s", size, body)
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "<text") || strings.Contains(body, "starling://") {
		t.Error("the drawing holds more than squares")
	}
	dark := make([][]bool, size)
	for i := range dark {
		dark[i] = make([]bool, size)
	}
	runs := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllStringSubmatch(body, -1)
	if len(runs) == 0 {
		t.Fatalf("no runs in the drawing: %.200s", body)
	}
	for _, r := range runs {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		for i := range w {
			dark[y][x+i] = true
		}
	}
	for y := range size {
		for x := range size {
			if want := code.Black(x-quietZone, y-quietZone); dark[y][x] != want {
				t.Fatalf("module (%d,%d) dark=%v, want %v", x, y, dark[y][x], want)
			}
		}
	}

	for name, body := range map[string]string{
		"empty":         `{"text":""}`,
		"too long":      fmt.Sprintf(`{"text":%q}`, strings.Repeat("a", maxQRText+1)),
		"not JSON":      `text`,
		"unknown field": `{"text":"a","size":3}`,
		"too much":      fmt.Sprintf(`{"text":%q}`, strings.Repeat("a", 3000)), // over a QR code's capacity at level M
	} {
		if resp, got := do(t, "POST", addr, "", "/ui/v1/qr", body, bearer(webToken)); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400: %.200s", name, resp.Status, got)
		}
	}
}
