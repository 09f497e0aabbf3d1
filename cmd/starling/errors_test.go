package main

import (
	"os"
	"strings"
	"testing"

	"starling/message"
)

// TestBinaryErrors runs the binary into every mistake people make and checks
// that each ends with a non-zero status and one line on stderr that says what
// to do, and that none of them loses or adds a stored message.
func TestBinaryErrors(t *testing.T) {
	// idle: initialised, no daemon, one queued message.
	idle := initHome(t, "idle")
	idle.ok("join", "lobby")
	idleMsg, _ := idle.send("lobby", "stored while idle")
	// running: a daemon and two messages, one exactly at the size limit.
	running := initHome(t, "running")
	runD, _ := running.up("--listen", "/ip4/127.0.0.1/tcp/0")
	running.ok("join", "lobby")
	runMsg, _ := running.send("lobby", "stored before the errors")
	atLimit, _ := running.send("lobby", strings.Repeat("é", message.MaxTextSize/2))
	endpoint, err := os.ReadFile(running.endpointFile())
	if err != nil {
		t.Fatal(err)
	}
	// dead: its daemon was killed with SIGKILL and reaped, so api.json names
	// a process that is gone.
	dead := initHome(t, "dead")
	deadD, _ := dead.up("--listen", "/ip4/127.0.0.1/tcp/0")
	dead.ok("join", "lobby")
	deadMsg, _ := dead.send("lobby", "stored before SIGKILL")
	deadD.kill()
	// blank: never initialised.
	blank := newHome(t)

	tooLong := strings.Repeat("a", message.MaxTextSize+1)
	for _, tc := range []struct {
		name string
		h    *testHome
		args []string
		code int
		hint string
	}{
		{"unknown command", idle, []string{"sned", "lobby", "hi"}, 2, "unknown command \"sned\"; did you mean `starling send`?"},
		{"unknown flag", running, []string{"peers", "--bogus"}, 2, "unknown flag: --bogus (see `starling peers --help`)"},
		{"missing args", running, []string{"send", "lobby"}, 2, "send takes a group and the text (quote it) (see `starling send --help`)"},
		{"bad listen", idle, []string{"up", "--no-mdns", "--listen", "not-a-multiaddr"}, 2, "is not a multiaddr (such as /ip4/0.0.0.0/tcp/4001)"},
		{"peer without p2p", idle, []string{"up", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0", "--peer", "/ip4/127.0.0.1/tcp/4001"}, 2, "must end in /p2p/PEER_ID (see `starling id` on that node)"},
		{"bad log level", running, []string{"--log-level", "loud", "peers"}, 2, "use debug, info, warn or error"},
		{"bad log format", running, []string{"--log-format", "xml", "peers"}, 2, "use text or json"},
		{"never initialised", blank, []string{"send", "lobby", "hi"}, 1, "run `starling init --name NAME` first"},
		{"init twice", idle, []string{"init", "--name", "again"}, 1, "is already initialised for idle"},
		{"peers without daemon", idle, []string{"peers"}, 1, "start one with `starling up`"},
		{"second up", running, []string{"up", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"}, 1, "already running"},
		{"peers of a killed daemon", dead, []string{"peers"}, 1, "start it again with `starling up`"},
		{"send to unjoined group", running, []string{"send", "nowhere", "hi"}, 1, "join it first with `starling join nowhere`"},
		{"send to unjoined group offline", idle, []string{"send", "nowhere", "hi"}, 1, "join it first with `starling join nowhere`"},
		{"text too long", running, []string{"send", "lobby", tooLong}, 2, "shorten it or split it into several messages"},
		{"text too long offline", idle, []string{"send", "lobby", tooLong}, 2, "shorten it or split it into several messages"},
		{"invalid UTF-8", running, []string{"send", "lobby", "bad \xff byte"}, 2, "the text is not valid UTF-8"},
		{"invalid UTF-8 offline", idle, []string{"send", "lobby", "bad \xff byte"}, 2, "the text is not valid UTF-8"},
		{"empty text", running, []string{"send", "lobby", ""}, 2, "the text is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkOneLineError(t, tc.h.in(t).run(tc.args...), tc.code, tc.hint)
		})
	}

	// Nothing stored was lost or added, and the second `up` left the
	// running daemon alone.
	if now, err := os.ReadFile(running.endpointFile()); err != nil || string(now) != string(endpoint) {
		t.Errorf("api.json of the running daemon changed: %s -> %s (%v)", endpoint, now, err)
	}
	checkLog(t, running, runMsg, atLimit)
	runD.stop()
	checkLog(t, running, runMsg, atLimit)
	checkLog(t, idle, idleMsg)
	checkLog(t, dead, deadMsg)
	if entries, err := os.ReadDir(blank.dir); err != nil || len(entries) != 0 {
		t.Errorf("a failed command wrote into the uninitialised home: %v %v", entries, err)
	}
}
