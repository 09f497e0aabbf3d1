package webui

import (
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// Every file the page loads is embedded and served from this origin with
// the right type: nothing comes from the internet, and the page works with
// no network at all.
func TestWebAssetsEmbedded(t *testing.T) {
	addr, _ := serve(t, testConfig(newFakeAPI()))
	resp, index := do(t, "GET", addr, "", "/", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	want := map[string]string{".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(index, -1)
	if len(refs) < 3 {
		t.Fatalf("the page references %d files", len(refs))
	}
	for _, r := range refs {
		ref := r[1]
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			t.Errorf("the page loads %q, not a path on this origin", ref)
			continue
		}
		resp, body := do(t, "GET", addr, "", ref, "", nil)
		ext := ref[strings.LastIndexByte(ref, '.'):]
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), want[ext]) {
			t.Errorf("GET %s: %s %s", ref, resp.Status, resp.Header.Get("Content-Type"))
		}
		if embedded, _ := files.ReadFile("assets" + ref); string(embedded) != body {
			t.Errorf("GET %s did not serve the embedded file", ref)
		}
	}
	// The modules import each other; each import must be embedded too.
	imports := regexp.MustCompile(`from '\./([a-z]+\.js)'`)
	walkAssets(t, func(name, text string) {
		for _, m := range imports.FindAllStringSubmatch(text, -1) {
			if _, err := fs.Stat(files, "assets/js/"+m[1]); err != nil {
				t.Errorf("%s imports %s, which is not embedded", name, m[1])
			}
		}
	})
	// A revalidation costs nothing.
	resp, _ = do(t, "GET", addr, "", "/js/main.js", "", nil)
	etag := resp.Header.Get("ETag")
	if resp, _ := do(t, "GET", addr, "", "/js/main.js", "", map[string]string{"If-None-Match": etag}); etag == "" || resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidating with ETag %q: %s, want 304", etag, resp.Status)
	}
	for _, path := range []string{"/js/", "/js/nothing.js", "/index.html/", "/assets/index.html", "/../go.mod"} {
		if resp, _ := do(t, "GET", addr, "", path, "", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", path, resp.Status)
		}
	}
}

// The page's code never turns text into HTML (nicknames and messages are
// written by strangers), loads nothing from elsewhere and runs no inline
// script.
func TestWebAssetsSafe(t *testing.T) {
	forbidden := []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "onclick=", "onerror=", "setAttribute('on", "https://", "http://", "localStorage.setItem(tokenKey"}
	walkAssets(t, func(name, text string) {
		for _, f := range forbidden {
			if strings.Contains(text, f) && !(name == "assets/icon.svg" && f == "http://") {
				t.Errorf("%s contains %q", name, f)
			}
		}
	})
	index, _ := files.ReadFile("assets/index.html")
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(string(index), -1) {
		if !strings.Contains(tag, `src="/`) {
			t.Errorf("inline script in index.html: %s", tag)
		}
	}
	if strings.Contains(string(index), "style=") {
		t.Error("index.html has inline styles, which the CSP blocks")
	}
}

func walkAssets(t *testing.T, fn func(name, text string)) {
	t.Helper()
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		fn(p, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
