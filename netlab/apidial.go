package netlab

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"

	"starling/api"
	"starling/home"
)

// netnsDir is where `ip netns add` keeps a handle on each namespace.
const netnsDir = "/run/netns"

// api dials the API of the host's running daemon, which listens on the
// loopback of the host's namespace, from this process: no starling command
// starts and exits on the lab's CPUs while a message spreads. Close the
// client after use; a restarted daemon needs a new one.
func (h *Host) api() (*api.Client, error) {
	c, err := api.DialVia(home.Dir(h.home), dialIn(h.ns))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h.name, err)
	}
	return c, nil
}

// dialIn returns a dialer whose connections are made inside network
// namespace ns. A socket belongs to the namespace of the thread that made
// it, and stays there whichever thread uses it afterwards, so each dial
// runs locked to a thread that enters ns and comes back. The thread must
// come back rather than end: a daemon started with Pdeathsig by a goroutine
// that ran on it would be killed with it.
func dialIn(ns string) api.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			c   net.Conn
			err error
		}
		done := make(chan result, 1)
		go func() {
			runtime.LockOSThread()
			c, back, err := dialFromNamespace(ctx, ns, network, addr)
			if back {
				runtime.UnlockOSThread()
			}
			done <- result{c, err}
		}()
		select {
		case r := <-done:
			return r.c, r.err
		case <-ctx.Done():
			go func() {
				if r := <-done; r.c != nil {
					r.c.Close()
				}
			}()
			return nil, ctx.Err()
		}
	}
}

// dialFromNamespace moves the calling thread, which must be locked, into
// namespace ns, dials there and moves the thread back. back reports whether
// the thread is in its own namespace again; if not, the caller must leave
// it locked, so that it ends with its goroutine.
func dialFromNamespace(ctx context.Context, ns, network, addr string) (_ net.Conn, back bool, _ error) {
	own, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, true, fmt.Errorf("this thread's namespace: %w", err)
	}
	defer own.Close()
	target, err := os.Open(filepath.Join(netnsDir, ns))
	if err != nil {
		return nil, true, fmt.Errorf("namespace %s: %w", ns, err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, true, fmt.Errorf("enter namespace %s: %w", ns, err)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	return c, unix.Setns(int(own.Fd()), unix.CLONE_NEWNET) == nil, err
}
