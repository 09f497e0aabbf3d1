// Package api is Starling's local control API: JSON over HTTP on 127.0.0.1,
// with a server-sent event stream of new messages. The CLI, the terminal
// chat and the web UI are its clients.
//
// Every request carries a bearer token that the daemon writes to a 0600 file
// in the home directory, and the server answers only to loopback Host names,
// so neither other users of the machine nor web pages (DNS rebinding) can
// drive it. The package declares the Backend it needs; node satisfies it.
package api
