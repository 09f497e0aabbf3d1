package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

// files is the page: HTML, CSS and JavaScript modules, no build step.
//
//go:embed assets
var files embed.FS

// assets holds the embedded files with an ETag each, so a browser revalidates
// cheaply and never keeps a stale page after the binary changes.
type assets struct {
	byPath map[string]asset
}

type asset struct {
	body []byte
	etag string
}

func loadAssets() (*assets, error) {
	a := &assets{byPath: map[string]asset{}}
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.byPath[strings.TrimPrefix(p, "assets")] = asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webui: read the embedded page: %w", err)
	}
	if _, ok := a.byPath["/index.html"]; !ok {
		return nil, fmt.Errorf("webui: the embedded page has no index.html")
	}
	return a, nil
}

// serveAsset answers with an embedded file; / is index.html. Only files
// exist: there are no directory listings.
func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/" {
		p = "/index.html"
	}
	f, ok := s.assets.byPath[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", f.etag)
	http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(f.body))
}
