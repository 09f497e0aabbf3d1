package daemon

import (
	"context"
	"fmt"
	"os"

	"starling/api"
	"starling/webui"
)

// startWeb listens for the web UI and records it in the home. The page
// reaches the node through an API server of its own, in process, whose
// token lives only in this process.
func (d *daemon) startWeb() (job, error) {
	w := d.cfg.Web
	if err := webui.CheckLoopback(w.Addr); err != nil {
		return job{}, err
	}
	webui.Forget(d.cfg.Home)
	token, err := api.NewToken()
	if err != nil {
		return job{}, err
	}
	a, err := d.newAPI(token, "web-api")
	if err != nil {
		return job{}, err
	}
	srv, err := webui.New(webui.Config{API: a, APIToken: token, LAN: w.LAN, Logger: d.cfg.Logger.With("component", "web")})
	if err != nil {
		return job{}, err
	}
	lns, err := webui.Listen(w.Addr, w.LAN)
	if err != nil {
		return job{}, &ListenError{What: "web", Addr: w.Addr, Err: err}
	}
	d.undo = append(d.undo, func() error {
		for _, ln := range lns {
			ln.Close()
		}
		return nil
	})
	rec := webui.Record{PID: os.Getpid(), Local: lns[0].Addr().String(), Token: srv.Token()}
	for _, ln := range lns[1:] {
		rec.LAN = append(rec.LAN, ln.Addr().String())
	}
	if err := webui.Publish(d.cfg.Home, rec); err != nil {
		return job{}, err
	}
	d.undo = append(d.undo, func() error { webui.Unpublish(d.cfg.Home); return nil })
	d.started.Web = &rec
	fmt.Fprintf(d.cfg.Out, "web %s\n", rec.Link())
	return job{name: "web UI", run: func(ctx context.Context) error { return srv.Serve(ctx, lns...) }}, nil
}
