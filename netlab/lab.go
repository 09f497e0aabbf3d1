package netlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	// ErrNotRoot means the process cannot create network namespaces.
	ErrNotRoot = errors.New("netlab needs root to create network namespaces; run it as root (CI does)")
	// ErrMissingTool means iproute2's ip or nftables' nft is not installed.
	ErrMissingTool = errors.New("a tool netlab needs is missing")
	// ErrClosed means the lab was closed: it builds and starts nothing more.
	ErrClosed = errors.New("the lab is closed")
)

// Config configures a Lab. Zero fields take the documented defaults.
type Config struct {
	// Starling is the path of the starling binary that hosts run. Required.
	Starling string
	// LogDir receives one log file per daemon (its stdout and stderr); it is
	// created if needed and kept. Default: a directory inside the lab's
	// temporary directory, removed by Close.
	LogDir string
	// Logger receives the lab's steps: namespaces, rules, daemons. Default:
	// discard.
	Logger *slog.Logger
	// CommandTimeout bounds one ip, nft or starling client command.
	// Default 30 s.
	CommandTimeout time.Duration
	// StopTimeout bounds a daemon's clean exit after SIGTERM, after which it
	// is killed. Default 15 s.
	StopTimeout time.Duration
	// StartTimeout bounds a daemon's start, until its API answers.
	// Default 30 s.
	StartTimeout time.Duration
}

func (c *Config) fill() error {
	if c.Starling == "" {
		return errors.New("netlab: Config.Starling is empty; build the binary (go build ./cmd/starling) and pass its path")
	}
	abs, err := filepath.Abs(c.Starling)
	if err != nil {
		return fmt.Errorf("netlab: starling binary %s: %w", c.Starling, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("netlab: starling binary: %w; build it with `go build -o %s ./cmd/starling`", err, c.Starling)
	}
	c.Starling = abs
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = 30 * time.Second
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = 15 * time.Second
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = 30 * time.Second
	}
	return nil
}

// namePrefix starts every namespace a lab makes; the process ID and a
// sequence number follow (stlab-PID-SEQ-NAME), which is what lets Sweep tell
// leftovers of dead runs from namespaces in use.
const namePrefix = "stlab-"

// labSeq tells apart the labs of one process.
var labSeq atomic.Int64

// Lab owns a set of namespaces and the daemons running in them. Building the
// topology and changing filters is meant for one goroutine; Host commands,
// daemons and Close may be used from any.
type Lab struct {
	cfg    Config
	log    *slog.Logger
	prefix string // stlab-PID-SEQ
	work   string // temporary directory: homes, and logs unless cfg.LogDir

	mu         sync.Mutex
	closed     bool
	namespaces []string // in the order made
	daemons    []*Daemon
	names      map[string]bool // segment, host and NAT names in use
}

// New checks that namespaces can be made (root, ip, nft), removes the
// namespaces that dead netlab runs left behind, and returns an empty lab.
// Close it on every path.
func New(cfg Config) (*Lab, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	if err := Check(); err != nil {
		return nil, err
	}
	Sweep(cfg.Logger)
	work, err := os.MkdirTemp("", "netlab-")
	if err != nil {
		return nil, fmt.Errorf("netlab: %w", err)
	}
	if cfg.LogDir == "" {
		cfg.LogDir = filepath.Join(work, "logs")
	}
	if err := os.MkdirAll(cfg.LogDir, 0o755); err != nil {
		os.RemoveAll(work)
		return nil, fmt.Errorf("netlab: log directory: %w", err)
	}
	prefix := fmt.Sprintf("%s%d-%d", namePrefix, os.Getpid(), labSeq.Add(1))
	return &Lab{
		cfg:    cfg,
		log:    cfg.Logger.With("lab", prefix),
		prefix: prefix,
		work:   work,
		names:  map[string]bool{},
	}, nil
}

// Check says what is missing for a lab on this machine: root, ip or nft.
func Check() error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	for tool, pkg := range map[string]string{"ip": "iproute2", "nft": "nftables"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %s is not installed; install %s (apt-get install -y %s), or use scripts/netlab, which does",
				ErrMissingTool, tool, pkg, pkg)
		}
	}
	return nil
}

// LogDir is where the daemons' logs go.
func (l *Lab) LogDir() string { return l.cfg.LogDir }

// Close stops every daemon (SIGTERM, then SIGKILL after StopTimeout),
// deletes every namespace and removes the temporary directory. It works
// after a cancelled context and is safe to call more than once.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	daemons, namespaces := l.daemons, l.namespaces
	l.mu.Unlock()

	errs := []error{stopAll(daemons, l.cfg.StopTimeout)}
	for _, ns := range slices.Backward(namespaces) {
		if err := l.command(context.Background(), "", "ip", "netns", "delete", ns); err != nil {
			errs = append(errs, err)
		}
	}
	if left := l.leftovers(); len(left) > 0 {
		errs = append(errs, fmt.Errorf("namespaces of this lab remain after close: %s", strings.Join(left, ", ")))
	}
	if err := os.RemoveAll(l.work); err != nil {
		errs = append(errs, err)
	}
	l.log.Info("lab closed", "namespaces", len(namespaces), "daemons", len(daemons))
	return errors.Join(errs...)
}

// leftovers lists this lab's namespaces that still exist.
func (l *Lab) leftovers() []string {
	var left []string
	for _, ns := range listNamespaces() {
		if strings.HasPrefix(ns, l.prefix+"-") {
			left = append(left, ns)
		}
	}
	return left
}

// addNamespace makes the namespace prefix-name with its loopback up, and
// records it for Close.
func (l *Lab) addNamespace(ctx context.Context, name string) (string, error) {
	if !validName.MatchString(name) {
		return "", fmt.Errorf("netlab: name %q: use 1-20 lower-case letters, digits and dashes", name)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return "", ErrClosed
	}
	if l.names[name] {
		l.mu.Unlock()
		return "", fmt.Errorf("netlab: the name %q is taken in this lab; choose another", name)
	}
	l.names[name] = true
	l.mu.Unlock()

	ns := l.prefix + "-" + name
	if err := l.command(ctx, "", "ip", "netns", "add", ns); err != nil {
		return "", err
	}
	l.mu.Lock()
	l.namespaces = append(l.namespaces, ns)
	l.mu.Unlock()
	l.log.Debug("namespace", "name", ns)
	return ns, l.ip(ctx, ns, "link", "set", "lo", "up")
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,19}$`)

// ip runs `ip -n NS args...`.
func (l *Lab) ip(ctx context.Context, ns string, args ...string) error {
	return l.command(ctx, "", "ip", append([]string{"-n", ns}, args...)...)
}

// inNS runs a program inside a namespace, with stdin as its input.
func (l *Lab) inNS(ctx context.Context, ns, stdin string, args ...string) error {
	return l.command(ctx, stdin, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

// command runs a program to its end within CommandTimeout, and returns an
// error naming it and holding its output when it fails.
func (l *Lab) command(ctx context.Context, stdin, name string, args ...string) error {
	_, err := l.output(ctx, stdin, name, args...)
	return err
}

// output is command that also returns what the program printed (stdout and
// stderr together).
func (l *Lab) output(ctx context.Context, stdin, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.SysProcAttr = childAttrs()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}

// childAttrs puts a child in its own process group, so that a terminal's
// Ctrl-C reaches only netlab, which then stops the children in order; and
// has the kernel kill it should netlab die without cleaning up.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// Sweep deletes the namespaces that netlab runs left behind when they were
// killed before they could clean up (SIGKILL, a power cut): those whose
// name carries the ID of a process that no longer runs. Namespaces of
// running processes, this one included, are left alone.
func Sweep(logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for _, ns := range listNamespaces() {
		pid, ok := ownerPID(ns)
		if !ok || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		out, err := exec.Command("ip", "netns", "delete", ns).CombinedOutput()
		logger.Info("removed a namespace left by a dead netlab run", "name", ns, "pid", pid, "err", err, "output", string(bytes.TrimSpace(out)))
	}
}

// ownerPID returns the process ID in a netlab namespace name.
func ownerPID(ns string) (int, bool) {
	rest, ok := strings.CutPrefix(ns, namePrefix)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// listNamespaces returns the names `ip netns list` prints.
func listNamespaces() []string {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil
	}
	var names []string
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names
}

// logTail returns the last n lines of a file, for error messages.
func logTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4<<20))
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
