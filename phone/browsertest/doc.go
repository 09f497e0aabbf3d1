// Package browsertest holds the phone page's end-to-end tests (issue 16):
// headless Chromium (chromedp) runs the page (phone/assets: the bundle of
// phone/web and the Go engine in WebAssembly) as phone-sized browser
// contexts with separate storage, against real Starling daemons on
// 127.0.0.1 (an organiser relay serving the page on its /ws port, a
// laptop node, a hostile peer). The package has no code outside its tests.
package browsertest
