package netlab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Exec runs the lab's starling with args inside the host's namespace, in
// the working directory dir, in the background, as Shadow runs a host's
// process: no --home is added and nothing waits for it to answer. Its
// output goes to a log file in the lab's LogDir. The lab stops it at Close
// unless it has stopped before.
func (h *Host) Exec(dir string, args ...string) (*Daemon, error) {
	l := h.lab
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	sub := "process"
	if len(args) > 0 {
		sub = args[0]
	}
	logPath := filepath.Join(l.cfg.LogDir, fmt.Sprintf("%s-%s-%d.log", h.name, sub, len(l.daemons)+1))
	cmd := exec.CommandContext(context.Background(), "ip", append([]string{"netns", "exec", h.ns, l.cfg.Starling}, args...)...)
	cmd.Dir = dir
	cmd.SysProcAttr = childAttrs()
	cmd.WaitDelay = 5 * time.Second
	d := &Daemon{host: h, args: args, cmd: cmd, log: logPath, done: make(chan struct{})}
	logFile, err := os.Create(logPath)
	if err == nil {
		cmd.Stdout, cmd.Stderr = logFile, logFile
		err = cmd.Start()
		logFile.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: start starling %s: %w", h.name, sub, err)
	}
	l.daemons = append(l.daemons, d)
	go func() {
		cmd.Wait() // the exit status is read from ProcessState
		close(d.done)
	}()
	l.log.Info("process started", "host", h.name, "pid", d.PID(), "dir", dir, "args", args, "log", logPath)
	return d, nil
}
