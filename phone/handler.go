package phone

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed assets
var embedded embed.FS

// Assets are the page's files (phone/assets).
func Assets() fs.FS {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// NodeInfo is /node.json: the node that served the page.
type NodeInfo struct {
	Fingerprint       string   `json:"fingerprint"`
	FingerprintPretty string   `json:"fingerprintPretty"`
	Name              string   `json:"name"`
	PeerID            string   `json:"peerId"`
	Addrs             []string `json:"addrs"`
	TLS               bool     `json:"tls"`
}

// Config is what Handler serves besides the assets.
type Config struct {
	// Node says which node serves the page, asked on every request to
	// /node.json (its addresses change as listeners come and go). Nil:
	// /node.json is 404.
	Node func() NodeInfo
	// Poster returns the door poster, if there is one (nil, nil: none yet).
	Poster func() (png, svg []byte)
	// TLS: the page is served over https, so /sw.js serves the service
	// worker that keeps it available offline (browsers allow service
	// workers only in secure contexts).
	TLS bool
}

// asset is one file, ready to serve. Its gzip form is made on the first
// request that takes it.
type asset struct {
	body   []byte
	etag   string
	ctype  string
	gzOnce sync.Once
	gz     []byte // nil: not worth compressing
}

// gzipped returns the compressed body, or nil when compression saves
// little. Level 5: the engine (11 MB) compresses in half a second to within
// 2 % of what the best level gives in four times as long, and the first
// phone at the door waits for it.
func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		if len(a.body) <= 1024 || strings.HasPrefix(a.ctype, "image/png") {
			return
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, 5)
		zw.Write(a.body)
		zw.Close()
		if buf.Len() < len(a.body)*9/10 {
			a.gz = buf.Bytes()
		}
	})
	return a.gz
}

// prepared caches the embedded assets, which never change in a process,
// across handlers.
var prepared sync.Map // name -> *asset

type handler struct {
	cfg   Config
	files fs.FS
}

// Handler serves the page. Paths other than the assets, /node.json,
// /poster.png, /poster.svg and (TLS) /sw.js get 404; methods other than GET
// and HEAD get 405. Every response says no-cache (revalidate with the
// ETag), so a phone that reopens the page gets the served node's current
// code; assets are sent gzip-compressed to browsers that take it (the
// engine is about a quarter of its size so).
func Handler(cfg Config) http.Handler {
	return &handler{cfg: cfg, files: Assets()}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	switch p := r.URL.Path; p {
	case "/node.json":
		if h.cfg.Node == nil {
			http.NotFound(w, r)
			return
		}
		info := h.cfg.Node()
		info.TLS = h.cfg.TLS
		if info.Addrs == nil {
			info.Addrs = []string{}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(info)
	case "/poster.png", "/poster.svg":
		var png, svg []byte
		if h.cfg.Poster != nil {
			png, svg = h.cfg.Poster()
		}
		body, ctype := png, "image/png"
		if p == "/poster.svg" {
			body, ctype = svg, "image/svg+xml"
		}
		if body == nil {
			http.Error(w, "this node has no door poster (starling relay --phone with a --group writes one)", http.StatusNotFound)
			return
		}
		h.serve(w, r, &asset{body: body, ctype: ctype, etag: etagOf(body)})
	case "/sw.js":
		if !h.cfg.TLS {
			http.Error(w, "a service worker needs https (--tls-cert and --tls-key)", http.StatusNotFound)
			return
		}
		a := h.serviceWorker()
		w.Header().Set("Service-Worker-Allowed", "/")
		h.serve(w, r, a)
	default:
		name := strings.TrimPrefix(path.Clean(p), "/")
		if name == "" {
			name = "index.html"
		}
		a, ok := h.asset(name)
		if ok && name == "index.html" && h.cfg.TLS {
			a = h.pageWithWorker(a)
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		h.serve(w, r, a)
	}
}

// serve writes an asset with its ETag, compressed when the browser takes
// gzip.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, a *asset) {
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", a.etag)
	hd.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(r) {
		if gz := a.gzipped(); gz != nil {
			hd.Set("Content-Encoding", "gzip")
			body = gz
		}
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// asset returns a file of the assets. The build's bookkeeping file is not
// served.
func (h *handler) asset(name string) (*asset, bool) {
	if name == "starling.wasm.go-version" || !fs.ValidPath(name) {
		return nil, false
	}
	if a, ok := prepared.Load(name); ok {
		return a.(*asset), true
	}
	body, err := fs.ReadFile(h.files, name)
	if err != nil && name == "index.html" {
		body, err = []byte(placeholder), nil
	}
	if err != nil {
		return nil, false
	}
	a, _ := prepared.LoadOrStore(name, prepare(name, body))
	return a.(*asset), true
}

func prepare(name string, body []byte) *asset {
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".wasm":
		ctype = "application/wasm" // instantiateStreaming insists
	case ".js", ".mjs":
		ctype = "text/javascript; charset=utf-8"
	case ".html":
		ctype = "text/html; charset=utf-8"
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return &asset{body: body, ctype: ctype, etag: etagOf(body)}
}

// registerWorker is what the page served over https gains: the
// registration of /sw.js, so that it reopens with no network whatever the
// page's own script does.
const registerWorker = `<script>if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});</script>`

// pageWithWorker is the page with registerWorker before its </head>.
func (h *handler) pageWithWorker(page *asset) *asset {
	const key = "index.html (https)"
	if a, ok := prepared.Load(key); ok {
		return a.(*asset)
	}
	body := string(page.body)
	if i := strings.Index(strings.ToLower(body), "</head>"); i >= 0 {
		body = body[:i] + registerWorker + "\n" + body[i:]
	} else {
		body = registerWorker + "\n" + body
	}
	a, _ := prepared.LoadOrStore(key, prepare("index.html", []byte(body)))
	return a.(*asset)
}

// serviceWorker is /sw.js, its cache named after the assets' ETags so that
// a new build replaces the old cache.
func (h *handler) serviceWorker() *asset {
	var names []string
	var tags strings.Builder
	entries, _ := fs.ReadDir(h.files, ".")
	for _, e := range entries {
		if e.IsDir() || e.Name() == "starling.wasm.go-version" {
			continue
		}
		if a, ok := h.asset(e.Name()); ok {
			names = append(names, "/"+e.Name())
			tags.WriteString(a.etag)
		}
	}
	names = append(names, "/")
	list, _ := json.Marshal(names)
	version := etagOf([]byte(tags.String()))
	src := strings.NewReplacer("__ASSETS__", string(list), "__VERSION__", strings.Trim(version, `"`)).Replace(serviceWorkerJS)
	return prepare("sw.js", []byte(src))
}

// serviceWorkerJS keeps the page's files in a cache, so that the page opens
// with no network once loaded over https: network first (the serving node's
// current code when it is there), the cache when the network fails.
// node.json and the poster are never cached.
const serviceWorkerJS = `// Starling's phone page: offline copy (served by the node, over https only).
const CACHE = "starling-__VERSION__";
const ASSETS = __ASSETS__;
self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("starling-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === "/node.json" || url.pathname.startsWith("/poster.")) return;
  e.respondWith(fetch(e.request).then((resp) => {
    if (resp.ok) {
      const copy = resp.clone();
      caches.open(CACHE).then((c) => c.put(url.pathname === "/index.html" ? "/" : e.request, copy));
    }
    return resp;
  }).catch(() => caches.match(e.request, { ignoreSearch: true }).then((hit) => hit || caches.match("/"))));
});
`

// placeholder is the page while phone/assets has no index.html.
const placeholder = `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Starling</title><p>This node's phone page is not built yet (phone/web, scripts/build-phone).</p>`
