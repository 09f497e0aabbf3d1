package phone

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"rsc.io/qr"
)

func get(t *testing.T, h http.Handler, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) []byte {
	t.Helper()
	rd := r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		rd = zr
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHandler: the page, the engine (compressed for browsers that take
// gzip, as application/wasm), node.json, ETags, and what is not served.
func TestHandler(t *testing.T) {
	info := NodeInfo{Fingerprint: "abcd", Name: "relay", PeerID: "12D3Koo", Addrs: []string{"/ip4/10.0.0.1/tcp/8080/ws/p2p/12D3Koo"}}
	h := Handler(Config{Node: func() NodeInfo { return info }})
	r := get(t, h, "/")
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || r.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("/: %d %v", r.StatusCode, r.Header)
	}
	if page := body(t, r); !bytes.Contains(page, []byte("<html")) && !bytes.Contains(page, []byte("<title>Starling")) {
		t.Fatalf("/ is not the page: %.200s", page)
	}
	wasm, err := Assets().(interface{ ReadFile(string) ([]byte, error) }).ReadFile("starling.wasm")
	if err != nil {
		t.Fatalf("no embedded engine: %v", err)
	}
	r = get(t, h, "/starling.wasm", "Accept-Encoding", "gzip, deflate, br")
	n, _ := strconv.Atoi(r.Header.Get("Content-Length"))
	if r.Header.Get("Content-Type") != "application/wasm" || r.Header.Get("Content-Encoding") != "gzip" || n >= len(wasm)/2 {
		t.Fatalf("/starling.wasm: %v (%d bytes of %d)", r.Header, n, len(wasm))
	}
	if got := body(t, r); !bytes.Equal(got, wasm) {
		t.Fatal("/starling.wasm does not decompress to the engine")
	}
	etag := r.Header.Get("ETag")
	if r := get(t, h, "/starling.wasm", "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation: %d", r.StatusCode)
	}
	if r := get(t, h, "/starling.wasm"); r.Header.Get("Content-Encoding") != "" || len(body(t, r)) != len(wasm) {
		t.Fatal("a browser that takes no gzip gets it compressed")
	}
	r = get(t, h, "/node.json")
	var got NodeInfo
	if err := json.Unmarshal(body(t, r), &got); err != nil || got.Fingerprint != "abcd" || got.TLS || len(got.Addrs) != 1 {
		t.Fatalf("/node.json: %+v, %v", got, err)
	}
	for _, p := range []string{"/nope", "/../handler.go", "/starling.wasm.go-version", "/sw.js", "/poster.png"} {
		if r := get(t, h, p); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, r.StatusCode)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", rec.Code)
	}
}

// TestServiceWorker: over TLS, /sw.js lists every asset and names its cache
// after their ETags.
func TestServiceWorker(t *testing.T) {
	h := Handler(Config{TLS: true, Node: func() NodeInfo { return NodeInfo{} }})
	r := get(t, h, "/sw.js")
	src := string(body(t, r))
	if r.StatusCode != 200 || r.Header.Get("Service-Worker-Allowed") != "/" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("/sw.js: %d %v", r.StatusCode, r.Header)
	}
	for _, want := range []string{`"/starling.wasm"`, `"/wasm_exec.js"`, `"/index.html"`, `"/"`, "starling-"} {
		if !strings.Contains(src, want) {
			t.Errorf("sw.js lacks %s", want)
		}
	}
	if strings.Contains(src, "__") {
		t.Error("sw.js has a placeholder left")
	}
	page := string(body(t, get(t, h, "/")))
	if strings.Count(page, `navigator.serviceWorker.register("/sw.js")`) != 1 || strings.Index(page, "register(") > strings.Index(strings.ToLower(page), "</head>") {
		t.Fatalf("the page over https does not register the worker in its head: %.400s", page)
	}
	if plain := string(body(t, get(t, Handler(Config{}), "/"))); strings.Contains(plain, "serviceWorker") {
		t.Fatal("the page over http registers a worker")
	}
	var info NodeInfo
	json.Unmarshal(body(t, get(t, h, "/node.json")), &info)
	if !info.TLS {
		t.Error("node.json does not say tls")
	}
}

// TestPoster decodes what it can of the poster: the PNG is A4 at 150 dpi
// and its QR modules are the link's code, module for module; the SVG is
// XML, A4, titled with the event, and its path draws exactly the code's
// dark modules.
func TestPoster(t *testing.T) {
	link := "http://192.168.1.20:8080/#starling://join?g=QfKfRCMk-6VBxD9TluO1JREUSCL0RYfDxhzX__1TpNA&o=q7nv4nlyvmzm6e6bztnqzzxig67y4nlw"
	event := "Summer Camp <2026> & friends"
	pngB, svgB, err := Poster(PosterText{Event: event, Link: link, Show: "http://192.168.1.20:8080"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pngB))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != posterW || b.Dy() != posterH {
		t.Fatalf("PNG %v", b)
	}
	if r := float64(posterH) / float64(posterW); r < 1.41 || r > 1.42 {
		t.Fatalf("PNG ratio %.3f, A4's is 1.414", r)
	}
	code, err := qr.Encode(link, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	l := layout(code)
	dark := func(x, y int) bool {
		r, _, _, _ := img.At(x, y).RGBA()
		return r < 0x8000
	}
	bad := 0
	for y := range code.Size {
		for x := range code.Size {
			cx, cy := l.x+x*l.module+l.module/2, l.y+y*l.module+l.module/2
			if dark(cx, cy) != code.Black(x, y) {
				bad++
			}
		}
	}
	if bad != 0 {
		t.Fatalf("%d of %d modules differ from the link's code", bad, code.Size*code.Size)
	}
	// The quiet zone is white.
	for i := 1; i <= quietZone*l.module; i++ {
		if dark(l.x-i, l.y) || dark(l.x, l.y-i) {
			t.Fatal("the quiet zone has dark pixels")
		}
	}
	// The title is drawn above the code, the instructions below it.
	inked := func(y0, y1 int) bool {
		for y := y0; y < y1; y++ {
			for x := 0; x < posterW; x += 2 {
				if dark(x, y) {
					return true
				}
			}
		}
		return false
	}
	if !inked(60, 320) || !inked(330+posterQR+80, posterH-100) {
		t.Fatal("no title above the code or no instructions below it")
	}

	var doc struct {
		XMLName xml.Name `xml:"svg"`
		Width   string   `xml:"width,attr"`
		Height  string   `xml:"height,attr"`
		Title   string   `xml:"title"`
		Texts   []string `xml:"text"`
		G       struct {
			Path struct {
				D string `xml:"d,attr"`
			} `xml:"path"`
		} `xml:"g"`
	}
	if err := xml.Unmarshal(svgB, &doc); err != nil {
		t.Fatalf("SVG: %v", err)
	}
	if doc.Width != "210mm" || doc.Height != "297mm" || doc.Title != event || len(doc.Texts) < 3 || doc.Texts[0] != event {
		t.Fatalf("SVG: %+v", doc)
	}
	black := map[[2]int]bool{}
	for _, m := range regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllStringSubmatch(doc.G.Path.D, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		for i := range w {
			black[[2]int{x + i - quietZone, y - quietZone}] = true
		}
	}
	for y := range code.Size {
		for x := range code.Size {
			if black[[2]int{x, y}] != code.Black(x, y) {
				t.Fatalf("SVG module (%d,%d) differs from the link's code", x, y)
			}
		}
	}
	if _, _, err := Poster(PosterText{Event: " ", Link: link}); err == nil {
		t.Error("a poster without an event name")
	}
	if _, _, err := Poster(PosterText{Event: "x", Link: strings.Repeat("a", 5000)}); err == nil {
		t.Error("a link too long for a QR code")
	}
}
