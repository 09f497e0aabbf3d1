// Package apiserver serves Starling's local control API (package api):
// JSON over HTTP on 127.0.0.1, with a server-sent event stream of new
// messages, and the same stream in process (Server.Watch) for the web UI.
//
// It checks every request's bearer token and loopback Host, and turns the
// node's types into the API's views. It declares the Backend it needs;
// node satisfies it, and apiserver must not import node.
package apiserver
