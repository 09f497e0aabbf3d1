// Package api is the contract of Starling's local control API: the JSON
// types of its requests and answers, the event stream's codec
// (server-sent events), the endpoint record a daemon leaves in its home,
// and the Client that the CLI and the terminal chat use. Package apiserver
// serves it.
//
// This package is what clients link, so it stays light: it must not import
// the node, the store, gossip or libp2p (deps_test.go holds that line), and
// it has no constructors from the node's types (those are apiserver's).
// The types are plain structs, and the API grows by adding fields to them:
// clients skip answer fields they do not know, and unknown events on the
// stream.
//
// Every request carries a bearer token that the daemon writes to a 0600 file
// in the home directory, and the server answers only to loopback Host names,
// so neither other users of the machine nor web pages (DNS rebinding) can
// drive it.
package api
