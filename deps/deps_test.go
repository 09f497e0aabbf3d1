// Package deps holds the test that keeps Starling's layering honest: it
// lists every package's dependencies with `go list` and fails when one
// reaches a package its layer must not (see DESIGN.md, "Shape"). Test files
// are not counted: tests may wire anything together.
package deps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// rule forbids the packages matching from to depend, directly or through
// others, on packages matching forbid, except those matching allow.
type rule struct {
	why    string
	from   []string
	except []string // packages of from that the rule spares
	forbid []string
	allow  []string
}

var rules = []rule{{
	why:    "the store keeps peer IDs and addresses as strings and never imports libp2p",
	from:   []string{"starling/store/..."},
	forbid: []string{"github.com/libp2p/..."},
}, {
	why: "the lower layers know nothing of the layers that use them",
	from: []string{"starling/message/...", "starling/identity/...", "starling/group/...",
		"starling/negentropy/...", "starling/store/...", "starling/delivery/..."},
	forbid: []string{"starling/node/...", "starling/api/...", "starling/apiserver/...", "starling/gossip/...", "starling/cmd/..."},
}, {
	why:    "only daemon, cmd and sim wire a node together; apiserver declares the Backend it needs and node satisfies it",
	from:   []string{"starling/..."},
	except: []string{"starling/daemon/...", "starling/cmd/...", "starling/sim/...", "starling/node/..."},
	forbid: []string{"starling/node/..."},
}, {
	why:    "apiserver must not import node, even indirectly",
	from:   []string{"starling/apiserver/..."},
	forbid: []string{"starling/node/..."},
}, {
	why: "api is the light contract every client links (wire types, event codec, client): " +
		"of Starling it imports only message and home, and it links no Badger and no libp2p",
	from:   []string{"starling/api/..."},
	forbid: []string{"starling/...", "github.com/dgraph-io/...", "github.com/libp2p/..."},
	allow:  []string{"starling/api/...", "starling/message/...", "starling/home/..."},
}, {
	why: "webui reaches the node only through the API (its http.Handler and its typed event stream): " +
		"the light api package, never apiserver, node, store or libp2p",
	from:   []string{"starling/webui/..."},
	forbid: []string{"starling/node/...", "starling/store/...", "starling/apiserver/...", "github.com/libp2p/...", "github.com/dgraph-io/..."},
}, {
	why: "the terminal chat is a client of the API: it links the light api package, " +
		"never apiserver, node, store, Badger or pubsub",
	from: []string{"starling/tui/..."},
	forbid: []string{"starling/node/...", "starling/store/...", "starling/apiserver/...", "starling/gossip/...",
		"starling/catchup/...", "github.com/dgraph-io/...", "github.com/libp2p/go-libp2p-pubsub/..."},
}, {
	why: "relay is an organiser relay's ACL and metrics: the metrics read the node through relay.Source's " +
		"plain numbers, so relay links no store, gossip, Badger or pubsub",
	from: []string{"starling/relay/..."},
	forbid: []string{"starling/node/...", "starling/store/...", "starling/gossip/...", "starling/catchup/...",
		"github.com/dgraph-io/...", "github.com/libp2p/go-libp2p-pubsub/..."},
}, {
	why: "the messenger does not link the simulator: starling-sim runs it, so cmd/starling links no simulator, " +
		"simulated network, plotting or PDF code (57 MB before the split, 41 MB after)",
	from: []string{"starling/cmd/starling"},
	forbid: []string{"starling/sim/...", "github.com/marcopolo/simnet/...", "github.com/libp2p/go-libp2p/x/simlibp2p/...",
		"gonum.org/...", "codeberg.org/go-pdf/...", "github.com/go-pdf/..."},
}, {
	why: "simhost is the daemon's side of a simulation (script and event log): the messenger links it, " +
		"so it reaches the node only through its own interface and never links the simulator",
	from:   []string{"starling/simhost/..."},
	forbid: []string{"starling/node/...", "starling/sim/...", "starling/cmd/..."},
}, {
	why: "doctor is a pure diagnosis over the API's types, which the chats link too: " +
		"of Starling it imports only api (and what api imports), and no Badger or libp2p",
	from:   []string{"starling/doctor/..."},
	forbid: []string{"starling/...", "github.com/dgraph-io/...", "github.com/libp2p/..."},
	allow:  []string{"starling/doctor/...", "starling/api/...", "starling/message/...", "starling/home/..."},
}, {
	why:    "netwatch holds the counters the node feeds it: it links no Starling package, no libp2p and no Badger",
	from:   []string{"starling/netwatch/..."},
	forbid: []string{"starling/...", "github.com/dgraph-io/...", "github.com/libp2p/..."},
	allow:  []string{"starling/netwatch/..."},
}, {
	why: "media prepares and checks pictures: a lower layer that knows messages' IDs and nothing of " +
		"the network, the store or the node",
	from:   []string{"starling/media/..."},
	forbid: []string{"starling/...", "github.com/libp2p/...", "github.com/dgraph-io/..."},
	allow:  []string{"starling/media/...", "starling/message/..."},
}, {
	why: "peering keeps the node connected (host, discovery, relays, tickets) and knows nothing of messages: " +
		"it reaches the node's groups and known peers only through its own interfaces (Tickets, KnownPeers)",
	from: []string{"starling/peering/..."},
	forbid: []string{"starling/node/...", "starling/gossip/...", "starling/catchup/...", "starling/apiserver/...",
		"starling/api/...", "starling/admission/...", "github.com/libp2p/go-libp2p-pubsub/..."},
}, {
	why:    "daemon is the messenger's composition root: cmd uses it, it never uses cmd or the simulator",
	from:   []string{"starling/daemon/..."},
	forbid: []string{"starling/cmd/...", "starling/sim/...", "gonum.org/...", "github.com/marcopolo/simnet/..."},
}, {
	why: "the application's services (moderation, conversation, pictures, alerts) reach the node only through " +
		"the Node interface each declares: never node, gossip, peering, the API or the daemon",
	from: []string{"starling/moderation/...", "starling/conversation/...", "starling/pictures/...", "starling/alerts/..."},
	forbid: []string{"starling/node/...", "starling/gossip/...", "starling/peering/...", "starling/api/...",
		"starling/apiserver/...", "starling/daemon/...", "github.com/libp2p/go-libp2p-pubsub/..."},
}, {
	why:    "negentropy is pure set reconciliation: no Starling types, no network",
	from:   []string{"starling/negentropy/..."},
	forbid: []string{"starling/...", "github.com/libp2p/..."},
	allow:  []string{"starling/negentropy/..."},
}, {
	why: "the packages that judge and build messages link no libp2p, so the phone's engine, built on them, " +
		"compiles to WebAssembly small; the transport key's libp2p form is identity/transportkey's",
	from:   []string{"starling/message/...", "starling/identity", "starling/group/...", "starling/riblt/...", "starling/media/..."},
	forbid: []string{"github.com/libp2p/...", "github.com/dgraph-io/..."},
}, {
	why: "the phone's engine runs in the browser as WebAssembly: it judges and builds messages with the " +
		"daemon's own packages (message, group, negentropy, catch-up's wire types) and links no Badger, no libp2p, " +
		"and nothing of the node, store, gossip or catch-up service",
	from: []string{"starling/phone/engine/...", "starling/cmd/starling-phone-wasm/..."},
	forbid: []string{"github.com/dgraph-io/...", "github.com/libp2p/...", "starling/node/...", "starling/store/...",
		"starling/gossip/...", "starling/catchup", "starling/peering/...", "starling/daemon/...", "starling/api/..."},
}}

// match reports whether path matches a `go list` style pattern: an import
// path, or one ending in "/..." for it and everything below it.
func match(pattern, path string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == prefix || strings.HasPrefix(path, prefix+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, path) })
}

// pkg is what `go list -json` says about a package.
type pkg struct {
	ImportPath string
	Deps       []string
	Error      *struct{ Err string }
}

// violations returns one line per forbidden dependency.
func violations(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		for _, r := range rules {
			if !matchAny(r.from, p.ImportPath) || matchAny(r.except, p.ImportPath) {
				continue
			}
			for _, d := range p.Deps {
				if matchAny(r.forbid, d) && !matchAny(r.allow, d) {
					out = append(out, fmt.Sprintf("%s depends on %s: %s", p.ImportPath, d, r.why))
				}
			}
		}
	}
	return out
}

// listPackages runs `go list` over the module, without test files.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH (go test puts it there): %v", err)
	}
	cmd := exec.Command(goTool, "list", "-e", "-json=ImportPath,Deps,Error", "starling/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Error != nil {
			t.Errorf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestLayering(t *testing.T) {
	pkgs := listPackages(t)
	// The rules must have something to hold: an empty or partial list
	// would pass vacuously.
	for _, want := range []string{"starling/store", "starling/message", "starling/node", "starling/api", "starling/apiserver", "starling/gossip", "starling/webui", "starling/tui", "starling/relay", "starling/cmd/starling", "starling/simhost", "starling/phone/engine"} {
		if !slices.ContainsFunc(pkgs, func(p pkg) bool { return p.ImportPath == want }) {
			t.Fatalf("go list did not report %s", want)
		}
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// The rules catch each kind of violation and spare what is allowed.
func TestRulesCatchViolations(t *testing.T) {
	pkgs := []pkg{
		{ImportPath: "starling/store", Deps: []string{"starling/message", "github.com/libp2p/go-libp2p/core/peer"}},
		{ImportPath: "starling/message", Deps: []string{"starling/gossip"}},
		{ImportPath: "starling/apiserver", Deps: []string{"starling/store", "starling/node"}},
		{ImportPath: "starling/catchup", Deps: []string{"starling/node"}},
		{ImportPath: "starling/negentropy", Deps: []string{"starling/negentropy/internal/wire", "starling/message"}},
		{ImportPath: "starling/negentropy/internal/wire", Deps: []string{"github.com/libp2p/go-buffer-pool"}},
		{ImportPath: "starling/cmd/starling", Deps: []string{"starling/node", "starling/api"}},
		{ImportPath: "starling/sim", Deps: []string{"starling/node"}},
		{ImportPath: "starling/node", Deps: []string{"starling/gossip", "starling/store", "github.com/libp2p/go-libp2p"}},
		{ImportPath: "starling/webui", Deps: []string{"starling/home", "github.com/libp2p/go-libp2p/core/peer"}},
		{ImportPath: "starling/api", Deps: []string{"starling/message", "starling/home", "starling/relay", "github.com/dgraph-io/badger/v4"}},
		{ImportPath: "starling/webui", Deps: []string{"starling/api", "starling/apiserver"}},
		{ImportPath: "starling/tui", Deps: []string{"starling/api", "starling/identity", "github.com/libp2p/go-libp2p/core/crypto", "github.com/libp2p/go-libp2p-pubsub"}},
		{ImportPath: "starling/relay", Deps: []string{"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay", "starling/catchup", "starling/store", "github.com/dgraph-io/badger/v4"}},
		{ImportPath: "starling/cmd/starling", Deps: []string{"starling/simhost", "starling/sim", "starling/sim/report", "gonum.org/v1/plot", "github.com/marcopolo/simnet"}},
		{ImportPath: "starling/simhost", Deps: []string{"starling/store", "starling/sim/report"}},
	}
	got := violations(pkgs)
	want := []string{
		"starling/store depends on github.com/libp2p/go-libp2p/core/peer",
		"starling/message depends on starling/gossip",
		"starling/apiserver depends on starling/node",
		"starling/apiserver depends on starling/node",
		"starling/catchup depends on starling/node",
		"starling/negentropy depends on starling/message",
		"starling/negentropy/internal/wire depends on github.com/libp2p/go-buffer-pool",
		"starling/webui depends on github.com/libp2p/go-libp2p/core/peer",
		"starling/api depends on starling/relay",
		"starling/api depends on github.com/dgraph-io/badger/v4",
		"starling/webui depends on starling/apiserver",
		"starling/tui depends on github.com/libp2p/go-libp2p-pubsub",
		"starling/relay depends on starling/catchup",
		"starling/relay depends on starling/store",
		"starling/relay depends on github.com/dgraph-io/badger/v4",
		"starling/cmd/starling depends on starling/sim",
		"starling/cmd/starling depends on starling/sim/report",
		"starling/cmd/starling depends on gonum.org/v1/plot",
		"starling/cmd/starling depends on github.com/marcopolo/simnet",
		"starling/simhost depends on starling/sim/report",
	}
	if len(got) != len(want) {
		t.Fatalf("violations:\n%s\nwant %d of them", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]+":") {
			t.Errorf("violation %d = %q, want %q", i, got[i], want[i])
		}
	}
}
