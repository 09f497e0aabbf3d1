package main

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"starling/daemon"
)

// phoneFlags are the phone page's flags, which `up` and `relay` share.
type phoneFlags struct {
	listen, host, event string
	cert, key           string
}

func (p *phoneFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.listen, "phone", "", "serve the phone page, and the WebSocket phones connect to, on HOST:PORT (such as 0.0.0.0:8080); writes the door poster")
	f.StringVar(&p.host, "phone-host", "", "host name or address the door poster's link names (default this machine's first private LAN address; with --tls-cert, a name the certificate holds)")
	f.StringVar(&p.event, "event", "", "the event's name on the door poster (default the group's name)")
	f.StringVar(&p.cert, "tls-cert", "", "certificate (PEM) for https and wss on --phone, with a service worker that keeps the page offline")
	f.StringVar(&p.key, "tls-key", "", "the certificate's private key (PEM)")
}

// config is the daemon's Phone, nil without --phone.
func (p *phoneFlags) config() (*daemon.Phone, error) {
	if p.listen == "" {
		for name, v := range map[string]string{"--phone-host": p.host, "--event": p.event, "--tls-cert": p.cert, "--tls-key": p.key} {
			if v != "" {
				return nil, usageError{fmt.Errorf("%s needs --phone HOST:PORT", name)}
			}
		}
		return nil, nil
	}
	if _, _, err := net.SplitHostPort(p.listen); err != nil {
		return nil, usageError{fmt.Errorf("--phone %q: want HOST:PORT, such as 0.0.0.0:8080", p.listen)}
	}
	ph := &daemon.Phone{Listen: p.listen, Host: p.host, Event: p.event}
	switch {
	case (p.cert == "") != (p.key == ""):
		return nil, usageError{fmt.Errorf("--tls-cert and --tls-key go together")}
	case p.cert != "":
		tc, err := daemon.LoadTLS(p.cert, p.key)
		if err != nil {
			return nil, err
		}
		ph.TLS = tc
	}
	return ph, nil
}
