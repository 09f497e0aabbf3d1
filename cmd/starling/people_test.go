package main

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"starling/identity"
)

type (
	personJSON struct {
		Fingerprint string `json:"fingerprint"`
		Key         string `json:"key"`
		Mode        string `json:"mode"`
		Groups      []struct {
			Group   string `json:"group"`
			GroupID string `json:"group_id"`
			Nick    string `json:"nick"`
		} `json:"groups"`
	}
	// keyJSON is the public key from `id --json`.
	keyJSON struct {
		PublicKey string `json:"public_key"`
	}
)

// publicKey returns the user's public key as `id --json` prints it.
func (h *testHome) publicKey() string {
	h.t.Helper()
	var k keyJSON
	h.decode(&k, "id", "--json")
	return k.PublicKey
}

// whois returns `whois FINGERPRINT --json`.
func (h *testHome) whois(fp string) personJSON {
	h.t.Helper()
	var p personJSON
	h.decode(&p, "whois", fp, "--json")
	return p
}

// testWhois looks bob up by his fingerprint, as printed with spaces too.
func testWhois(t *testing.T, alice, bob, carol *member) {
	a := alice.h.in(t)
	p := a.whois(bob.id.Fingerprint)
	if p.Fingerprint != bob.id.Fingerprint || p.Key != bob.h.in(t).publicKey() || p.Mode != "" {
		t.Errorf("whois bob --json: %+v", p)
	}
	var names []string
	for _, g := range p.Groups {
		names = append(names, g.Group)
		if g.Group == "forum" && g.Nick != "bob" {
			t.Errorf("whois bob: nick %q in forum, want bob", g.Nick)
		}
	}
	if !slices.Contains(names, "forum") || !slices.IsSorted(names) {
		t.Errorf("whois bob lists groups %q, want forum among them, in order", names)
	}
	r := a.ok("whois", bob.h.fingerprint) // with spaces, as init prints it
	if !strings.HasPrefix(r.stdout, "fingerprint "+bob.id.Fingerprint+"\n") ||
		!regexp.MustCompile(`(?m)^  forum +as bob$`).MatchString(r.stdout) {
		t.Errorf("whois for people:\n%s", r.stdout)
	}
	// Issue 18: whois, block and mute refused the short fingerprint log and
	// the chat show, and a nickname ("want 32 base32 characters"). They take
	// a unique start of a fingerprint (with or without the "…") and a
	// nickname; a start nobody has is refused in words.
	for _, ref := range []string{bob.id.Fingerprint[:8], "…" + bob.id.Fingerprint[:6], "bob", "BOB"} {
		if p := a.whois(ref); p.Fingerprint != bob.id.Fingerprint {
			t.Errorf("whois %q found %+v, want bob", ref, p)
		}
	}
	checkOneLineError(t, a.run("whois", "zzzzzzzz"), 1, "nobody in your groups is called \"zzzzzzzz\" or has a fingerprint that starts so")
	checkOneLineError(t, a.run("mute", "nobody-here"), 1, "nobody in your groups is called \"nobody-here\"")
	// In a channel, which has no profiles, people are known by their texts.
	c := carol.h.in(t)
	awaitMesh(t, "lobby", a, c)
	p = c.whois(alice.id.Fingerprint)
	if p.Key != a.publicKey() || len(p.Groups) != 1 || p.Groups[0].Group != "lobby" || p.Groups[0].Nick != "alice" {
		t.Errorf("carol's whois of alice, known from the lobby: %+v", p)
	}
}

// testBlocks mutes and blocks bob on alice's node: a muted author's message
// is kept but not shown until unblocked; a blocked author's is not kept.
func testBlocks(t *testing.T, alice, bob *member) {
	a, b := alice.h.in(t), bob.h.in(t)
	fp := bob.id.Fingerprint
	awaitMesh(t, "lobby", a, b)
	lobbyCount := func() int {
		var groups []groupJSON
		a.decode(&groups, "groups", "--json")
		for _, g := range groups {
			if g.Name == "lobby" {
				return g.Messages
			}
		}
		t.Fatalf("alice is not in lobby: %+v", groups)
		return 0
	}
	mode := func(want, line string) {
		t.Helper()
		if p := a.whois(fp); p.Mode != want {
			t.Errorf("whois --json mode %q, want %q", p.Mode, want)
		}
		if r := a.ok("whois", fp); !strings.Contains(r.stdout, line) {
			t.Errorf("whois does not say %q:\n%s", line, r.stdout)
		}
	}

	if r := a.ok("mute", fp); r.stdout != "mute: "+fp+"\n" {
		t.Errorf("mute printed %q", r.stdout)
	}
	mode("mute", "\nyou muted them")
	muted := b.sendNow("lobby", "muted words")
	a.synced("lobby") // alice holds it now, by gossip or by catch-up
	if m := withID(a.groupLog("lobby"), muted); m != nil {
		t.Errorf("alice's log shows a muted author: %+v", *m)
	}
	if r := a.ok("unblock", fp); r.stdout != "unblock: "+fp+"\n" {
		t.Errorf("unblock printed %q", r.stdout)
	}
	mode("", "fingerprint "+fp+"\n")
	if m := withID(a.groupLog("lobby"), muted); m == nil || m.Text != "muted words" {
		t.Errorf("after unblock alice's log does not show the message sent while muted")
	}

	a.ok("block", fp)
	mode("block", "\nyou blocked them")
	before := lobbyCount()
	blocked := b.sendNow("lobby", "blocked words")
	a.synced("lobby")
	if m := withID(a.groupLog("lobby"), blocked); m != nil {
		t.Errorf("alice's log shows a blocked author: %+v", *m)
	}
	if n := lobbyCount(); n != before {
		t.Errorf("alice's lobby went from %d to %d messages while bob was blocked; a block keeps nothing", before, n)
	}
	a.ok("unblock", fp)
	mode("", "fingerprint "+fp+"\n")
}

// safetyRE matches a safety number or code: 12 groups of 5 digits.
var safetyRE = regexp.MustCompile(`^\d{5}( \d{5}){11}$`)

// testSafety: the safety number two people share is the same on both sides.
func testSafety(t *testing.T, alice, bob, carol *member) {
	a, b, c := alice.h.in(t), bob.h.in(t), carol.h.in(t)
	code := regexp.MustCompile("^your safety code: (.+)\ncompare it in person, or run `starling id --safety FINGERPRINT` for the number you share with someone\n$")
	m := code.FindStringSubmatch(a.ok("id", "--safety").stdout)
	if m == nil || !safetyRE.MatchString(m[1]) {
		t.Errorf("id --safety printed no safety code: %q", m)
	}
	// The own code needs no node.
	dora := initHome(t, "dora")
	if m := code.FindStringSubmatch(dora.ok("id", "--safety").stdout); m == nil || !safetyRE.MatchString(m[1]) {
		t.Errorf("id --safety without a node printed no safety code")
	}

	number := func(h *testHome, with string) string {
		t.Helper()
		r := h.ok("id", "--safety", with)
		lines := strings.Split(r.stdout, "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "safety number with ") || !safetyRE.MatchString(lines[1]) ||
			lines[2] != "both of you should see the same digits" {
			t.Fatalf("id --safety %s printed:\n%s", with, r.stdout)
		}
		return lines[1]
	}
	ab, ba := number(a, bob.h.fingerprint), number(b, alice.id.Fingerprint)
	if ab != ba {
		t.Errorf("alice and bob see different safety numbers:\n%s\n%s", ab, ba)
	}
	aKey, _ := hex.DecodeString(a.publicKey())
	bKey, _ := hex.DecodeString(b.publicKey())
	if want := identity.SafetyNumber(aKey, bKey); ab != want {
		t.Errorf("alice and bob's safety number is %s, want %s", ab, want)
	}
	if ac, ca := number(a, carol.id.Fingerprint), number(c, alice.id.Fingerprint); ac != ca || ac == ab {
		t.Errorf("alice and carol see %s and %s (alice and bob: %s)", ac, ca, ab)
	}

	checkOneLineError(t, a.run("id", bob.id.Fingerprint), 2, "id takes a fingerprint only with --safety")
	checkOneLineError(t, a.run("id", "--safety", "nonsense"), 1, "want 32 base32 characters")
	checkOneLineError(t, dora.run("id", "--safety", bob.id.Fingerprint), 1, "the safety number with someone needs a running node")
}

// testGroupErrors runs the group commands into the mistakes people make.
func testGroupErrors(t *testing.T, alice *member) {
	a := alice.h.in(t)
	idle := initHome(t, "idle")
	gala := a.info("gala").ID
	nobody := strings.Repeat("a", 32) // a well-formed fingerprint of nobody
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "invite.png")
	for _, tc := range []struct {
		name string
		h    *testHome
		args []string
		code int
		hint string
	}{
		{"private and announce", a, []string{"group", "create", "x", "--private", "--announce"}, 2, "a group is --private or --announce, not both"},
		{"bad end time", a, []string{"group", "create", "x", "--ends", "tomorrow"}, 2, `--ends "tomorrow": use RFC 3339`},
		{"create without a name", a, []string{"group", "create"}, 2, "create takes the group's name"},
		{"unknown flag", a, []string{"group", "create", "x", "--secret"}, 2, "unknown flag: --secret"},
		{"create without a node", idle, []string{"group", "create", "x"}, 1, "group create needs a running node"},
		{"info of an unjoined group", a, []string{"group", "info", "nowhere"}, 1, "join it first"},
		{"bad slow mode", a, []string{"group", "update", gala, "--slow-mode", "often"}, 2, "use a duration such as 30s"},
		{"bad update end", a, []string{"group", "update", gala, "--ends", "soon"}, 2, "use RFC 3339 or never"},
		{"admin not a fingerprint", a, []string{"group", "update", gala, "--add-admin", "nonsense"}, 1, "want 32 base32 characters"},
		{"admin nobody knows", a, []string{"group", "update", gala, "--add-admin", nobody}, 1, "nobody with fingerprint " + nobody},
		{"remove nobody", a, []string{"group", "remove", gala, nobody}, 1, "nobody with fingerprint " + nobody},
		{"remove without a member", a, []string{"group", "remove", gala}, 2, "remove takes a group and the member's fingerprint"},
		{"delete a bad ID", a, []string{"group", "delete", gala, "1234"}, 1, "message id: want 64 hex digits"},
		{"ban nobody", a, []string{"group", "ban", gala, nobody}, 1, "nobody with fingerprint " + nobody},
		{"unban nobody", a, []string{"group", "unban", gala, nobody}, 1, "nobody with fingerprint " + nobody},
		{"unban without a member", a, []string{"group", "unban", gala}, 2, "unban takes a group and the author's fingerprint"},
		{"add nobody", a, []string{"group", "add", "quiet", nobody}, 1, "nobody with fingerprint " + nobody},
		{"add to an open group", a, []string{"group", "add", gala, alice.id.Fingerprint}, 1, "only private groups admit members"},
		{"add without a node", idle, []string{"group", "add", gala, nobody}, 1, "group add needs a running node"},
		{"relay not a multiaddr", a, []string{"invite", gala, "--relay", "relay.example.org"}, 2, `--relay "relay.example.org" must be a multiaddr ending in /p2p/PEER_ID`},
		{"relay without p2p", a, []string{"invite", gala, "--relay", "/ip4/192.0.2.1/tcp/4001"}, 2, "must be a multiaddr ending in /p2p/PEER_ID"},
		{"invite to an unjoined group", a, []string{"invite", "nowhere"}, 1, "join it first"},
		{"png nowhere", a, []string{"invite", gala, "--png", missing}, 1, "write the QR code"},
		{"invite without a node", idle, []string{"invite", gala}, 1, "invite needs a running node"},
		{"whois nobody", a, []string{"whois", "nonsense"}, 1, `nobody in your groups is called "nonsense"`},
		{"whois nobody", a, []string{"whois", nobody}, 1, "nobody with fingerprint " + nobody},
		{"block without whom", a, []string{"block"}, 2, "block takes a person: a fingerprint, its start (as log shows it) or a nickname"},
		{"mute nobody", a, []string{"mute", nobody}, 1, "nobody with fingerprint " + nobody},
		{"unblock nobody", a, []string{"unblock", "nonsense"}, 1, `nobody in your groups is called "nonsense"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkOneLineError(t, tc.h.in(t).run(tc.args...), tc.code, tc.hint)
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("a failed invite --png wrote %s", missing)
	}
}
