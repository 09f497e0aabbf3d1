package netlab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Dial opens a TCP connection from inside the host's namespace to addr and
// closes it again: it tells whether the network lets the host reach addr.
// Scenarios use it to prove that a filter is in force before relying on it.
func (h *Host) Dial(ctx context.Context, addr netip.AddrPort, timeout time.Duration) error {
	return inNamespace(h.ns, func() error {
		d := net.Dialer{Timeout: timeout}
		c, err := d.DialContext(ctx, "tcp", addr.String())
		if err != nil {
			return err
		}
		return c.Close()
	})
}

// inNamespace runs fn on an OS thread locked to it that has joined the
// network namespace ns, so that the sockets fn creates live there; then it
// puts the thread back into its own namespace and unlocks it.
//
// The thread must not die: the daemons have the kernel kill them when the
// thread that started them exits (Pdeathsig is per thread), and a goroutine
// that exits locked takes its thread with it. So the thread is unlocked
// after its namespace is restored, and only when that fails (then it must
// not serve other goroutines) does the goroutine exit locked.
func inNamespace(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		own, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer own.Close()
		target, err := os.Open(filepath.Join("/var/run/netns", ns))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("join namespace %s: %w", ns, err)
			return
		}
		err = fn()
		if rerr := unix.Setns(int(own.Fd()), unix.CLONE_NEWNET); rerr != nil {
			errc <- fmt.Errorf("leave namespace %s: %w", ns, rerr) // the thread stays locked and ends
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}
