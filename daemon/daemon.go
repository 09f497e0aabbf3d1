package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"starling/api"
	"starling/apiserver"
	"starling/doctor"
	"starling/home"
	"starling/message"
	"starling/node"
	"starling/relay"
	"starling/simhost"
	"starling/store"
	"starling/webui"
)

// Errors Run returns, wrapped with what and where.
var (
	// ErrRunning means a daemon already runs for the home.
	ErrRunning = errors.New("a daemon is already running for this home")
	// ErrListen means an address of the daemon's (Config.APIAddr,
	// Web.Addr, Relay.Metrics) could not be listened on; a ListenError
	// says which.
	ErrListen = errors.New("cannot listen")
)

// ListenError says which of the daemon's addresses could not be listened
// on; it wraps ErrListen and the cause.
type ListenError struct {
	What string // "api", "web" or "metrics"
	Addr string
	Err  error
}

func (e *ListenError) Error() string {
	return fmt.Sprintf("%s on %s: %v", e.What, e.Addr, e.Err)
}

func (e *ListenError) Unwrap() []error { return []error{ErrListen, e.Err} }

// Started is what Run started, for Config.Ready.
type Started struct {
	Node *node.Node
	// API is the local API's address.
	API net.Addr
	// Web is the web UI's record (nil without Config.Web).
	Web *webui.Record
	// Metrics is the metrics server's address (nil without
	// Relay.Metrics).
	Metrics net.Addr
	// Phone is where the phone page is (nil without Phone.Listen).
	Phone *PhoneStarted
}

// Running reports whether a daemon answers for the home.
func Running(ctx context.Context, dir home.Dir) bool {
	c, err := api.Dial(dir)
	if err != nil {
		return false
	}
	defer c.Close()
	return c.Ping(ctx) == nil
}

// job is something Run runs until ctx ends.
type job struct {
	name string
	run  func(ctx context.Context) error
	// vital jobs end the daemon when they return at all: a node nobody can
	// reach is no use. Others end it only by failing.
	vital bool
}

// Run runs the daemon until ctx ends or a vital part of it stops, and
// returns once every part has ended. Everything that can fail at start
// (the store, every listener, the groups to join) fails before the node
// runs, and what had started is stopped again.
func Run(ctx context.Context, cfg Config) error {
	cfg.fill()
	if Running(ctx, cfg.Home) {
		return fmt.Errorf("%w: %s", ErrRunning, cfg.Home)
	}
	var (
		metrics *relay.Metrics
		meter   *simhost.Meter
	)
	if cfg.Relay != nil {
		cfg.Node.RelayService, metrics = relayService(cfg.Relay)
	}
	if cfg.Sim != nil && cfg.Sim.Events != "" {
		meter = meterNode(&cfg.Node)
	}
	var page *phoneServer
	if cfg.Phone != nil {
		var err error
		if page, err = setupPhone(&cfg); err != nil {
			return err
		}
	}
	n, err := node.New(cfg.Node)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &daemon{cfg: cfg, n: n, metrics: metrics, meter: meter, phone: page, started: Started{Node: n}}
	jobs, err := d.start(ctx)
	if err != nil {
		cancel()
		return errors.Join(err, d.stop(), n.Close())
	}
	jobs = append(jobs, job{name: "node", run: n.Run, vital: true})
	g, gctx := errgroup.WithContext(ctx)
	for _, j := range jobs {
		g.Go(func() error {
			err := j.run(gctx)
			if j.vital {
				cancel()
			}
			if err != nil {
				return fmt.Errorf("%s: %w", j.name, err)
			}
			return nil
		})
	}
	return errors.Join(g.Wait(), d.stop())
}

// daemon holds what start set up, for stop to undo.
type daemon struct {
	cfg     Config
	n       *node.Node
	metrics *relay.Metrics    // an organiser relay's
	meter   *simhost.Meter    // a simulation's, with an event log
	phone   *phoneServer      // the phone page's, with Config.Phone
	joined  []message.GroupID // Config.Join's groups, in order
	started Started
	undo    []func() error // in the order to run them
}

// start sets everything up but the node's Run and returns the jobs to run.
func (d *daemon) start(ctx context.Context) ([]job, error) {
	var jobs []job
	apiJob, err := d.startAPI()
	if err != nil {
		return nil, err
	}
	jobs = append(jobs, apiJob)
	d.report()
	if err := d.join(ctx); err != nil {
		return nil, err
	}
	if d.cfg.Sim != nil {
		j, err := d.startSim(ctx)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j...)
	}
	if d.cfg.Relay != nil && d.cfg.Relay.Metrics != "" {
		j, err := d.startMetrics()
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	if d.phone != nil {
		if err := d.startPhone(); err != nil {
			return nil, err
		}
	}
	if d.cfg.Web != nil {
		j, err := d.startWeb()
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	if d.cfg.Ready != nil {
		d.cfg.Ready(d.started)
	}
	return jobs, nil
}

// stop undoes what start did (the endpoint records), last first.
func (d *daemon) stop() error {
	var errs []error
	for i := len(d.undo) - 1; i >= 0; i-- {
		errs = append(errs, d.undo[i]())
	}
	d.undo = nil
	return errors.Join(errs...)
}

// startAPI listens on the API's address and records it in the home.
func (d *daemon) startAPI() (job, error) {
	ln, err := net.Listen("tcp", d.cfg.APIAddr)
	if err != nil {
		return job{}, &ListenError{What: "api", Addr: d.cfg.APIAddr, Err: err}
	}
	d.undo = append(d.undo, func() error { ln.Close(); return nil })
	token, err := api.NewToken()
	if err != nil {
		return job{}, err
	}
	srv, err := d.newAPI(token, "api")
	if err != nil {
		return job{}, err
	}
	if err := api.Publish(d.cfg.Home, api.Endpoint{Addr: ln.Addr().String(), PID: os.Getpid(), Started: time.Now()}, token); err != nil {
		return job{}, err
	}
	d.undo = append(d.undo, func() error { api.Unpublish(d.cfg.Home); return nil })
	d.started.API = ln.Addr()
	return job{name: "local API", run: func(ctx context.Context) error { return srv.Serve(ctx, ln) }, vital: true}, nil
}

// report writes the start-up lines about the node and its API.
func (d *daemon) report() {
	out, n, u := d.cfg.Out, d.n, d.cfg.Node.User
	role := "up"
	if d.cfg.Node.RelayService != nil {
		role = "relay"
	}
	fmt.Fprintf(out, "starling %s: %s (%s)\npeer %s\n", role, u.Name, u.Fingerprint().Pretty(), n.ID())
	for _, a := range n.Addrs() {
		fmt.Fprintf(out, "listening %s\n", a)
	}
	fmt.Fprintf(out, "api http://%s (home %s)\n", d.started.API, d.cfg.Home)
	if disk := n.Disk(); disk.State != store.DiskOK {
		fmt.Fprintf(out, "store %s: %s\n", disk.Label(), disk.Reason())
	}
	if d.cfg.Relay != nil {
		fmt.Fprintf(out, "relay acl %s\n", d.cfg.Relay.ACL)
	}
}

// join joins Config.Join.
func (d *daemon) join(ctx context.Context) error {
	for _, ref := range d.cfg.Join {
		g, err := d.n.Join(ctx, ref)
		if err != nil {
			return fmt.Errorf("join %q: %w", ref, err)
		}
		d.joined = append(d.joined, g.ID)
		verb := "joined"
		if d.cfg.Relay != nil {
			verb = "carrying"
		}
		fmt.Fprintf(d.cfg.Out, "%s %s (%s)\n", verb, g.Name, g.ID.Short())
	}
	return nil
}

// newAPI builds an API server over the node and its services.
func (d *daemon) newAPI(token, component string) (*apiserver.Server, error) {
	return apiserver.New(apiserver.Config{
		Backend: d.n, Moderation: d.n.Moderation(), Alerts: d.n.Alerts(), Pictures: d.n.Pictures(), Conversation: d.n.Conversation(), People: d.n.Conversation(),
		Token: token, Logger: d.cfg.Logger.With("component", component), Interfaces: doctor.Interfaces,
	})
}
