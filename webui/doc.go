// Package webui serves Starling's web UI: one page of plain HTML, CSS and
// JavaScript embedded in the binary (no build step, nothing fetched from the
// internet), an in-process proxy to the local API, and a WebSocket that
// carries the API's event stream (new messages and delivery updates) to the
// page as it happens.
//
// The UI is a client of the API like the CLI: requests to /api/v1/... go to
// the API's http.Handler in the same process with the API token added, and
// /ws carries the API's events, which it takes typed from the API's Watch
// (as api.Client.Watch gives them over HTTP) and sends as JSON frames. So
// the browser sees exactly the JSON the CLI sees, and webui needs nothing of
// the node: it links the light api package, never apiserver, node, store or
// libp2p (deps_test.go holds that line).
//
// Who may use it:
//   - Every request's Host must name the address it arrived on (127.0.0.1,
//     localhost or [::1] with the port, on loopback): a page on another site
//     that rebinds its own name to 127.0.0.1 gets 403.
//   - The page itself and its scripts are public; the API, the socket and
//     the QR endpoint need the web token. The token travels in the link's
//     fragment (http://127.0.0.1:PORT/#t=TOKEN), which browsers never send
//     to a server; the page keeps it in sessionStorage and sends it as a
//     bearer token, or as a WebSocket subprotocol (browsers cannot set
//     headers on a socket).
//   - A WebSocket's Origin must be the page's own origin; any request that
//     carries an Origin must too.
//   - Listening beyond loopback needs Config.LAN. Such a link is a pairing
//     link: it gives whoever holds it this node's account, and plain HTTP on
//     a shared Wi-Fi can be read by others on it.
//
// Responses carry a strict Content-Security-Policy (scripts from this
// origin only, no inline script), deny framing and send no referrer.
package webui
