// Package phone serves the phone page (issue 16): the embedded assets in
// phone/assets (the page and bundle that phone/web builds, the engine in
// WebAssembly that scripts/build-phone-wasm builds, Go's wasm_exec.js),
// node.json (which node served the page: its fingerprint, and the
// WebSocket addresses the page may dial), the door poster (PNG and SVG, A4)
// and, over https, a service worker that keeps the page available offline.
// The daemon hands Handler to the node's WebSocket listeners
// (peering.WebSocket.HTTP), so a phone loads the page and connects to the
// node on one port. phone/API.md documents the HTTP paths and the engine's
// JavaScript API.
package phone
