package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"starling/internal/testwait"
	"starling/netlab"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		names    []string
		keepLogs string
		verbose  bool
		list     bool
		wantErr  string
	}{
		{args: []string{"lan"}, names: []string{"lan"}},
		{args: []string{"lan", "-v", "--keep-logs", "/x"}, names: []string{"lan"}, keepLogs: "/x", verbose: true},
		{args: []string{"--keep-logs", "/x", "relay-restart"}, names: []string{"relay-restart"}, keepLogs: "/x"},
		{args: []string{"list"}, list: true},
		{args: []string{"all"}, names: []string{"lan", "partition", "lossy", "isolated", "nat", "holepunch", "holepunch-quic", "relay-restart"}},
		{args: nil, wantErr: "exactly one scenario"},
		{args: []string{"lan", "nat"}, wantErr: "exactly one scenario"},
		{args: []string{"wan"}, wantErr: `no scenario "wan"`},
		{args: []string{"lan", "--bogus"}, wantErr: "bogus"},
		{args: []string{"crosscheck", "--rounds", "0"}, wantErr: "--rounds 0"},
	} {
		opts, err := parseArgs(tc.args)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseArgs(%q) error = %v, want one saying %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseArgs(%q): %v", tc.args, err)
			continue
		}
		var names []string
		for _, s := range opts.scenarios {
			names = append(names, s.Name)
		}
		if !slices.Equal(names, tc.names) || opts.keepLogs != tc.keepLogs || opts.verbose != tc.verbose || opts.list != tc.list {
			t.Errorf("parseArgs(%q) = scenarios %q, keep-logs %q, -v %v, list %v", tc.args, names, opts.keepLogs, opts.verbose, opts.list)
		}
	}
	if opts, err := parseArgs([]string{"crosscheck", "--rounds", "5"}); err != nil || !opts.crosscheck || opts.rounds != 5 || len(opts.scenarios) != 0 {
		t.Errorf("parseArgs(crosscheck --rounds 5) = crosscheck %v, rounds %d, scenarios %d, %v", opts.crosscheck, opts.rounds, len(opts.scenarios), err)
	}
	opts, err := parseArgs([]string{"shadow", "--rounds", "2", "--out", "/x", "--scenario", "rooms"})
	if err != nil || !opts.shadow || opts.crosscheck || opts.rounds != 2 || opts.out != "/x" || opts.scenario != "rooms" {
		t.Errorf("parseArgs(shadow ...) = %+v, %v", opts, err)
	}
	if opts, err := parseArgs([]string{"shadow"}); err != nil || opts.scenario != "netlab-shadow" || opts.rounds != 3 {
		t.Errorf("parseArgs(shadow) = scenario %q, rounds %d, %v; want netlab-shadow, 3", opts.scenario, opts.rounds, err)
	}
	if _, err := parseArgs([]string{"shadow", "--rounds", "51"}); err == nil || !strings.Contains(err.Error(), "--rounds 51") {
		t.Errorf("parseArgs(shadow --rounds 51) = %v", err)
	}
	if _, err := parseArgs([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseArgs(-h) = %v, want flag.ErrHelp", err)
	}
}

func TestUsageExitCodes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"nope"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `no scenario "nope"`) {
		t.Errorf("run(nope) = %d, stderr %q; want 2 and the reason", code, stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"list"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "relay-restart") {
		t.Errorf("run(list) = %d, stdout %q; want 0 and the scenarios", code, stdout.String())
	}
}

// TestInterruptCleansUp runs the real command, interrupts it while its
// daemons run, and checks that it exits non-zero and leaves no namespace
// and no process behind.
func TestInterruptCleansUp(t *testing.T) {
	if err := netlab.Check(); err != nil {
		t.Skipf("SKIP: the network lab cannot run here: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	starling, err := netlab.BuildStarling(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "netlab")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	cmd := exec.Command(bin, "lossy", "--starling", starling)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	prefix := "stlab-" + strconv.Itoa(cmd.Process.Pid) + "-"

	// Wait until a daemon runs, then interrupt.
	if testwait.Poll(time.Minute, func() error {
		if len(processesOf(starling, " up ")) == 0 {
			return errors.New("no daemon yet")
		}
		return nil
	}) != nil {
		cmd.Process.Kill()
		<-done
		t.Fatalf("no daemon started within a minute:\n%s", out.String())
	}
	if ns := namespacesWith(prefix); len(ns) == 0 {
		t.Errorf("a daemon runs, but no namespace starts with %s", prefix)
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("netlab did not exit within a minute of SIGINT:\n%s", out.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("netlab exited %d after SIGINT, want 1:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "interrupted") {
		t.Errorf("netlab did not say it was interrupted:\n%s", out.String())
	}
	if ns := namespacesWith(prefix); len(ns) > 0 {
		t.Errorf("namespaces remain after SIGINT: %q", ns)
	}
	if ps := processesOf(starling, ""); len(ps) > 0 {
		t.Errorf("starling processes remain after SIGINT: %q", ps)
	}
}

// namespacesWith lists the network namespaces whose name starts with prefix.
func namespacesWith(prefix string) []string {
	entries, _ := os.ReadDir("/var/run/netns")
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

// processesOf lists the command lines of the running processes of binary
// whose command line contains sub.
func processesOf(binary, sub string) []string {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var found []string
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		line := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.HasPrefix(line, binary+" ") && strings.Contains(line, sub) {
			found = append(found, line)
		}
	}
	return found
}
