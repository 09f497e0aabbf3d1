package netlab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Daemon is a `starling up` or `starling relay` running on a host, started
// by Host.Start. Its PID is starling's own: `ip netns exec` execs in place.
type Daemon struct {
	host *Host
	args []string
	cmd  *exec.Cmd
	log  string
	id   Identity
	done chan struct{} // closed once the process is reaped
}

// Identity is what `starling id --json` prints.
type Identity struct {
	PeerID      string   `json:"peer_id"`
	Addrs       []string `json:"addrs"`
	Name        string   `json:"name"`
	Fingerprint string   `json:"fingerprint"`
}

// Addr returns the full multiaddr (ending in /p2p/PEER_ID) that starts with
// prefix, such as "/ip4/10.10.0.10/tcp/".
func (id Identity) Addr(prefix string) (string, error) {
	for _, a := range id.Addrs {
		if strings.HasPrefix(a, prefix) && strings.HasSuffix(a, "/p2p/"+id.PeerID) {
			return a, nil
		}
	}
	return "", fmt.Errorf("no address of %s starts with %s: it lists %q", id.PeerID, prefix, id.Addrs)
}

// port is where every lab daemon listens, on TCP and on QUIC.
const port = 4001

// ListenFlags are the --listen flags for the host's address, TCP and QUIC,
// both on a fixed port so that a restarted daemon is where it was.
func (h *Host) ListenFlags() []string {
	return []string{
		"--listen", fmt.Sprintf("/ip4/%s/tcp/%d", h.addr, port),
		"--listen", fmt.Sprintf("/ip4/%s/udp/%d/quic-v1", h.addr, port),
	}
}

// TCPAddr is the daemon's full TCP multiaddr on its host's address.
func (d *Daemon) TCPAddr() (string, error) {
	return d.id.Addr(fmt.Sprintf("/ip4/%s/tcp/", d.host.addr))
}

// Init makes the host's home with `starling init --name NAME`.
func (h *Host) Init(ctx context.Context, name string) error {
	if err := os.MkdirAll(h.home, 0o700); err != nil {
		return fmt.Errorf("host %s: %w", h.name, err)
	}
	_, err := h.Starling(ctx, "init", "--name", name)
	return err
}

// Starling runs one starling command inside the host's namespace against
// its home, within CommandTimeout, and returns what it printed on stdout.
// A failure's error holds what it printed on stderr.
func (h *Host) Starling(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, h.lab.cfg.CommandTimeout)
	defer cancel()
	cmd := h.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s: starling %s: %w: %s", h.name, strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// command builds `ip netns exec NS starling --home HOME args...`.
func (h *Host) command(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{"netns", "exec", h.ns, h.lab.cfg.Starling, "--home", h.home}, args...)
	cmd := exec.CommandContext(ctx, "ip", full...)
	cmd.SysProcAttr = childAttrs()
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// ID returns what `starling id --json` says about the host's running node.
func (h *Host) ID(ctx context.Context) (Identity, error) {
	var id Identity
	out, err := h.Starling(ctx, "id", "--json")
	if err != nil {
		return id, err
	}
	if err := json.Unmarshal(out, &id); err != nil {
		return id, fmt.Errorf("%s: starling id --json printed something that is not its JSON: %w", h.name, err)
	}
	return id, nil
}

// Start runs `starling SUBCOMMAND FLAGS...` (up or relay) in the background
// on the host and waits until its API answers `id --json`. Its output goes
// to a log file in the lab's LogDir. The lab stops it at Close unless it
// has stopped before.
func (h *Host) Start(ctx context.Context, subcommand string, flags ...string) (*Daemon, error) {
	l := h.lab
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	logPath := filepath.Join(l.cfg.LogDir, fmt.Sprintf("%s-%s-%d.log", h.name, subcommand, len(l.daemons)+1))
	// Info, explicitly: starling picks warn for every subcommand but up.
	args := append([]string{subcommand, "--log-level", "info"}, flags...)
	d := &Daemon{host: h, args: args, cmd: h.command(context.Background(), args...), log: logPath, done: make(chan struct{})}
	logFile, err := os.Create(logPath)
	if err == nil {
		d.cmd.Stdout, d.cmd.Stderr = logFile, logFile
		err = d.cmd.Start()
		logFile.Close()
	}
	if err != nil {
		l.mu.Unlock()
		return nil, fmt.Errorf("%s: start starling %s: %w", h.name, subcommand, err)
	}
	l.daemons = append(l.daemons, d)
	l.mu.Unlock()
	go func() {
		d.cmd.Wait() // the exit status is read from ProcessState
		close(d.done)
	}()
	l.log.Info("daemon started", "host", h.name, "pid", d.PID(), "args", args, "log", logPath)

	ctx, cancel := context.WithTimeout(ctx, l.cfg.StartTimeout)
	defer cancel()
	err = poll(ctx, 100*time.Millisecond, func() error {
		if d.Exited() {
			return permanent(errExited)
		}
		id, err := h.ID(ctx)
		d.id = id
		return err
	})
	switch {
	case errors.Is(err, errExited):
		return nil, fmt.Errorf("%s: starling %s exited at start (%s); its log %s ends:\n%s",
			h.name, strings.Join(args, " "), d.cmd.ProcessState, logPath, logTail(logPath, 20))
	case err != nil:
		d.Kill()
		return nil, fmt.Errorf("%s: starling %s did not answer `id` within %s: %w; its log %s ends:\n%s",
			h.name, strings.Join(args, " "), l.cfg.StartTimeout, err, logPath, logTail(logPath, 20))
	}
	l.log.Info("daemon ready", "host", h.name, "peer", d.id.PeerID)
	return d, nil
}

// errExited stops a poll whose daemon exited.
var errExited = errors.New("the daemon exited")

// ID is what the daemon's `id --json` said when it started.
func (d *Daemon) ID() Identity { return d.id }

// PID is starling's process ID.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Log is the path of the daemon's log file.
func (d *Daemon) Log() string { return d.log }

// Host is the host the daemon runs on.
func (d *Daemon) Host() *Host { return d.host }

// Exited reports whether the process has ended and been reaped.
func (d *Daemon) Exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// Kill sends SIGKILL unless the process has ended, and waits until it is
// reaped. It signals through a pidfd, so it cannot hit another process that
// reused the PID.
func (d *Daemon) Kill() {
	if !d.Exited() {
		d.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-d.done
	d.host.lab.log.Info("daemon killed", "host", d.host.name, "pid", d.PID())
}

// Stop sends SIGTERM and waits for a clean exit (status 0) within the
// lab's StopTimeout; past it, the daemon is killed and Stop says so.
func (d *Daemon) Stop() error {
	return stopAll([]*Daemon{d}, d.host.lab.cfg.StopTimeout)
}

// stopAll sends SIGTERM to every daemon still running, waits for them
// together until timeout, kills those left, and reports every daemon that
// did not exit cleanly.
func stopAll(daemons []*Daemon, timeout time.Duration) error {
	var running []*Daemon
	for _, d := range daemons {
		if !d.Exited() {
			d.cmd.Process.Signal(syscall.SIGTERM)
			running = append(running, d)
		}
	}
	deadline := time.Now().Add(timeout)
	var errs []error
	for _, d := range running {
		name := fmt.Sprintf("%s: starling %s (pid %d)", d.host.name, d.args[0], d.PID())
		select {
		case <-d.done:
		case <-time.After(time.Until(deadline)):
		}
		if !d.Exited() {
			d.Kill()
			errs = append(errs, fmt.Errorf("%s did not exit within %s of SIGTERM and was killed; its log %s ends:\n%s", name, timeout, d.log, logTail(d.log, 10)))
			continue
		}
		if code := d.cmd.ProcessState.ExitCode(); code != 0 {
			errs = append(errs, fmt.Errorf("%s exited %d after SIGTERM, want 0; its log %s ends:\n%s", name, code, d.log, logTail(d.log, 10)))
		}
	}
	return errors.Join(errs...)
}
