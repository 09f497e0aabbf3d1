package home

import "path/filepath"

// WebUI is where a daemon that serves the web UI records its links and
// token (0600), for `starling open`.
func (d Dir) WebUI() string { return filepath.Join(string(d), "web.json") }

// WebOpen is the 0600 page that `starling open` hands to the browser: it
// forwards to the web UI's link, so the token never appears on a command
// line that other users of the machine could read.
func (d Dir) WebOpen() string { return filepath.Join(string(d), "web-open.html") }
