package peering

import (
	"crypto/tls"
	"net/http"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/p2p/transport/websocket"
)

// WebSocket configures the host's WebSocket listeners: browsers cannot
// dial TCP or QUIC, so the phone page (js-libp2p in a browser) reaches a
// relay or a laptop node over go-libp2p's WebSocket transport, on a /ws
// listen address such as /ip4/0.0.0.0/tcp/8080/ws (DefaultListenAddrs
// has one on a random port).
type WebSocket struct {
	// HTTP serves the requests to a WebSocket listener that are not
	// WebSocket upgrades: the phone page, so that a browser loads the page
	// and connects to the node on one port. Nil: such requests get a 404.
	HTTP http.Handler
	// TLS, if set, is the certificate for /tls/ws (wss) listen addresses,
	// which a page served over https needs (browsers refuse ws from it).
	TLS *tls.Config
}

// transport is the libp2p option that adds the WebSocket transport.
func (w WebSocket) transport() libp2p.Option {
	var opts []interface{}
	if w.HTTP != nil {
		opts = append(opts, websocket.WithHTTPHandler(w.HTTP))
	}
	if w.TLS != nil {
		opts = append(opts, websocket.WithTLSConfig(w.TLS))
	}
	return libp2p.Transport(websocket.New, opts...)
}
